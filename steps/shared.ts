// Per-worker resources: the rig and the engine (embedded, started once per worker, or a
// vendor's at --engine-url). cucumber's BeforeAll runs once per worker (ecosystem-notes),
// so everything here is keyed by the worker id and created at most once per process.
import { PlatformClient } from '../platform';
import { openRig, RIG_NAMES, type Rig } from '../rigs';
import type { RunSettings, Shared } from './types';


/** Settings travel from `medcard run` to the workers in the environment (world parameters are frozen per worker). */
export function settingsFromEnv(): RunSettings {
  return {
    rig: process.env.MEDCARD_RIG || 'emulated',
    engineUrl: process.env.MEDCARD_ENGINE_URL || undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
    fixturesDir: process.env.MEDCARD_FIXTURES || undefined,
  };
}

let shared: Promise<Shared> | undefined;

export function getShared(): Promise<Shared> {
  shared ??= open(settingsFromEnv());
  return shared;
}

export async function closeShared(): Promise<void> {
  if (!shared) return;
  const s = await shared.catch(() => undefined);
  shared = undefined;
  await s?.close();
}

async function open(settings: RunSettings): Promise<Shared> {
  const workerId = Number(process.env.CUCUMBER_WORKER_ID ?? '0') || 0;
  if (!RIG_NAMES.includes(settings.rig)) throw new Error(`unknown rig "${settings.rig}": choose one of ${RIG_NAMES.join(', ')} (medcard run --rig <name>)`);
  let engineUrl = settings.engineUrl;
  let engineKind = 'external';
  let stopEngine: () => Promise<void> = async () => undefined;
  let handle: ((body: unknown) => Promise<any>) | undefined;
  if (!engineUrl) {
    // Loaded only when needed: `--engine-url` runs never load our engine.
    const { createEngine } = require('../engine') as typeof import('../engine');
    const engine = await createEngine({ databaseUrl: settings.databaseUrl, fixturesDir: settings.fixturesDir, world: 'empty' });
    engineKind = `embedded (${engine.backend})`;
    // In-process calls: the same envelope as HTTP, without the socket.
    handle = (body) => engine.handle(body);
    engineUrl = 'in-process';
    stopEngine = () => engine.close();
  }
  const client = new PlatformClient({
    ...(handle ? { handle } : { url: engineUrl }),
    fixmedinsCode: 'AGENCY000000', fixmedinsName: '医保经办机构', regionCode: '500000',
  });
  let rig: Rig;
  try {
    rig = await openRig(settings.rig, { workerId });
  } catch (err) {
    await stopEngine();
    throw err;
  }
  return {
    rig, client, engineUrl, engineKind, workerId,
    async close() { await rig.close().catch(() => undefined); await stopEngine(); },
  };
}
