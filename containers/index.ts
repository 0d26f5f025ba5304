// Engines, their ledgers and cards in containers, started with testcontainers (11.x; the
// reaper is disabled: it cannot be pulled here). What we start carries our labels and is
// removed on stop, on process exit, SIGINT and SIGTERM; leftovers of dead runs are swept
// by label at start. The engine sits behind a small HTTP front in this process, so its URL
// stays the same when a dead engine container is replaced by a fresh one mid-suite.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createNetwork, createVolume, harnessLabels, LABEL_NETWORK, LABEL_VOLUME, pingDocker, removeNow, removeRun, sweepLeftovers,
} from './docker';
import { ENGINE_IMAGE, ensureImages, POSTGRES_IMAGE } from './images';

export { ContainerRuntimeError, pingDocker, sweepLeftovers, listOurs, LABEL_HARNESS, LABEL_RUN } from './docker';
export { buildImages, ensureImages, ENGINE_IMAGE, POSTGRES_IMAGE, BASE_IMAGE } from './images';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

type TC = typeof import('testcontainers');
function tc(): TC { return require('testcontainers') as TC; }

/** What startContainerEngine needs from a rig file (rigs/files.ts RigFile). */
export interface ContainerRigSpec {
  name: string;
  engine: { kind: string; image?: string; port?: number; env?: Record<string, string | number>; health?: unknown; [more: string]: unknown };
  ledger?: { image: string };
}

export interface ContainerEngineOptions {
  /** Progress and events (default: stderr). */
  log?: (line: string) => void;
  /** How long the engine may take to become healthy (default 120 s). */
  startupTimeoutMs?: number;
  /** How many times a dead engine is replaced before the harness gives up (default 5). */
  maxRestarts?: number;
  /** Sees every exchange that went through the front (tests: which settlements were acknowledged). */
  observe?: (request: Buffer, response: Buffer, status: number) => void;
  /** Called with each request before it is forwarded (tests kill the engine here, mid-request). */
  onRequest?: (request: Buffer) => void;
}

