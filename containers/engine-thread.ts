// The ledger and engine containers of one run, started, watched, replaced and stopped on a
// thread of their own (containers/engine.ts starts it), through Docker's API. On the main
// thread `medcard run` loads cucumber, its formatters and the features at the same time: one
// event loop doing both made the containers start 0.5 s late. No testcontainers here: loading
// it took 0.3-0.7 s of CPU on this path, before the first container could be created, and
// the few calls a ledger and an engine need are docker.ts's.
// Everything is reported to the main thread as ThreadEvents; it keeps the HTTP front.
import * as http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { containerExit, containerHost, containerLogs, createContainer, createNetwork, LABEL_NETWORK, removeContainer, startContainer } from './docker';
import type { Health } from './health';
import { prepare } from './prepare';

export interface EngineThreadData {
  engineImage: string;
  enginePort: number;
  env: Record<string, string>;
  health: Health;
  ledgerImage?: string;
  labels: Record<string, string>;
  network: string;
  startupTimeoutMs: number;
  maxRestarts: number;
  /** The engine waits for its database itself (rig file: engine.waitsForLedger): started with the ledger's container, not after it answers. */
  waitsForLedger: boolean;
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

/** A started container: its id, the host port of its one published port, and its exit (one wait, asked at the start). */
interface Running { id: string; port: number; exit: Promise<number | undefined>; stopped(): string | undefined }

async function start(id: string, port: number): Promise<Running> {
  const hostPort = await startContainer(id, port);
  const exit = containerExit(id);
  let why: string | undefined;
  void exit.then((code) => { why = code === undefined ? 'removed' : `exit ${code}`; });
  return { id, port: hostPort, exit, stopped: () => why };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpStatus(host: string, port: number, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, timeout: 1000, agent: false }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The last lines a container printed, for a message saying why it did not start. */
async function lastOutput(id: string): Promise<string> {
  let text = '';
  await containerLogs(id, (t) => { text += t; }, { tail: 15 }).done;
  return text.trim() ? `; its last output:\n${text.trim()}` : '; it printed nothing';
}

/**
 * Until the engine is ready by its rig's `health`: GET path answers status (asked every 50 ms;
 * testcontainers' forHttp waited a second between tries), a log line, or (none) any HTTP answer
 * on its port. Fails at once when the container stops, or when `abandon` gives a reason.
 */
async function untilReady(c: Running, health: Health, timeoutMs: number, abandon: () => string | undefined): Promise<void> {
  const pattern = health.log ? new RegExp(health.log) : undefined;
  let logged = '';
  let seen = false;
  const follow = pattern ? containerLogs(c.id, (t) => { logged = (logged + t).slice(-65536); seen ||= pattern.test(logged); }, { follow: true }) : undefined;
  const want = health.path ? `${health.path} to answer ${health.status ?? 200}` : pattern ? `a log line matching /${health.log}/` : 'its port to answer HTTP';
  const host = containerHost();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (pattern ? seen : health.path ? await httpStatus(host, c.port, health.path) === (health.status ?? 200) : await httpStatus(host, c.port, '/') !== undefined) return;
      const why = abandon();
      if (why) throw new Error(why);
      const exited = c.stopped();
      if (exited) throw new Error(`the container stopped (${exited}) before ${want}${await lastOutput(c.id)}`);
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${want}${await lastOutput(c.id)}`);
      await sleep(50);
    }
  } finally { follow?.stop(); }
}

async function waitForSql(url: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
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
      const gone = exited();
      if (gone) throw new Error(`the ledger container stopped (${gone}) before it answered SQL`);
      await sleep(50);
    }
  }
  throw new Error(`the ledger did not answer SELECT 1 within ${timeoutMs / 1000} s: ${(last as Error)?.message}`);
}

/** Start the ledger (when the rig has one) and the engine; watch the engine and replace it when it dies; stop on request. */
function run(d: EngineThreadData, post: (e: ThreadEvent) => void): { stop: () => Promise<void> } {
  const log = (line: string) => post({ kind: 'log', line });
  let stopped = false;
  let bootFailed: string | undefined;
  let engine: Running | undefined;
  let restarts = 0;
  /** Every container made, so that stop removes even a half-started one. */
  const made = new Set<string>();

  async function create(role: 'ledger' | 'engine'): Promise<string> {
    const id = role === 'ledger'
      // Its data stays in the container's own layer, gone with it. No volume: docker fills a new
      // one from the image's data directory at create (46 MB for medcard/postgres: 0.9 s here).
      ? await createContainer({ image: d.ledgerImage!, labels: { ...d.labels, [LABEL_NETWORK]: d.network, 'org.medcard.role': 'ledger' },
        network: d.network, aliases: ['ledger'], port: 5432 })
      : await createContainer({ image: d.engineImage, labels: { ...d.labels, [LABEL_NETWORK]: d.network, 'org.medcard.role': 'engine' },
        network: d.network, aliases: ['engine'], port: d.enginePort, env: d.env });
    made.add(id);
    return id;
  }

  /** An engine created at once and started after `go` (the ledger answering, unless it waits for it itself). */
  async function startEngine(go: Promise<unknown>): Promise<Running> {
    const t0 = Date.now();
    const id = await create('engine');
    await go;
    const c = await start(id, d.enginePort);
    await untilReady(c, d.health, d.startupTimeoutMs, () => (stopped ? 'the run is stopping' : bootFailed));
    log(`engine ${d.engineImage} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${id.slice(0, 12)})`);
    return c;
  }

  async function boot(): Promise<void> {
    await prepare([d.engineImage, ...(d.ledgerImage ? [d.ledgerImage] : [])], log, [createNetwork(d.network, d.labels)]);
    // The ledger: `created`, then `ready` once it answers SQL.
    const t0 = Date.now();
    const created = d.ledgerImage ? create('ledger') : undefined;
    const ready = created?.then(async (id) => {
      const c = await start(id, 5432);
      const url = `postgres://postgres@${containerHost()}:${c.port}/medcard`;
      await waitForSql(url, 60_000, () => (stopped ? 'the run is stopping' : c.stopped()));
      post({ kind: 'ledger', id, url });
      log(`ledger ${d.ledgerImage} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${id.slice(0, 12)})`);
    });
    ready?.catch((e: Error) => { bootFailed = `the ledger did not start: ${e.message}`; });
    // An engine that gives up on a database not there yet starts once the ledger answers. One
    // that waits for it (ours: --wait-for-database) starts as the ledger's container starts, its
    // boot hidden in PostgreSQL's: its boot (~0.3 s) outlasts the ledger's network coming up.
    // Not sooner: an engine that tried the ledger's address before its container ran had its
    // ARP request go unanswered, and Linux asked again only a second later.
    const [l, e] = await Promise.allSettled([ready, startEngine((d.waitsForLedger ? created : ready) ?? Promise.resolve())]);
    if (l.status === 'rejected') throw l.reason;
    if (e.status === 'rejected') throw e.reason;
    serve(e.value);
  }

  const serve = (c: Running) => {
    engine = c;
    post({ kind: 'engine', id: c.id, host: containerHost(), port: c.port });
    watch(c);
  };
  // Watch the engine: when its container stops without us asking, replace it.
  const watch = (c: Running) => void (async () => {
    const code = await c.exit;
    if (stopped || engine !== c) return;
    const why = `the engine container ${c.id.slice(0, 12)} (${d.engineImage}) stopped${code === 137 ? ' (killed: exit 137)' : code !== undefined ? ` (exit ${code})` : ''}`;
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
      await removeContainer(c.id).catch(() => undefined);
      made.delete(c.id);
      serve(await startEngine(Promise.resolve()));
    })().catch((err) => {
      const givenUp = `a fresh engine did not start: ${(err as Error).message}`;
      log(givenUp);
      post({ kind: 'givenUp', why: givenUp });
    });
  })();

  let replacing: Promise<void> = Promise.resolve();
  const booting = boot();
  booting.catch((err: Error) => post({ kind: 'failed', why: err.message }));
  return {
    async stop() {
      stopped = true;
      // A start under way finishes first: a container created after the removal would be left behind.
      await booting.catch(() => undefined);
      await replacing;
      await Promise.allSettled([...made].map((id) => removeContainer(id)));
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
