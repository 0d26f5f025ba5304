// The ledger and engine containers of one run, started, watched, replaced and stopped on a
// thread of their own (containers/engine.ts starts it). On the main thread `medcard run` loads
// cucumber, its formatters and the features at the same time: one event loop doing both made
// the containers start 0.5 s late (testcontainers alone takes a quarter of a second to load).
// Everything is reported to the main thread as ThreadEvents; it keeps the HTTP front.
import * as http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { createNetwork, createVolume, fillVolume, LABEL_NETWORK, LABEL_VOLUME } from './docker';
import type { Health } from './health';
import { ensureOurImages, prepare, tc } from './prepare';

/** Where a ledger image keeps its data (medcard/postgres, and the official PostgreSQL image). */
const LEDGER_DATA = '/var/lib/postgresql/data';

export interface EngineThreadData {
  engineImage: string;
  enginePort: number;
  env: Record<string, string>;
  health: Health;
  ledgerImage?: string;
  labels: Record<string, string>;
  network: string;
  volume: string;
  startupTimeoutMs: number;
  maxRestarts: number;
}

/** thread → main */
export type ThreadEvent =
  | { kind: 'log'; line: string }
  | { kind: 'ledger'; id: string; url: string }
  /** An engine is ready (the first, or a replacement). */
  | { kind: 'engine'; id: string; host: string; port: number }
  /** The engine died unasked; `restart` counts the fresh one on its way (none: givenUp follows). */
  | { kind: 'died'; why: string; restart?: number }
  /** No engine will serve again (replaced too often, or a replacement did not start). */
  | { kind: 'givenUp'; why: string }
  /** The first start failed. */
  | { kind: 'failed'; why: string }
  | { kind: 'stopped' };

/** main → thread */
export type ThreadCommand = { kind: 'stop' };

type Started = import('testcontainers').StartedTestContainer;
type WaitStrategy = import('testcontainers').WaitStrategy;
type WaitArgs = Parameters<WaitStrategy['waitUntilReady']>;

/**
 * GET `path` until it answers `status`, every 50 ms (testcontainers' forHttp waits a second
 * between tries), failing at once when the container exits instead of at the timeout.
 */
class HttpHealth implements WaitStrategy {
  private timeoutMs = 60_000;
  private timeoutSet = false;
  constructor(private readonly path: string, private readonly port: number, private readonly status: number) {}
  withStartupTimeout(ms: number): this { this.timeoutMs = ms; this.timeoutSet = true; return this; }
  isStartupTimeoutSet(): boolean { return this.timeoutSet; }
  getStartupTimeout(): number { return this.timeoutMs; }

