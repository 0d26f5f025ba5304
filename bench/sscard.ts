// libsscard's iReadCardBas through pcscd + vpcd, calls per second, beside the same APDU
// sequence sent with SCardTransmit directly from C on one open connection (the anchor), same
// run, same card (`medcard emulate` as a separate process, stall cured per socket). Also shown:
// the sequence with SCardConnect per sequence, which is most of what the library adds per call
// (it also establishes and releases its PC/SC context each call, as a vendor DLL call does).
// The three are measured in turns, ROUNDS rounds of SECONDS / ROUNDS each, and each rate is
// its total count over its total time: this machine is shared and its load swings within one
// run, so measuring one after the other for 2 s each compared different loads (0.60x, 1.76x,
// 0.79x in three runs); in turns, each mode sees the same mix. Also shown: the median of
// the per-round ratios (adjacent measurements).
// The readers are shared: run it under the lock,
//   flock /tmp/medcard-vpcd.lock npm run bench -- sscard [seconds per measurement, default 3] [rounds, default 6]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcscChannel } from '../rigs';
import { median, ratioLine } from './format';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Math.max(1, Math.floor(Number(process.argv[3] ?? 6)));
const ROOT = path.resolve(__dirname, '..');
const LIB_DIR = path.join(ROOT, 'native', 'sscard');
const READER = 'Virtual PCD 00 00';

function build(): string {
  if (!fs.existsSync(path.join(LIB_DIR, 'build', 'libsscard.so'))) {
    const make = spawnSync('make', ['-C', LIB_DIR], { encoding: 'utf8' });
    if (make.status !== 0) throw new Error(`libsscard.so is not built and \`make -C native/sscard\` failed:\n${make.stderr}`);
  }
  const exe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-bench-sscard-')), 'sscard-bench');
  const pcsc = spawnSync('pkg-config', ['--cflags', '--libs', 'libpcsclite'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
  const cc = spawnSync('cc', ['-O2', '-I', LIB_DIR, '-o', exe, path.join(__dirname, 'sscard-bench.c'), ...pcsc,
    '-L', path.join(LIB_DIR, 'build'), '-lsscard', `-Wl,-rpath,${path.join(LIB_DIR, 'build')}`], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`compiling bench/sscard-bench.c failed:\n${cc.stderr}`);
  return exe;
}

const env = { ...process.env, SSCARD_READER: READER };
function run(exe: string, mode: string, duration: number): { count: number; seconds: number; perSecond: number } {
  const r = spawnSync(exe, [mode, String(duration)], { env, encoding: 'utf8', timeout: (duration + 30) * 1000 });
  if (r.status !== 0) throw new Error(`sscard-bench ${mode}: ${r.stderr}`);
  const [, count, seconds] = r.stdout.trim().split(/\s+/);
  return { count: Number(count), seconds: Number(seconds), perSecond: Number(count) / Number(seconds) };
}
/** The commands one sequence sends, from a trace (libsscard's SSCARD_TRACE or the bench's). */
function commands(exe: string, args: string[], extraEnv: Record<string, string>): string[] {
  const r = spawnSync(exe, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stderr.split('\n').filter((l) => /^(sscard )?> /.test(l)).map((l) => l.replace(/^(sscard )?> /, ''));
}

/** `medcard emulate` as a separate process (the card to the library is a real card); resolves once pcscd sees it. */
async function startEmulator(): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'medcard.js'), 'emulate', '--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', '35963'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`medcard emulate did not insert its card within 15 s:\n${out}`)), 15000);
    child.stdout!.on('data', (d) => { out += d; if (/inserted into vpcd/.test(out)) { clearTimeout(timer); resolve(); } });
    child.stderr!.on('data', (d) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`medcard emulate exited (${code}):\n${out}`)); });
  });
  const ch = new PcscChannel(READER);
  try {
    if (!(await ch.waitForCard(5000))) throw new Error(`pcscd shows no card in "${READER}"`);
  } finally {
    await ch.close();
  }
  return { stop: async () => { child.kill('SIGINT'); await exited; } };
}

async function main() {
  const exe = build();
  const emu = await startEmulator();
  try {
    const viaLib = commands(exe, ['lib', '0'], { SSCARD_TRACE: '1' });
    const direct = commands(exe, ['trace'], {});
    if (viaLib.join() !== direct.join()) throw new Error(`the anchor does not send what iReadCardBas sends:\nlib:    ${viaLib.join(' ')}\ndirect: ${direct.join(' ')}`);
    console.log(`one iReadCardBas = ${viaLib.length} APDUs: ${viaLib.join(' ')}`);
    const rounds: Record<'lib' | 'connect' | 'direct', Array<{ count: number; seconds: number; perSecond: number }>> = { lib: [], connect: [], direct: [] };
    for (let i = 0; i < ROUNDS; i++) for (const mode of ['lib', 'direct', 'connect'] as const) rounds[mode].push(run(exe, mode, SECONDS / ROUNDS));
    const summary = (mode: keyof typeof rounds) => ({
      count: rounds[mode].reduce((a, m) => a + m.count, 0),
      perSecond: rounds[mode].reduce((a, m) => a + m.count, 0) / rounds[mode].reduce((a, m) => a + m.seconds, 0),
      spread: rounds[mode].map((m) => m.perSecond.toFixed(0)).join(' '),
    });
    const lib = summary('lib');
    const connect = summary('connect');
    const anchor = summary('direct');
    const show = (label: string, m: { count: number; perSecond: number; spread: string }) =>
      console.log(`${label.padEnd(52)} ${m.perSecond.toFixed(0).padStart(6)} /s  (${(1000 / m.perSecond).toFixed(2)} ms each, ${m.count} in ${SECONDS} s; rounds: ${m.spread})`);
    show('iReadCardBas (libsscard)', lib);
    show('same APDUs, SCardConnect per sequence', connect);
    show('same APDUs, SCardTransmit on one connection', anchor);
    const perRound = median(rounds.lib.map((m, i) => m.perSecond / rounds.direct[i].perSecond));
    console.log(`median of the ${ROUNDS} per-round ratios iReadCardBas / SCardTransmit: ${perRound.toFixed(2)}x`);
    console.log(ratioLine('iReadCardBas via pcscd+vpcd', lib.perSecond, 'calls/s', 'same APDUs via SCardTransmit', anchor.perSecond, 'sequences/s'));
  } finally {
    await emu.stop();
    const ch = new PcscChannel(READER);
    try { await ch.waitForCard(5000, false); } finally { await ch.close(); }
  }
}

main().then(() => process.exit(0), (err) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
