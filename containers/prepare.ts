// What every container start needs first: leftovers swept, our images current.
import { sweepLeftovers } from './docker';
import { ENGINE_IMAGE, ensureImages, POSTGRES_IMAGE } from './images';

/** Our images among `images` built when stale (a vendor's are theirs to provide). */
export function ensureOurImages(images: string[], log: (l: string) => void): Promise<void> | undefined {
  const ours = images.some((i) => i === ENGINE_IMAGE || i === POSTGRES_IMAGE || i.startsWith('medcard/'));
  return ours ? ensureImages(log) : undefined;
}

/**
 * Once the runtime answers (pingDocker): our leftovers swept, our images built when the rig
 * uses them, and `alongside` (the run's network) made, all at the same time:
 * none waits for another.
 */
export async function prepare(images: string[], log: (l: string) => void, alongside: Array<Promise<unknown>> = []): Promise<void> {
  // Settled, not Promise.all: on a failure nothing may still be creating when the run is cleaned up.
  const [sweep, ...rest] = await Promise.allSettled([sweepLeftovers(), ensureOurImages(images, log), ...alongside]);
  for (const r of [sweep, ...rest]) if (r.status === 'rejected') throw r.reason;
  const swept = (sweep as PromiseFulfilledResult<string[]>).value;
  if (swept.length) log(`removed ${swept.length} leftover(s) of earlier runs: ${swept.join(', ')}`);
}