  async waitUntilReady(container: WaitArgs[0], boundPorts: WaitArgs[1]): Promise<void> {
    const host = (await tc().getContainerRuntimeClient()).info.containerRuntime.host;
    const port = boundPorts.getBinding(this.port);
    let exited: string | undefined;
    container.wait().then((r: { StatusCode: number }) => { exited = `exit ${r.StatusCode}`; }, () => { exited = 'removed'; });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (exited) throw new Error(`the container stopped (${exited}) before ${this.path} answered ${this.status}`);
      if (await httpStatus(host, port, this.path) === this.status) return;
      if (Date.now() > deadline) throw new Error(`${this.path} did not answer ${this.status} within ${this.timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function httpStatus(host: string, port: number, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, timeout: 1000, agent: false }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function waitForSql(url: string, timeoutMs: number): Promise<void> {
  const { Client } = require('pg') as typeof import('pg');
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = new Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      last = e;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the ledger did not answer SELECT 1 within ${timeoutMs / 1000} s: ${(last as Error)?.message}`);
}

/** Start the ledger (when the rig has one) and the engine; watch the engine and replace it when it dies; stop on request. */
function run(d: EngineThreadData, post: (e: ThreadEvent) => void): { stop: () => Promise<void> } {
  const log = (line: string) => post({ kind: 'log', line });
  let stopped = false;
  let ledger: Started | undefined;
  let engine: Started | undefined;
  let restarts = 0;

  /**
   * The ledger's volume, filled from its image before testcontainers loads: docker copies the
   * image's data directory (46 MB for medcard/postgres) into an empty volume when the first
   * container that mounts it is created (0.4-1.3 s here). Left to the ledger's own create, the
   * copy came after testcontainers' load; now the two overlap. `copying`: the create is out.
   */
  function fillLedgerVolume(image: string): { copying: Promise<void>; done: Promise<void> } {
    let begun!: () => void;
    const copying = new Promise<void>((r) => { begun = r; });
    const done = (async () => {
      try {
        await Promise.all([ensureOurImages([image], log), createVolume(d.volume, d.labels)]);
        await fillVolume(d.volume, image, LEDGER_DATA, { ...d.labels, 'org.medcard.role': 'ledger-volume-fill' }, begun);
      } finally { begun(); }
    })();
    return { copying, done };
  }

  async function boot(): Promise<void> {
    const fill = d.ledgerImage ? fillLedgerVolume(d.ledgerImage) : undefined;
    await fill?.copying;
    try {
      await prepare([d.engineImage, ...(d.ledgerImage ? [d.ledgerImage] : [])], log, [createNetwork(d.network, d.labels)]);
    } catch (err) {
      await fill?.done.catch(() => undefined); // nothing may still be creating when the run is cleaned up
      throw err;
    }
    const { GenericContainer, Wait } = tc(); // loaded by prepare, after its requests to docker went out
    const startLedger = async () => {
      if (!d.ledgerImage) return;
      await fill!.done;
      const t0 = Date.now();
      ledger = await new GenericContainer(d.ledgerImage)
        .withLabels({ ...d.labels, [LABEL_NETWORK]: d.network, [LABEL_VOLUME]: d.volume, 'org.medcard.role': 'ledger' })
        .withNetworkMode(d.network).withNetworkAliases('ledger')
        .withExposedPorts(5432)
        .withBindMounts([{ source: d.volume, target: LEDGER_DATA, mode: 'rw' }])
        // No reaper registration: it is disabled (we clean up), yet testcontainers would still
        // take a cross-process file lock for it, retried every 0.5-1 s, so the ledger's and the
        // engine's starts would wait for each other.
        .withAutoCleanup(false)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
        .withStartupTimeout(60_000)
        .start();
      const url = `postgres://postgres@${ledger.getHost()}:${ledger.getMappedPort(5432)}/medcard`;
      await waitForSql(url, 30_000);
      post({ kind: 'ledger', id: ledger.getId(), url });
      log(`ledger ${d.ledgerImage} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (volume ${d.volume})`);
    };
    const ledgerP = startLedger();
    // The engine container is created and joined to the network alongside the ledger, but
    // started once the ledger answers: it boots in under a second and gives up at once on a
    // database that is not there yet.
    class AfterLedger extends GenericContainer {
      protected override async containerCreated(): Promise<void> { await ledgerP; }
    }
    const startEngine = async () => {
      const t0 = Date.now();
      let c = new AfterLedger(d.engineImage)
        .withLabels({ ...d.labels, [LABEL_NETWORK]: d.network, 'org.medcard.role': 'engine' })
        .withNetworkMode(d.network).withNetworkAliases('engine')
        .withExposedPorts(d.enginePort)
        .withEnvironment(d.env)
        .withAutoCleanup(false)
        .withStartupTimeout(d.startupTimeoutMs);
      if (d.health.path) c = c.withWaitStrategy(new HttpHealth(d.health.path, d.enginePort, d.health.status ?? 200));
      else if (d.health.log) c = c.withWaitStrategy(Wait.forLogMessage(new RegExp(d.health.log)));
      else c = c.withWaitStrategy(Wait.forListeningPorts());
      const started = await c.start();
      log(`engine ${d.engineImage} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${started.getId().slice(0, 12)})`);
      return started;
    };
    const serve = (c: Started) => {
      engine = c;
      post({ kind: 'engine', id: c.getId(), host: c.getHost(), port: c.getMappedPort(d.enginePort) });
      watch(c);
    };
    // Watch the engine: when its container stops without us asking, replace it.
    const watch = (c: Started) => void (async () => {
      const client = await tc().getContainerRuntimeClient();
      let code: number | undefined;
      try { code = (await client.container.getById(c.getId()).wait()).StatusCode; } catch { /* gone */ }
      if (stopped || engine !== c) return;
      const why = `the engine container ${c.getId().slice(0, 12)} (${d.engineImage}) stopped${code === 137 ? ' (killed: exit 137)' : code !== undefined ? ` (exit ${code})` : ''}`;
      if (restarts >= d.maxRestarts) {
        const givenUp = `${why}, and it was replaced ${d.maxRestarts} times already: the harness gives up`;
        log(givenUp);
        post({ kind: 'died', why });
        post({ kind: 'givenUp', why: givenUp });
        return;
      }
      restarts++;
      log(`${why}: starting a fresh engine for the rest of the run (restart ${restarts})`);
      post({ kind: 'died', why, restart: restarts });
      replacing = (async () => {
        await c.stop({ timeout: 0, remove: true }).catch(() => undefined);
        serve(await startEngine());
      })().catch((e) => {
        const givenUp = `a fresh engine did not start: ${(e as Error).message}`;
        log(givenUp);
        post({ kind: 'givenUp', why: givenUp });
      });
    })();
    // Settled: when the ledger fails, the engine's start (waiting on it) has ended too before clean-up.
    const [l, e] = await Promise.allSettled([ledgerP, startEngine()]);
    if (l.status === 'rejected') throw l.reason;
    if (e.status === 'rejected') throw e.reason;
    serve(e.value);
  }

  let replacing: Promise<void> = Promise.resolve();
  const booting = boot();
  booting.catch((err: Error) => post({ kind: 'failed', why: err.message }));
  return {
    async stop() {
      stopped = true;
      // A start under way finishes first: a container created after the removal would be left behind.
      await booting.catch(() => undefined);
      await replacing;
      await Promise.allSettled([engine?.stop({ timeout: 0, remove: true }), ledger?.stop({ timeout: 0, remove: true })]);
    },
  };
}

if (parentPort && (workerData as { medcardEngineThread?: EngineThreadData } | null)?.medcardEngineThread) {
  const port = parentPort;
  const post = (e: ThreadEvent) => port.postMessage(e);
  const running = run((workerData as { medcardEngineThread: EngineThreadData }).medcardEngineThread, post);
  port.on('message', (m: ThreadCommand) => {
    if (m.kind === 'stop') void running.stop().finally(() => post({ kind: 'stopped' }));
  });
}
