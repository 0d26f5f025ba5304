// The embedded engine on a thread of its own, served on a loopback port. `medcard run`
// starts it at launch, so the engine's start (PGlite: about a second) happens on the second
// core while cucumber loads the features and starts its workers, and every worker of the
// run settles against the same engine and ledger.
import * as path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type { EngineOptions } from './types';

export interface EngineThread {
  /** http://127.0.0.1:<port>: the platform interface, as `medcard engine` serves it. */
  url: string;
  backend: 'pglite' | 'postgres';
  /** Close the engine (and its database) and end the thread. */
  stop(): Promise<void>;
}

type FromThread = { ready: { url: string; backend: 'pglite' | 'postgres' } } | { failed: string };

const ROOT = path.resolve(__dirname, '..');

export function startEngineThread(opts: EngineOptions): Promise<EngineThread> {
  // The thread loads TypeScript the way `medcard run` does (steps/register.js), then this file.
  const worker = new Worker(`require(${JSON.stringify(path.join(ROOT, 'steps/register.js'))});
    require(${JSON.stringify(__filename)}).serveOnThisThread(require('node:worker_threads').workerData);`, { eval: true, workerData: opts });
  worker.unref(); // never what keeps the process alive: `medcard run` stops it when the run ends
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise<EngineThread>((resolve, reject) => {
    worker.once('error', (err) => reject(new Error(`the embedded engine did not start: ${err.message}`)));
    worker.once('exit', (code) => reject(new Error(`the embedded engine's thread ended before it was ready (exit ${code})`)));
    worker.once('message', (m: FromThread) => {
      if ('failed' in m) { reject(new Error(`the embedded engine did not start: ${m.failed}`)); return; }
      resolve({
        ...m.ready,
        async stop() {
          worker.postMessage('stop');
          const late = setTimeout(() => void worker.terminate(), 10_000);
          await exited;
          clearTimeout(late);
        },
      });
    });
  });
}

/** The thread's side: start the engine, say where it listens, close it when asked. */
export async function serveOnThisThread(opts: EngineOptions): Promise<void> {
  const port = parentPort;
  if (isMainThread || !port) throw new Error('serveOnThisThread runs on the thread startEngineThread starts');
  try {
    const { createEngine } = require('./engine') as typeof import('./engine');
    const engine = await createEngine(opts);
    const { url } = await engine.listen(0, '127.0.0.1');
    port.once('message', () => { void engine.close().finally(() => port.close()); });
    port.postMessage({ ready: { url, backend: engine.backend } } satisfies FromThread);
  } catch (err) {
    port.postMessage({ failed: (err as Error).message } satisfies FromThread);
    port.close();
  }
}
