// Shared by the libsscard tests: build the library and the C caller, run the C and Python
// callers, serve cards and the PSAM with separate `medcard emulate` processes, and compute
// expectations from the YAML profiles alone (never from the library's output).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAtr } from '../../emulator';
import { PcscChannel } from '../../rigs';
import { ROOT, startEmulator } from '../rigs/helpers';

export { ROOT };
export const LIB_DIR = path.join(ROOT, 'native', 'sscard');
export const LIB = path.join(LIB_DIR, 'build', 'libsscard.so');
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const READER_0 = 'Virtual PCD 00 00';
export const READER_1 = 'Virtual PCD 00 01';
export const PORT_0 = 35963;
export const PORT_1 = 35964;
export const PSAM_PROFILE = path.join(ROOT, 'fixtures', 'psam', 'test-psam.yaml');

export type Yaml = any;
export const readYaml = (file: string): Yaml => parseYaml(fs.readFileSync(file, 'utf8'));
const ymd = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v)).replace(/-/g, '');
const hexOfText = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

/** Historical bytes of an ATR given in a profile as hex text. */
export function historicalOf(atrText: string): string {
  const atr = Uint8Array.from(Buffer.from(atrText.replace(/\s+/g, ''), 'hex'));
  return Buffer.from((parseAtr(atr) as { historical: Uint8Array }).historical).toString('hex').toUpperCase();
}

/** The expected 11 fields of a profile (card-spec §6), name = EF06/09 + the extension EF06/4E. */
export function expectedFields(profileFile: string, o: { terminalNo?: string; deviceNo?: string; contactless?: boolean } = {}): string[] {
  const y = readYaml(profileFile);
  const id = path.basename(profileFile, '.yaml');
  // card-spec §1 Decision: with no `atr:` the historical bytes spell the profile's id (its file name)
  const hist = o.contactless
    ? (y.gen3?.contactlessAtr ? historicalOf(String(y.gen3.contactlessAtr)) : hexOfText(id.slice(0, 15)))
    : (y.atr ? historicalOf(String(y.atr)) : hexOfText(id));
  const idCode = String(y.card.identificationCode).toUpperCase();
  const name = String(y.holder.name) + String(y.gen3?.nameExtension ?? '');
  return [idCode.slice(0, 6), String(y.holder.idNumber), String(y.card.number), idCode, name, hist,
    String(y.card.specVersion), ymd(y.card.issueDate), ymd(y.card.expiryDate), o.terminalNo ?? '', o.deviceNo ?? ''];
}

/** Fields separated and each followed by `|`; the name field (index 4) decoded from `encoding`. */
export function fieldsOf(out: Buffer, encoding: 'gbk' | 'utf-8', count = 11, nameAt = 4): string[] {
  assert.equal(out[out.length - 1], 0x7c, `the line ends with "|": ${out.toString('latin1')}`);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) if (out[i] === 0x7c) { parts.push(out.subarray(start, i)); start = i + 1; }
  assert.equal(parts.length, count, `${count} fields: ${out.toString('latin1')}`);
  return parts.map((p, i) => (i === nameAt ? new TextDecoder(encoding, { fatal: true }).decode(p) : p.toString('latin1')));
}

// ---- callers ---------------------------------------------------------------------------------

let tmpDir = '';
let cliPath = '';
export const tmp = () => tmpDir;

/** Build libsscard (if needed) and the C caller; call from `before`. */
export function setUp(): void {
  const make = spawnSync('make', ['-C', LIB_DIR], { encoding: 'utf8' });
  assert.equal(make.status, 0, `\`make -C native/sscard\` failed:\n${make.stderr}`);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-sscard-'));
  cliPath = path.join(tmpDir, 'sscard-cli');
  const cc = spawnSync('cc', ['-Wall', '-Werror', '-I', LIB_DIR, '-o', cliPath, path.join(__dirname, 'sscard-cli.c'), '-L', path.dirname(LIB), '-lsscard', `-Wl,-rpath,${path.dirname(LIB)}`, '-pthread'], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `compiling test/sscard/sscard-cli.c failed:\n${cc.stderr}`);
}
export function tearDown(): void {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SSCARD_')) delete env[k];
  return env;
};
export interface Call { rc: number; out: Buffer; more: Buffer[] }
/** "<rc>\n<line>\n[<line>\n…]"; hex lines (Python) decoded to bytes. */
function parseCall(stdout: Buffer, hex: boolean, what: string): Call {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < stdout.length; i++) if (stdout[i] === 0x0a) { lines.push(stdout.subarray(start, i)); start = i + 1; }
  assert.ok(lines.length >= 2, `${what} printed no return code and output: ${stdout.toString()}`);
  const dec = (b: Buffer) => (hex ? Buffer.from(b.toString().trim(), 'hex') : Buffer.from(b));
  return { rc: Number(lines[0].toString()), out: dec(lines[1]), more: lines.slice(2).map(dec) };
}
export function c(args: string[], env: Record<string, string> = {}): Call {
  const r = spawnSync(cliPath, args, { env: { ...baseEnv(), ...env }, timeout: 30000 });
  assert.equal(r.status, 0, `sscard-cli ${args.join(' ')}: ${r.stderr}`);
  return parseCall(r.stdout, false, 'sscard-cli');
}
/** The C caller with its stderr (SSCARD_TRACE writes there). */
export function cTraced(args: string[], env: Record<string, string> = {}): { call: Call; stderr: string } {
  const r = spawnSync(cliPath, args, { env: { ...baseEnv(), ...env }, timeout: 30000 });
  assert.equal(r.status, 0, `sscard-cli ${args.join(' ')}: ${r.stderr}`);
  return { call: parseCall(r.stdout, false, 'sscard-cli'), stderr: r.stderr.toString() };
}
export function py(args: string[], env: Record<string, string> = {}): Call {
  const r = spawnSync(PYTHON, [path.join(__dirname, 'sscard_ctypes.py'), LIB, ...args], { env: { ...baseEnv(), ...env }, timeout: 30000 });
  assert.equal(r.status, 0, `sscard_ctypes.py ${args.join(' ')}: ${r.stderr}`);
  return parseCall(r.stdout, true, 'sscard_ctypes.py');
}

