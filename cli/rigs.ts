// `medcard rigs`: the rig files (places) this checkout knows, one line each, and any that do
// not validate with their errors.
import { describeEngine, listRigFiles, loadRigFile, RigFileError, rigKind, rigKindNames, rigsDir, UnknownRigError } from '../rigs';
import { parseOptions } from './args';
import { say, type Lang } from './lang';
import * as path from 'node:path';

const HELP = `usage: medcard rigs

Lists the rigs: rigs/<name>.yaml (or MEDCARD_RIGS_DIR). \`medcard rig check <name>\` checks one;
\`medcard run --rig <name>\` runs the suite on it. The rig file schema: rigs/README.md.`;

/**
 * Why `--rig <name>` did not load, for run and check: an unknown name said in the chosen
 * language; a rig file that does not validate keeps its file:line: field message (rigs/).
 */
export function rigLoadFailure(name: string, err: unknown, lang: Lang): string {
  if (!(err instanceof UnknownRigError)) return (err as Error).message;
  const where = path.relative(process.cwd(), rigsDir()) || '.';
  return say(lang, {
    zh: `没有读卡环境 "${name}"：请从 ${listRigFiles().join('、')} 中选择（${where}/ 中的读卡环境文件），或给出读卡环境文件的路径（--rig <名称>）`,
    en: `${err.message} (--rig <name>)`,
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {}, HELP);
  if (!parsed) return 0;
  const names = listRigFiles();
  if (!names.length) { console.error(`medcard rigs: ${say(parsed.lang, { zh: `${rigsDir()} 中没有读卡环境文件`, en: `no rig files in ${rigsDir()}` })}`); return 1; }
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
