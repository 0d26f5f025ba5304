// Engines, their ledgers and cards in containers, started with testcontainers (11.x; the
// reaper is disabled: it cannot be pulled here). What we start carries our labels and is
// removed on stop, on process exit, SIGINT and SIGTERM; leftovers of dead runs are swept
// by label at start. The engine sits behind a small HTTP front in this process, so its URL
// stays the same when a dead engine container is replaced by a fresh one mid-suite; the
// ledger and engine containers themselves are driven from a thread (engine-thread.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { harnessLabels, pingDocker, removeNow, removeRun } from './docker';
import type { EngineThreadData, Health, ThreadCommand, ThreadEvent } from './engine-thread';
import { ENGINE_IMAGE } from './images';
import { prepare, tc } from './prepare';

export { ContainerRuntimeError, pingDocker, sweepLeftovers, listOurs, LABEL_HARNESS, LABEL_RUN } from './docker';
export { buildImages, ensureImages, ENGINE_IMAGE, POSTGRES_IMAGE, BASE_IMAGE } from './images';

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

// ------------------------------------------------------------------ health / wait strategies

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
 * behind it (`started`), on a thread (engine-thread.ts): `medcard run` loads cucumber and
 * starts its workers meanwhile. Requests that arrive early wait for the engine; if it cannot
 * start, they get the reason.
 */
export async function openContainerEngine(rig: ContainerRigSpec, opts: ContainerEngineOptions = {}): Promise<ContainerEngine> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`medcard containers: ${l}\n`));
  const spec = rig.engine;
  if (spec.kind !== 'container' || typeof spec.image !== 'string' || !Number.isInteger(spec.port)) {
    throw new Error(`rig "${rig.name}": engine must be { kind: container, image, port } to start in a container`);
  }
  const health = parseHealth(spec.health);
  const run = newRunId();
  const network = `medcard-${run}`;
  const ledgerUrlInside = rig.ledger ? 'postgres://postgres@ledger:5432/medcard' : undefined;
  const env: Record<string, string> = {};
  if (ledgerUrlInside) env.DATABASE_URL = ledgerUrlInside;
  for (const [k, v] of Object.entries(spec.env ?? {})) env[k] = String(v).replace(/\$\{ledger\.url\}/g, ledgerUrlInside ?? '');
  const data: EngineThreadData = {
    engineImage: spec.image, enginePort: spec.port as number, env, health, ledgerImage: rig.ledger?.image,
    labels: harnessLabels(run, { 'org.medcard.rig': rig.name }), network, volume: `medcard-ledger-${run}`,
    startupTimeoutMs: health.timeoutMs ?? opts.startupTimeoutMs ?? 120_000, maxRestarts: opts.maxRestarts ?? 5,
  };
  // First, before anything else here: the thread needs a while to load testcontainers.
  const thread = new Worker(`require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(ENGINE_THREAD)});`,
    { eval: true, workerData: { medcardEngineThread: data } });
  let threadGone = false;
  const unregister = register({ run, stop: () => stopAll() });

  // What the thread has told us.
  let upstream = { host: '', port: 0 };
  let engineId = '';
  let ledgerId: string | undefined;
  let ledgerUrl: string | undefined;
  let restarts = 0;
  let lastDeath = '';
  let givenUp: string | undefined;
  let ready = deferred();
  let deathNoticed = deferred();
  const started = deferred();
  const threadStopped = deferred();
  const onEvent = (e: ThreadEvent) => {
    switch (e.kind) {
      case 'log': log(e.line); break;
      case 'ledger': ledgerId = e.id; ledgerUrl = e.url; break;
      case 'engine':
        upstream = { host: e.host, port: e.port };
        engineId = e.id;
        deathNoticed = deferred();
        ready.resolve();
        started.resolve();
        break;
      case 'died':
        lastDeath = e.why;
        deathNoticed.resolve();
        if (e.restart) { restarts = e.restart; ready = deferred(); }
        break;
      case 'givenUp': givenUp = e.why; ready.resolve(); break;
      case 'failed': started.reject(new Error(e.why)); break;
      case 'stopped': threadStopped.resolve(); break;
    }
  };
  thread.on('message', onEvent);
  const threadEnded = (why: string) => {
    threadGone = true;
    threadStopped.resolve();
    givenUp ??= why;
    ready.resolve();
    started.reject(new Error(why));
  };
  thread.on('error', (err) => threadEnded(`the containers' thread failed: ${err.message}`));
  thread.on('exit', (code) => threadEnded(`the containers' thread ended (exit ${code})`));

  let front: http.Server | undefined;
  // Kept-alive connections to the engine: a new one per request costs a connect through
  // docker's port proxy, twice.
  const upstreamAgent = new http.Agent({ keepAlive: true });
  let stopping: Promise<void> | undefined;
  function stopAll(): Promise<void> {
    return (stopping ??= stopNow());
  }
  async function stopNow(): Promise<void> {
    // Requests still waiting for the engine are answered (with the reason) before the front closes.
    givenUp ??= 'the run is stopping';
    ready.resolve();
    await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
    front?.closeAllConnections?.();
    upstreamAgent.destroy();
    // The thread lets a start under way finish, then stops the containers it started.
    if (!threadGone) thread.postMessage({ kind: 'stop' } satisfies ThreadCommand);
    await threadStopped.promise;
    await thread.terminate();
    await removeRun(run).catch(() => removeNow(run)); // network, volume, anything half-made
    unregister();
  }

  try {
    await pingDocker();
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
        await ready.promise;
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
            await Promise.race([deathNoticed.promise, new Promise((r) => setTimeout(r, 1500))]);
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
    started.promise.catch((err: Error) => {
      givenUp = `the container engine did not start: ${err.message}`;
      void stopAll();
    });

    return {
      url: `http://127.0.0.1:${frontPort}`,
      get ledgerUrl() { return ledgerUrl; },
      started: started.promise,
      engineContainerId: () => engineId,
      ledgerContainerId: () => ledgerId,
      restarts: () => restarts,
      ready: () => ready.promise,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

const REGISTER = path.join(__dirname, '..', 'steps', 'register.js');
const ENGINE_THREAD = path.join(__dirname, 'engine-thread.ts');

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined); // a rejection is read where it is awaited
  return { promise, resolve, reject };
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
 * vpcd client `medcard emulate` uses (rigs/serve-card.ts), connecting to the host's
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
        .withEntrypoint(['/usr/local/bin/node', '-r', '/app/steps/register.js', '/app/rigs/serve-card.ts'])
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
