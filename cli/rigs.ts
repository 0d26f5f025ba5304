// `medcard rigs`: the rig files (places) this checkout knows, one line each, and any that do
// not validate with their errors.
import { describeEngine, listRigFiles, loadRigFile, RigFileError, rigKind, rigKindNames, rigsDir } from '../rigs';
import { parseOptions } from './args';
import * as path from 'node:path';

const HELP = `usage: medcard rigs

Lists the rigs: rigs/<name>.yaml (or MEDCARD_RIGS_DIR). \`medcard rig check <name>\` checks one;
\`medcard run --rig <name>\` runs the suite on it. The rig file schema: rigs/README.md.`;

export async function run(argv: string[]): Promise<number> {
  if (!parseOptions(argv, {}, HELP)) return 0;
  const names = listRigFiles();
  if (!names.length) { console.error(`medcard rigs: no rig files in ${rigsDir()}`); return 1; }
  let bad = 0;
  const width = Math.max(...names.map((n) => n.length));
  const kindWidth = Math.max(8, ...rigKindNames().map((k) => k.length));
  console.log(`rigs in ${path.relative(process.cwd(), rigsDir()) || '.'}/:`);
  for (const name of names) {
    try {
      const r = loadRigFile(name);
      const settings = rigKind(r.kind)?.describe?.(r);
      console.log(`  ${name.padEnd(width)}  ${r.kind.padEnd(kindWidth)} ${r.description}`);
      console.log(`  ${''.padEnd(width)}  ${''.padEnd(kindWidth)}${settings ? ` ${settings};` : ''} engine ${describeEngine(r.engine)}; can: ${r.capabilities.join(', ') || 'nothing on cue'}${r.exclusive ? `; exclusive ${r.exclusive}` : ''}`);
    } catch (err) {
      bad++;
      const msg = err instanceof RigFileError ? err.message : (err as Error).message;
      console.log(`  ${name.padEnd(width)}  INVALID  ${msg.replace(/\n/g, `\n  ${''.padEnd(width)}           `)}`);
    }
  }
  return bad ? 1 : 0;
}
