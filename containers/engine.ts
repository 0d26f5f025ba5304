// The container engine: its ledger and engine containers are driven from a thread of their
// own (engine-thread.ts); this process keeps a small HTTP front whose URL stays the same when
// a dead engine is replaced mid-suite.
import * as http from 'node:http';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { register, newRunId } from './cleanup';
import { harnessLabels, pingDocker, removeNow, removeRun } from './docker';
import type { EngineThreadData, Health, ThreadCommand, ThreadEvent } from './engine-thread';
import type { ContainerEngine, ContainerEngineOptions, ContainerRigSpec } from './types';

/** A rig file's engine.health: a path, a log line, or { path, status, log, timeout }. */
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
