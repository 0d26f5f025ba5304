// Shared by the PC/SC tests: run `medcard emulate` as a separate process, and run tools.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PcscChannel } from '../../rigs';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MEDCARD = path.join(ROOT, 'bin', 'medcard.js');
export const SELECT_SSSE = '00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF';

export function hexBytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}
export const spaced = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');

/** Start `medcard emulate` and resolve once pcscd shows its card in `reader`. */
export async function startEmulator(args: string[], reader = 'Virtual PCD 00 00'): Promise<{ child: ChildProcess; output: () => string; stop: (signal?: NodeJS.Signals) => Promise<number | null> }> {
  const child = spawn(process.execPath, [MEDCARD, 'emulate', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // A generous start-up limit: a busy 2-core machine can take several seconds to load the CLI.
    const timer = setTimeout(() => reject(new Error(`medcard emulate did not insert its card within 30 s:\n${out}`)), 30_000);
    const check = () => { if (/inserted into vpcd/.test(out)) { clearTimeout(timer); resolve(); } };
    child.stdout!.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`medcard emulate exited (${code}):\n${out}`)); });
  });
  const channel = new PcscChannel(reader);
  try {
    if (!(await channel.waitForCard(5000))) throw new Error(`pcscd shows no card in "${reader}" 5 s after medcard emulate connected`);
  } finally {
    await channel.close();
  }
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGINT') => { child.kill(signal); return exited; },
  };
}

export function tool(command: string, args: string[], input?: string): string {
  const r = spawnSync(command, args, { input, encoding: 'utf8', timeout: 20000 });
  if (r.error) throw new Error(`${command} could not run (${r.error.message}): install it with \`npm run setup\` (Debian packages opensc, pcsc-tools)`);
  return `${r.stdout}${r.stderr}`;
}