export interface ContainerEngine {
  /** Base URL of the engine (stable across restarts), e.g. http://127.0.0.1:41234 */
  url: string;
  /** postgres:// URL of the ledger from this host, when the rig has one (once started). */
  readonly ledgerUrl?: string;
  /** Resolves when the ledger and the first engine are ready; rejects with why they are not. */
  started: Promise<void>;
  /** The engine container running now. */
  engineContainerId(): string;
  ledgerContainerId(): string | undefined;
  /** How many times the engine was replaced. */
  restarts(): number;
  /** Resolves once a replacement (if one is under way) is ready. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

// ------------------------------------------------------------------ clean-up on every exit

interface Cleanup { run: string; stop: () => Promise<void> }
const active = new Map<string, Cleanup>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    // Others listening (cucumber, `medcard emulate`…) decide for themselves; if we are the only
    // listener and nothing of ours runs, behave as if we were not there.
    if (!active.size) {
      if (process.listenerCount(signal) === 1) { process.removeListener(signal, onSignal); process.kill(process.pid, signal); }
      return;
    }
    process.stderr.write(`\nmedcard: ${signal}: stopping and removing the containers of this run…\n`);
    const all = [...active.values()];
    Promise.allSettled(all.map((c) => c.stop())).finally(() => {
      for (const c of all) removeNow(c.run);
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort (an uncaught throw, process.exit from elsewhere): synchronous removal.
  process.on('exit', () => { for (const c of active.values()) removeNow(c.run); });
}

function register(c: Cleanup): () => void {
  installHooks();
  active.set(c.run, c);
  return () => { active.delete(c.run); };
}

export function newRunId(): string { return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`; }

/**
 * Once the runtime answers (pingDocker): our leftovers swept, our images built when the rig
 * uses them, testcontainers' runtime detection done, and `alongside` (the run's network and
 * volume) made, all at the same time: none waits for another.
 */
async function prepare(images: string[], log: (l: string) => void, alongside: Array<Promise<unknown>> = []): Promise<void> {
  const ours = images.some((i) => i === ENGINE_IMAGE || i === POSTGRES_IMAGE || i.startsWith('medcard/'));
  // Settled, not Promise.all: on a failure nothing may still be creating when the run is cleaned up.
  const [sweep, ...rest] = await Promise.allSettled([
    sweepLeftovers(),
    ours ? ensureImages(log) : undefined,
    tc().getContainerRuntimeClient(),
    ...alongside,
  ]);
  for (const r of [sweep, ...rest]) if (r.status === 'rejected') throw r.reason;
  const swept = (sweep as PromiseFulfilledResult<string[]>).value;
  if (swept.length) log(`removed ${swept.length} leftover(s) of earlier runs: ${swept.join(', ')}`);
}

// ------------------------------------------------------------------ health / wait strategies

interface Health { path?: string; status?: number; log?: string; timeoutMs?: number }

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

function parseHealth(h: unknown): Health {
  if (h === undefined || h === null) return { path: undefined };
  if (typeof h === 'string') return h.startsWith('/') ? { path: h } : { log: h };
  if (typeof h === 'object') {
    const o = h as Record<string, unknown>;
    return {
      path: typeof o.path === 'string' ? o.path : undefined,
      status: typeof o.status === 'number' ? o.status : undefined,
      log: typeof o.log === 'string' ? o.log : undefined,
      timeoutMs: typeof o.timeout === 'number' ? o.timeout * 1000 : typeof o.timeoutMs === 'number' ? o.timeoutMs : undefined,
    };
  }
  throw new Error(`engine.health: a path ("/health"), a log line, or { path, status, log, timeout }`);
}

// ------------------------------------------------------------------ the HTTP front

/** A platform-shaped error envelope: the terminal and the steps show err_msg as is. */
function errorEnvelope(message: string): string {
  return JSON.stringify({ infcode: -1, err_msg: message, warn_msg: '', inf_refmsgid: '', refmsg_time: '', respond_time: '', output: null });
}

// ------------------------------------------------------------------ start

/** The container engine, ready: openContainerEngine, then its start awaited. */
export async function startContainerEngine(rig: ContainerRigSpec, opts: ContainerEngineOptions = {}): Promise<ContainerEngine> {
  const engine = await openContainerEngine(rig, opts);
  try {
    await engine.started;
  } catch (err) {
    await engine.stop(); // the same stop the failure began: returns when all is removed
    throw err;
  }
  return engine;
}

/**
 * The front listens at once and its URL is handed out while the ledger and the engine start
 * behind it (`started`): `medcard run` lets cucumber load and start its workers meanwhile.
 * Requests that arrive early wait for the engine; if it cannot start, they get the reason.
 */
export async function openContainerEngine(rig: ContainerRigSpec, opts: ContainerEngineOptions = {}): Promise<ContainerEngine> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`medcard containers: ${l}\n`));
  const spec = rig.engine;
  if (spec.kind !== 'container' || typeof spec.image !== 'string' || !Number.isInteger(spec.port)) {
    throw new Error(`rig "${rig.name}": engine must be { kind: container, image, port } to start in a container`);
  }
  const engineImage = spec.image;
  const enginePort = spec.port as number;
  const health = parseHealth(spec.health);
  const startupTimeoutMs = health.timeoutMs ?? opts.startupTimeoutMs ?? 120_000;
  await pingDocker();

  const { GenericContainer, Wait } = tc();
  const run = newRunId();
  const labels = harnessLabels(run, { 'org.medcard.rig': rig.name });
  const network = `medcard-${run}`;
  const volume = `medcard-ledger-${run}`;
  let stopped = false;
  let ledger: import('testcontainers').StartedTestContainer | undefined;
  let engine: import('testcontainers').StartedTestContainer | undefined;
  let front: http.Server | undefined;
  // Kept-alive connections to the engine: a new one per request costs a connect through
  // docker's port proxy, twice.
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const unregister = register({ run, stop: () => stopAll() });

  let stopping: Promise<void> | undefined;
  let booting: Promise<void> = Promise.resolve();
  function stopAll(): Promise<void> {
    return (stopping ??= stopNow());
  }
  async function stopNow(): Promise<void> {
    stopped = true;
    // Requests still waiting for the engine are answered (with the reason) before the front closes.
    await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
    front?.closeAllConnections?.();
    // A start under way finishes first: a container created after the removal would be left behind.
    await booting.catch(() => undefined);
    upstreamAgent.destroy();
    await Promise.allSettled([engine?.stop({ timeout: 0, remove: true }), ledger?.stop({ timeout: 0, remove: true })]);
    await removeRun(run).catch(() => removeNow(run)); // network, volume, anything half-made
    unregister();
  }

  let upstream = { host: '', port: 0 };
  let readyP: Promise<void> = Promise.resolve();
  let restarts = 0;
  const maxRestarts = opts.maxRestarts ?? 5;
  let lastDeath = '';
  let deathNoticed: Promise<void> = Promise.resolve();
  let givenUp: string | undefined;
  let ledgerUrl: string | undefined;

  async function boot(): Promise<void> {
    await prepare([engineImage, ...(rig.ledger ? [rig.ledger.image] : [])], log,
      [createNetwork(network, labels), ...(rig.ledger ? [createVolume(volume, labels)] : [])]);
    const ledgerUrlInside = rig.ledger ? 'postgres://postgres@ledger:5432/medcard' : undefined;
    const startLedger = async () => {
      if (!rig.ledger) return;
      const t0 = Date.now();
      ledger = await new GenericContainer(rig.ledger.image)
        .withLabels({ ...labels, [LABEL_NETWORK]: network, [LABEL_VOLUME]: volume, 'org.medcard.role': 'ledger' })
        .withNetworkMode(network).withNetworkAliases('ledger')
        .withExposedPorts(5432)
        .withBindMounts([{ source: volume, target: '/var/lib/postgresql/data', mode: 'rw' }])
        // No reaper registration: it is disabled (we clean up), yet testcontainers would still
        // take a cross-process file lock for it, retried every 0.5-1 s, so the ledger's and the
        // engine's starts would wait for each other.
        .withAutoCleanup(false)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
        .withStartupTimeout(60_000)
        .start();
      ledgerUrl = `postgres://postgres@${ledger.getHost()}:${ledger.getMappedPort(5432)}/medcard`;
      await waitForSql(ledgerUrl, 30_000);
      log(`ledger ${rig.ledger.image} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (volume ${volume})`);
    };
    const env: Record<string, string> = {};
    if (ledgerUrlInside) env.DATABASE_URL = ledgerUrlInside;
    for (const [k, v] of Object.entries(spec.env ?? {})) env[k] = String(v).replace(/\$\{ledger\.url\}/g, ledgerUrlInside ?? '');

    const ledgerP = startLedger();
    // The engine container is created and joined to the network alongside the ledger, but
    // started once the ledger answers: it boots in under a second and gives up at once on a
    // database that is not there yet.
    class AfterLedger extends GenericContainer {
      protected override async containerCreated(): Promise<void> { await ledgerP; }
    }
    const startEngine = async () => {
      const t0 = Date.now();
      let c = new AfterLedger(engineImage)
        .withLabels({ ...labels, [LABEL_NETWORK]: network, 'org.medcard.role': 'engine' })
        .withNetworkMode(network).withNetworkAliases('engine')
        .withExposedPorts(enginePort)
        .withEnvironment(env)
        .withAutoCleanup(false)
        .withStartupTimeout(startupTimeoutMs);
      if (health.path) c = c.withWaitStrategy(new HttpHealth(health.path, enginePort, health.status ?? 200));
      else if (health.log) c = c.withWaitStrategy(Wait.forLogMessage(new RegExp(health.log)));
      else c = c.withWaitStrategy(Wait.forListeningPorts());
      const started = await c.start();
      log(`engine ${engineImage} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${started.getId().slice(0, 12)})`);
      return started;
    };
    // Settled: when the ledger fails, the engine's start (waiting on it) has ended too before clean-up.
    const [l, e] = await Promise.allSettled([ledgerP, startEngine()]);
    if (l.status === 'rejected') throw l.reason;
    if (e.status === 'rejected') throw e.reason;
    const first = e.value;
    engine = first;
    upstream = { host: first.getHost(), port: first.getMappedPort(enginePort) };

    // Watch the engine: when its container stops without us asking, replace it.
    const watch = (c: import('testcontainers').StartedTestContainer) => {
      let noticed!: () => void;
      deathNoticed = new Promise((r) => { noticed = r; });
      void (async () => {
        const client = await tc().getContainerRuntimeClient();
        let code: number | undefined;
        try { code = (await client.container.getById(c.getId()).wait()).StatusCode; } catch { /* gone */ }
        if (stopped || engine !== c) return;
        lastDeath = `the engine container ${c.getId().slice(0, 12)} (${engineImage}) stopped${code === 137 ? ' (killed: exit 137)' : code !== undefined ? ` (exit ${code})` : ''}`;
        noticed();
        if (restarts >= maxRestarts) {
          givenUp = `${lastDeath}, and it was replaced ${maxRestarts} times already: the harness gives up`;
          log(givenUp);
          return;
        }
        restarts++;
        log(`${lastDeath}: starting a fresh engine for the rest of the run (restart ${restarts})`);
        readyP = (async () => {
          await c.stop({ timeout: 0, remove: true }).catch(() => undefined);
          const fresh = await startEngine();
          engine = fresh;
          upstream = { host: fresh.getHost(), port: fresh.getMappedPort(enginePort) };
          watch(fresh);
        })();
        readyP.catch((e) => { givenUp = `a fresh engine did not start: ${(e as Error).message}`; log(givenUp); });
      })();
    };
    watch(first);
  }

  try {
    front = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const fail = (msg: string) => {
          if (res.headersSent) { res.destroy(); return; }
          res.writeHead(req.url?.startsWith('/health') ? 503 : 200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(errorEnvelope(msg));
        };
        try { await readyP; } catch { /* givenUp says why */ }
        if (givenUp) return fail(`medcard: ${givenUp}`);
        opts.onRequest?.(body);
        const forward = (retried: boolean) => {
          const target = upstream;
          const up = http.request({ agent: upstreamAgent, host: target.host, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${target.host}:${target.port}` } }, (ur) => {
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            if (opts.observe) {
              const got: Buffer[] = [];
              ur.on('data', (d: Buffer) => got.push(d));
              ur.on('end', () => opts.observe!(body, Buffer.concat(got), ur.statusCode ?? 0));
            }
            ur.pipe(res);
            ur.on('error', () => res.destroy());
          });
          up.on('error', async (e: NodeJS.ErrnoException) => {
            // A kept-alive connection the engine closed as we reused it: once more on a new one
            // (requests are idempotent by msgid).
            if (up.reusedSocket && e.code === 'ECONNRESET' && !retried && !res.headersSent) return forward(true);
            // Give the watcher a moment to learn why (a kill shows as a reset connection first).
            await Promise.race([deathNoticed, new Promise((r) => setTimeout(r, 1500))]);
            fail(`medcard: ${lastDeath || `the engine container stopped answering (${(e as Error).message})`} in the middle of this request; `
              + 'its answer never came, so this step fails. The harness starts a fresh engine for the scenarios that follow; the ledger keeps every acknowledged settlement.');
          });
          up.end(body);
        };
        forward(false);
      });
    });
    await new Promise<void>((r) => front!.listen(0, '127.0.0.1', () => r()));
    const frontPort = (front.address() as import('node:net').AddressInfo).port;
    const started = boot();
    readyP = booting = started;
    started.catch((err: Error) => {
      givenUp = `the container engine did not start: ${err.message}`;
      void stopAll();
    });

    return {
      url: `http://127.0.0.1:${frontPort}`,
      get ledgerUrl() { return ledgerUrl; },
      started,
      engineContainerId: () => engine!.getId(),
      ledgerContainerId: () => ledger?.getId(),
      restarts: () => restarts,
      ready: () => readyP,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
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

// ------------------------------------------------------------------ cards in containers

export interface CardContainerOptions {
  image?: string;
  /** vpcd port on the host (35963 is "Virtual PCD 00 00"). */
  vpcdPort: number;
  /** The host's address seen from the container (default: the bridge gateway). */
  vpcdHost?: string;
  log?: (line: string) => void;
}

export interface CardContainer { id: string; stop(): Promise<void> }

let cardRun: string | undefined;

/**
 * Serve one card profile (JSON, as the steps built it) in a container, with the emulator and
 * vpcd client `medcard emulate` uses (containers/serve-card.ts), connecting to the host's
 * pcscd through vpcd (it listens on all addresses; the host is the bridge gateway).
 * Resolves once the card says it is inserted.
 */
export async function startCardContainer(profileJson: string, o: CardContainerOptions): Promise<CardContainer> {
  const image = o.image ?? ENGINE_IMAGE;
  if (!cardRun) {
    await pingDocker();
    await prepare([image], o.log ?? ((l) => process.stderr.write(`medcard containers: ${l}\n`)));
    cardRun = newRunId();
    const run = cardRun;
    register({ run, stop: async () => removeNow(run) });
  }
  const { GenericContainer, Wait } = tc();
  // host-gateway: Docker (20.10+) writes the bridge gateway, i.e. this host, into /etc/hosts.
  const host = o.vpcdHost ?? 'host.docker.internal';
  // vpcd takes a new card a moment after the last one left; a refused first connection
  // makes `medcard emulate` exit, so a few attempts are allowed, and the last output is shown.
  let c: import('testcontainers').StartedTestContainer | undefined;
  let output = '';
  for (let attempt = 1; !c; attempt++) {
    const tag = randomBytes(4).toString('hex');
    output = '';
    try {
      c = await new GenericContainer(image)
        .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
        .withLabels({ ...harnessLabels(cardRun, { 'org.medcard.role': 'card', 'org.medcard.vpcd-port': String(o.vpcdPort), 'org.medcard.attempt': tag }) })
        .withCopyContentToContainer([{ content: profileJson, target: '/card.json' }])
        .withEntrypoint(['/usr/local/bin/node', '-r', '/app/steps/register.js', '/app/containers/serve-card.ts'])
        .withCommand([host, String(o.vpcdPort)])
        .withLogConsumer((stream) => { stream.on('data', (d: Buffer | string) => { output += d.toString(); }); })
        .withAutoCleanup(false)
        .withWaitStrategy(Wait.forLogMessage(/inserted into vpcd/))
        .withStartupTimeout(30_000)
        .start();
    } catch (err) {
      spawnSync('sh', ['-c', `docker ps -aq --filter label=org.medcard.attempt=${tag} | xargs -r docker rm -f >/dev/null 2>&1`]);
      if (attempt >= 5) {
        throw new Error(`the card container (${image}, medcard emulate → ${host}:${o.vpcdPort}) did not insert its card after ${attempt} attempts: ${(err as Error).message}\n${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
  return {
    id: c.getId(),
    stop: async () => { await c.stop({ timeout: 2000, remove: true }).catch(() => undefined); },
  };
}

/** Stop every card container this process started (the remote-card rig's close). */
export function removeCardContainers(): void {
  if (cardRun) removeNow(cardRun);
}

/** A temp dir helper for tests and benches. */
export function tmpDir(prefix: string): string { return fs.mkdtempSync(path.join(os.tmpdir(), prefix)); }
