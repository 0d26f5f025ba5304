// engine: the reference settlement engine. One entry point: createEngine(). The formats of
// the files it reads (policies, the world) and of the zip files the platform's file
// transactions carry load without the engine itself: steps (an HIS reads and writes those
// zips, steps/his.ts) and `medcard schemas` use them; a run against a vendor's engine never loads ours.
import type { Engine, EngineOptions } from './types';
export type { Engine, EngineOptions } from './types';
export { renderReceiptText, renderReceiptHtml } from './receipt';
export { loadPolicies, PolicyError, POLICY_FORMAT } from './policy';
export type { Policy } from './policy';
export { WORLD_FORMATS } from './world-files';
export { readZip, writeZip, type ZipEntry } from './zip';
export type { WorldPersonRecord, WorldRecord, WorldStem } from './world-files';

/** Start an engine (the database, the policies, the world). Its code loads on the first call. */
export function createEngine(opts?: EngineOptions): Promise<Engine> {
  return (require('./engine') as typeof import('./engine')).createEngine(opts);
}
