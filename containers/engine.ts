// A container engine for a run: its ledger and engine containers are driven from a thread
// (engine-thread.ts: start, death watch, replacement, stop); this, on the main thread, keeps
// what the thread reports and serves the engine's URL through the HTTP front (front.ts).
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { registerCleanup } from './cleanup';
import { harnessLabels, newRunId, pingDocker, removeNow, removeRun } from './docker';
import type { EngineThreadData, ThreadCommand, ThreadEvent } from './engine-thread';
import { createFront, type Front } from './front';
import { parseHealth } from './health';
import type { ContainerEngine, ContainerEngineOptions, ContainerRigSpec } from './types';

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
  // The harness's own token for the engine's control API: made here, known only to this run.
  const controlToken = opts.controlToken ?? randomBytes(24).toString('base64url');
  env.MEDCARD_CONTROL_TOKEN = controlToken;
  const data: EngineThreadData = {
    engineImage: spec.image, enginePort: spec.port as number, env, health, ledgerImage: rig.ledger?.image,
    labels: harnessLabels(run, { 'org.medcard.rig': rig.name }), network,
    startupTimeoutMs: health.timeoutMs ?? opts.startupTimeoutMs ?? 120_000, maxRestarts: opts.maxRestarts ?? 5,
    waitsForLedger: spec.waitsForLedger === true,
  };
  // First, before anything else here: the thread takes a while to load.
  const thread = new Worker(`require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(ENGINE_THREAD)});`,
    { eval: true, workerData: { medcardEngineThread: data } });
  let threadGone = false;
  const unregister = registerCleanup({ run, stop: () => stopAll() });

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

  let front: Front | undefined;
  let stopping: Promise<void> | undefined;
  function stopAll(): Promise<void> {
    return (stopping ??= stopNow());
  }
  async function stopNow(): Promise<void> {
    // Requests still waiting for the engine are answered (with the reason) before the front closes.
    givenUp ??= 'the run is stopping';
    ready.resolve();
    await front?.close();
    // The thread lets a start under way finish, then stops the containers it started.
    if (!threadGone) thread.postMessage({ kind: 'stop' } satisfies ThreadCommand);
    await threadStopped.promise;
    await thread.terminate();
    await removeRun(run).catch(() => removeNow(run)); // the network, anything half-made
    unregister();
  }

  try {
    await pingDocker();
    front = createFront({
      ready: () => ready.promise,
      givenUp: () => givenUp,
      target: () => upstream,
      deathNoticed: () => deathNoticed.promise,
      lastDeath: () => lastDeath,
    }, opts);
    const url = await front.listen();
    started.promise.catch((err: Error) => {
      givenUp = `the container engine did not start: ${err.message}`;
      void stopAll();
    });

    return {
      url,
      controlToken,
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
