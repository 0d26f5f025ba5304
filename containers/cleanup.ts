// What this process started is removed however it ends: on stop, on SIGINT and SIGTERM, and
// (synchronously, as a last resort) on exit. Each run registers how to stop itself.
import { removeNow } from './docker';

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

/** Clean up `run` on any exit from now on; the returned function takes it off (stopped). */
export function registerCleanup(c: Cleanup): () => void {
  installHooks();
  active.set(c.run, c);
  return () => { active.delete(c.run); };
}
