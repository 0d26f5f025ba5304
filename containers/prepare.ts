// What every container start needs first, and testcontainers itself (11.x; its reaper is
// disabled: it cannot be pulled here, and we clean up by label).
import { sweepLeftovers } from './docker';
import { ENGINE_IMAGE, ensureImages, POSTGRES_IMAGE } from './images';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export type TC = typeof import('testcontainers');
/** Loaded on first use: a quarter of a second, which a run without containers never pays. */
export function tc(): TC { return require('testcontainers') as TC; }

/**
 * Once the runtime answers (pingDocker): our leftovers swept, our images built when the rig
 * uses them, testcontainers' runtime detection done, and `alongside` (the run's network and
 * volume) made, all at the same time: none waits for another.
 */
export async function prepare(images: string[], log: (l: string) => void, alongside: Array<Promise<unknown>> = []): Promise<void> {
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