/**
 * The two-step HSM read in one caller process (Step1 and Step2 share its state): Step1's
 * output goes to `hsm`, which plays the encryption machine and returns pKey for Step2.
 */
export async function twoStep(caller: 'c' | 'py', iType: number, hsm: (step1: Call) => string, env: Record<string, string> = {}): Promise<{ step1: Call; step2: Call }> {
  const [cmd, args, hex] = caller === 'c' ? [cliPath, ['hsm', String(iType)], false] : [PYTHON, [path.join(__dirname, 'sscard_ctypes.py'), LIB, 'hsm', String(iType)], true];
  const child = spawn(cmd, args, { env: { ...baseEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let err = '';
  let step1: Call | null = null;
  child.stderr!.on('data', (d) => { err += d; });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d: Buffer) => {
    out = Buffer.concat([out, d]);
    if (!step1 && out.filter((b) => b === 0x0a).length >= 2) {
      step1 = parseCall(out, hex, `${caller} hsm step 1`);
      child.stdin!.end(`${hsm(step1)}\n`);
    }
  });
  const code = await done;
  assert.equal(code, 0, `${caller} hsm: ${err}`);
  assert.ok(step1, `${caller} hsm printed no Step1 output: ${out.toString()}`);
  const nl = out.indexOf(0x0a, out.indexOf(0x0a) + 1);
  return { step1: step1!, step2: parseCall(out.subarray(nl + 1), hex, `${caller} hsm step 2`) };
}

// ---- the HSM's arithmetic, from the profiles' keys (the emulator's Decisions, emulator/README.md) ----

function sm4(key: Buffer, block: Buffer): Buffer {
  const ci = crypto.createCipheriv('sm4-ecb', key, null);
  ci.setAutoPadding(false);
  return Buffer.concat([ci.update(block), ci.final()]);
}
/**
 * pKey for Step2 from Step1's fields: the internal-authentication result (SM4 of factor ‖ data
 * under the card's auth key, 8 bytes), the data again, `|`, the external factor and its
 * cryptogram (SM4 of factor ‖ 80 00… under the card key = SM4(master key, card id code)).
 */
export function hsmKey(step1Fields: string[], profile: Yaml, o: { wrongInternal?: boolean; wrongCryptogram?: boolean } = {}): string {
  const [, , , idCode, factor, data, extFactor] = step1Fields;
  const internal = sm4(Buffer.from(profile.auth.key, 'hex'), Buffer.from(factor + data, 'hex')).subarray(0, 8);
  if (o.wrongInternal) internal[0] ^= 0x01;
  const cardKey = sm4(Buffer.from(profile.gen3.masterKey, 'hex'), Buffer.from(idCode, 'hex'));
  const crypt = sm4(cardKey, Buffer.concat([Buffer.from(extFactor, 'hex'), Buffer.from('8000000000000000', 'hex')])).subarray(0, 8);
  if (o.wrongCryptogram) crypt[0] ^= 0x01;
  return `${internal.toString('hex')}${data}|${extFactor}${crypt.toString('hex')}`.toUpperCase();
}

// ---- cards and the PSAM in the virtual readers ----------------------------------------------

export async function readerEmpty(reader: string): Promise<void> {
  const ch = new PcscChannel(reader);
  try {
    assert.ok(await ch.waitForCard(5000, false), `pcscd still shows a card in "${reader}" 5 s after the emulator stopped`);
  } finally {
    await ch.close();
  }
}

export interface Served { args: string[]; port: number }
export const card = (profile: string, port: number, contactless = false): Served =>
  ({ args: ['--card', profile, ...(contactless ? ['--contactless'] : [])], port });
export const psam = (port: number): Served => ({ args: ['--psam', PSAM_PROFILE], port });
const readerOf = (port: number) => (port === PORT_0 ? READER_0 : READER_1);

/** Serve the given cards (each a separate `medcard emulate`), run body, stop them and wait until pcscd sees the readers empty. */
export async function withServed(served: Served[], body: () => Promise<void> | void): Promise<void> {
  const running: Array<{ stop: () => Promise<number | null>; reader: string }> = [];
  try {
    for (const s of served) {
      const emu = await startEmulator([...s.args, '--vpcd-port', String(s.port)], readerOf(s.port));
      running.push({ stop: () => emu.stop(), reader: readerOf(s.port) });
    }
    await body();
  } finally {
    for (const r of running) await r.stop();
    for (const r of running) await readerEmpty(r.reader);
  }
}
