// native/sscard as a Windows DLL (SSCardDriver.dll, mingw, stdcall), loaded the way a Windows
// HIS loads a reader vendor's library (LoadLibrary + GetProcAddress by the undecorated name,
// test/sscard/sscard-win-cli.c) and run under Debian's Wine against a card served by a
// separate `medcard emulate` process through pcscd + vpcd.
//
// Debian 12's Wine 8.0 has a winscard.dll whose SCardEstablishContext is a stub
// (SCARD_F_INTERNAL_ERROR): the first describe proves that is where Wine's own winscard stops
// (or, on a Wine whose winscard reaches pcsc-lite, reads the card). The second runs the same
// .exe and .dll with native/sscard/wine-winscard, a winscard.dll for Wine 8.0 on pcsc-lite, and
// checks the 11 fields against the YAML profile read on its own (loadCardProfile).
// scripts/test.js holds /tmp/medcard-vpcd.lock for the run (the readers are shared).
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCardProfile, parseAtr } from '../../emulator';
import { PcscChannel } from '../../rigs';
import { ROOT, startEmulator } from '../rigs/helpers';
import { PORT_0, PORT_1, PSAM_PROFILE, card, expectedFields as expectedOf, fieldsOf as fieldsIn, psam, readYaml, withServed } from './helpers';

const SSCARD_DIR = path.join(ROOT, 'native', 'sscard');
const BUILD = path.join(SSCARD_DIR, 'build');
const DLL64 = path.join(BUILD, 'SSCardDriver.dll');
const DLL32 = path.join(BUILD, 'i686', 'SSCardDriver.dll');
const BRIDGE = path.join(BUILD, 'wine');
const PROFILE_FILE = path.join(ROOT, 'fixtures', 'cards', 'zhang-san.yaml');
const READER_0 = 'Virtual PCD 00 00';

// ---- the expected line, from the profile alone ------------------------------------------------
const profile = loadCardProfile(PROFILE_FILE);
const atr = parseAtr(Uint8Array.from(Buffer.from(profile.atr, 'hex')));
if (typeof atr === 'string') throw new Error(`${PROFILE_FILE}: its ATR does not parse: ${atr}`);
const historical = Buffer.from(atr.historical).toString('hex').toUpperCase();
const ymd = (d: string) => d.replace(/-/g, '');
function expectedFields(terminalNo = '', deviceNo = ''): string[] {
  const id = profile.card.identificationCode.toUpperCase();
  return [id.slice(0, 6), profile.holder.idNumber, profile.card.number, id, profile.holder.name, historical,
    profile.card.specVersion, ymd(profile.card.issueDate), ymd(profile.card.expiryDate), terminalNo, deviceNo];
}
/** The name in GBK, by the system's iconv (neither the emulator's encoder nor Windows'). */
const nameGbk = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: profile.holder.name }).stdout as Buffer;

function fieldsOf(out: Buffer, encoding: 'gbk' | 'utf-8'): string[] {
  assert.equal(out[out.length - 1], 0x7c, `the line ends with "|": ${out.toString('latin1')}`);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) if (out[i] === 0x7c) { parts.push(out.subarray(start, i)); start = i + 1; }
  assert.equal(parts.length, 11, `11 fields: ${out.toString('latin1')}`);
  return parts.map((p, i) => (i === 4 ? new TextDecoder(encoding, { fatal: true }).decode(p) : p.toString('latin1')));
}

// ---- the tools, each with the Debian package that has it -------------------------------------
const TOOLS: Array<[string, string]> = [
  ['x86_64-w64-mingw32-gcc', 'gcc-mingw-w64-x86-64'],
  ['i686-w64-mingw32-gcc', 'gcc-mingw-w64-i686'],
  ['i686-w64-mingw32-objdump', 'binutils-mingw-w64-i686'],
  ['wine', 'wine'],
  ['/usr/lib/wine/wine64', 'wine64'],
  ['winegcc', 'wine64-tools'],
  ['winebuild', 'wine64-tools'],
];
function missingPackages(): string[] {
  const missing = TOOLS.filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0).map(([, pkg]) => pkg);
  return [...new Set(missing)];
}

// ---- a PE file's exports and imports (enough of the format for that) ---------------------------
interface PeInfo { machine: number; imageBase: bigint; exports: Map<string, number>; imports: string[] }
function readPe(file: string): PeInfo {
  const b = fs.readFileSync(file);
  const pe = b.readUInt32LE(0x3c);
  assert.equal(b.toString('latin1', pe, pe + 4), 'PE\0\0', `${file} is not a PE file`);
  const machine = b.readUInt16LE(pe + 4);
  const nSections = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  const pe32plus = b.readUInt16LE(opt) === 0x20b;
  const imageBase = pe32plus ? b.readBigUInt64LE(opt + 24) : BigInt(b.readUInt32LE(opt + 28));
  const dirs = opt + (pe32plus ? 112 : 96);
  const sections = Array.from({ length: nSections }, (_, i) => {
    const s = opt + optSize + 40 * i;
    return { va: b.readUInt32LE(s + 12), size: Math.max(b.readUInt32LE(s + 8), b.readUInt32LE(s + 16)), raw: b.readUInt32LE(s + 20) };
  });
  const off = (rva: number) => {
    const s = sections.find((x) => rva >= x.va && rva < x.va + x.size);
    assert.ok(s, `RVA ${rva.toString(16)} is in no section of ${file}`);
    return rva - s.va + s.raw;
  };
  const cstr = (rva: number) => { const o = off(rva); return b.toString('latin1', o, b.indexOf(0, o)); };
  const exports = new Map<string, number>();
  const expRva = b.readUInt32LE(dirs);
  if (expRva) {
    const e = off(expRva);
    const n = b.readUInt32LE(e + 24), funcs = off(b.readUInt32LE(e + 28)), names = off(b.readUInt32LE(e + 32)), ords = off(b.readUInt32LE(e + 36));
    for (let i = 0; i < n; i++) exports.set(cstr(b.readUInt32LE(names + 4 * i)), b.readUInt32LE(funcs + 4 * b.readUInt16LE(ords + 2 * i)));
  }
  const imports: string[] = [];
  const impRva = b.readUInt32LE(dirs + 8);
  if (impRva) for (let d = off(impRva); b.readUInt32LE(d + 12) !== 0; d += 20) imports.push(cstr(b.readUInt32LE(d + 12)));
  return { machine, imageBase, exports, imports };
}

// ---- Wine ------------------------------------------------------------------------------------
let tmp = '';
let prefix = '';
let plainDir = '';   // the .exe and SSCardDriver.dll: Wine's own winscard.dll
let bridgedDir = ''; // the same and wine-winscard's winscard.dll beside them
const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SSCARD_') || k.startsWith('WINE')) delete env[k];
  return { ...env, WINEPREFIX: prefix, WINEDEBUG: '-all' };
};
interface Run { lines: string[]; stderr: string }
function wine(dir: string, args: string[], env: Record<string, string> = {}): Run {
  const bridged = dir === bridgedDir;
  const r = spawnSync('wine', [path.join(dir, 'sscard-win-cli.exe'), ...args], {
    cwd: dir,
    // winedbg.exe=d: a crash ends the process at once instead of starting Wine's debugger
    // PCSCBRIDGE_TRACE: the bridge's PC/SC calls on stderr, for the failure messages
    env: { ...baseEnv(), ...(bridged ? { WINEDLLOVERRIDES: 'winscard=n;winedbg.exe=d', WINEDLLPATH: BRIDGE, PCSCBRIDGE_TRACE: '1' } : { WINEDLLOVERRIDES: 'winscard=b;winedbg.exe=d' }), ...env },
    encoding: 'utf8',
    timeout: 120_000, // a busy 2-core machine: Wine's start-up alone can take seconds
  });
  assert.ifError(r.error);
  assert.equal(r.status, 0, `wine sscard-win-cli.exe ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return { lines: r.stdout.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== ''), stderr: r.stderr };
}
interface Call { rc: number; out: Buffer; why: string }
function call(dir: string, args: string[], env: Record<string, string> = {}): Call {
  const { lines, stderr } = wine(dir, args, env);
  assert.ok(lines.length >= 1 && /^-?\d+$/.test(lines[0]), `no return code from ${args.join(' ')}: ${lines.join(' | ')}`);
  const out = Buffer.from(lines[1] ?? '', 'hex');
  return { rc: Number(lines[0]), out, why: `${out.toString('latin1')}\n${stderr}` };
}

async function readerEmpty(reader: string): Promise<void> {
  const ch = new PcscChannel(reader);
  try {
    assert.ok(await ch.waitForCard(5000, false), `pcscd still shows a card in "${reader}" 5 s after the emulator stopped`);
  } finally {
    await ch.close();
  }
}
async function withCard(body: () => Promise<void> | void): Promise<void> {
  const emu = await startEmulator(['--card', PROFILE_FILE, '--vpcd-port', '35963'], READER_0);
  try {
    await body();
  } finally {
    await emu.stop();
    await readerEmpty(READER_0);
  }
}

let bootMs = 0;
before(() => {
  const missing = missingPackages();
  assert.deepEqual(missing, [], `missing Debian packages for the Windows DLL test: ${missing.join(' ')}\n` +
    `  install: apt-get install -y --no-install-recommends ${missing.join(' ')}   (\`npm run setup\` does it)`);
  const make = spawnSync('make', ['-C', SSCARD_DIR, '--no-print-directory', 'dll', 'dll32', 'wine-bridge'], { encoding: 'utf8' });
  assert.equal(make.status, 0, `make -C native/sscard dll dll32 wine-bridge failed:\n${make.stdout}${make.stderr}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-windll-'));
  prefix = path.join(tmp, 'prefix');
  plainDir = path.join(tmp, 'plain');
  bridgedDir = path.join(tmp, 'bridged');
  for (const dir of [plainDir, bridgedDir]) {
    fs.mkdirSync(dir);
    const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-Wall', '-Wextra', '-Werror', '-O2', '-o', path.join(dir, 'sscard-win-cli.exe'),
      path.join(__dirname, 'sscard-win-cli.c'), '-lwinscard'], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `compiling test/sscard/sscard-win-cli.c with mingw failed:\n${cc.stderr}`);
    fs.copyFileSync(DLL64, path.join(dir, 'SSCardDriver.dll'));
  }
  // the bridge: winscard.dll and the placeholder pcscbridge.dll where Windows looks for DLLs
  // (beside the .exe), the Winelib pcscbridge.dll.so through WINEDLLPATH
  for (const f of ['winscard.dll', 'pcscbridge.dll']) fs.copyFileSync(path.join(BRIDGE, f), path.join(bridgedDir, f));
  const t0 = Date.now();
  const boot = spawnSync('wineboot', ['-i'], { env: baseEnv(), encoding: 'utf8', timeout: 600_000 });
  bootMs = Date.now() - t0;
  assert.equal(boot.status, 0, `wineboot -i (WINEPREFIX=${prefix}) failed after ${bootMs} ms: ${boot.error ?? ''}${boot.stdout}${boot.stderr}`);
});
after(() => {
  if (prefix) spawnSync('wineserver', ['-k'], { env: baseEnv(), timeout: 30_000 }); // this prefix's server only
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The exports and their argument bytes on i686 (4 per argument), for the stdcall check. */
const STDCALL_ARGS: Record<string, number> = {
  iReadCardBas: 8, iVerifyPIN: 8, iVerifyPINEx: 12, iChangePIN: 8, iChangePINEx: 16, iReloadPIN: 12,
  iReadCardBas_HSM_Step1: 8, iReadCardBas_HSM_Step2: 8, Init: 8, ReadCardBas: 8,
};

describe('SSCardDriver.dll, the Windows build of libsscard', () => {
  test('x86_64 and i686: every function of sscard.h exported undecorated; PC/SC from WinSCard.dll; i686 callee-cleans (stdcall)', () => {
    for (const [file, machine] of [[DLL64, 0x8664], [DLL32, 0x14c]] as const) {
      const pe = readPe(file);
      assert.equal(pe.machine, machine, `${file}: machine ${pe.machine.toString(16)}`);
      const names = [...pe.exports.keys()];
      for (const name of Object.keys(STDCALL_ARGS)) assert.ok(names.includes(name), `${file} exports ${name}: ${names.join(', ')}`);
      for (const name of names) assert.match(name, /^[A-Za-z]\w*$/, `${file}: every export undecorated (no _name@n)`);
      assert.ok(pe.imports.some((d) => d.toLowerCase() === 'winscard.dll'), `${file} imports ${pe.imports.join(', ')}`);
      assert.ok(!pe.imports.some((d) => /pcsc|lib.*\.so/i.test(d)), `${file} imports ${pe.imports.join(', ')}`);
    }
    // stdcall on i686: the function pops its own arguments, so its first return is `ret $n`
    // with n = 4 bytes per argument (cdecl would be a plain `ret`).
    const pe32 = readPe(DLL32);
    for (const [name, bytes] of Object.entries(STDCALL_ARGS)) {
      const start = pe32.imageBase + BigInt(pe32.exports.get(name)!);
      const dis = spawnSync('i686-w64-mingw32-objdump', ['-d', `--start-address=0x${start.toString(16)}`, `--stop-address=0x${(start + 0x1000n).toString(16)}`, DLL32], { encoding: 'utf8' });
      assert.equal(dis.status, 0, dis.stderr);
      const ret = dis.stdout.split('\n').find((l) => /\tret\b/.test(l));
      assert.ok(ret, `${name}: no ret found`);
      assert.match(ret, new RegExp(`ret\\s+\\$0x${bytes.toString(16)}\\b`), `${name} returns with: ${ret}`);
    }
  });
});

describe('SSCardDriver.dll under Wine with its own winscard.dll', () => {
  test('LoadLibrary + GetProcAddress find the undecorated names; iReadCardBas on the emulated card goes as far as that winscard.dll lets it', async (t: TestContext) => {
    t.diagnostic(`wineboot -i of a new prefix: ${bootMs} ms`);
    const exp = new Map(wine(plainDir, ['exports']).lines.map((l) => l.split(' ') as [string, string]));
    assert.deepEqual(Object.fromEntries(exp), { iReadCardBas: '1', iVerifyPIN: '1', iVerifyPINEx: '1', '_iReadCardBas@8': '0', 'iReadCardBas@8': '0' });
    await withCard(() => {
      const probe = wine(plainDir, ['winscard']).lines;
      const established = probe.find((l) => l.startsWith('SCardEstablishContext '))?.split(' ')[1];
      assert.ok(established, `no SCardEstablishContext line: ${probe.join(' | ')}`);
      const r = call(plainDir, ['read', '1']);
      if (established === '00000000') {
        t.diagnostic('this Wine\'s winscard.dll reaches PC/SC: the card is read through it');
        assert.equal(r.rc, 0, r.out.toString('latin1'));
        assert.deepEqual(fieldsOf(r.out, 'gbk'), expectedFields());
      } else {
        // Debian 12's Wine 8.0: SCardEstablishContext is a stub answering 0x80100001.
        t.diagnostic(`Wine's own winscard.dll: SCardEstablishContext -> 0x${established}; iReadCardBas stops there: ${r.out.toString('latin1')}`);
        assert.equal(r.rc, -11, r.out.toString('latin1'));
        assert.match(r.out.toString('latin1'), /^no PC\/SC service/);
        if (established === '80100001') assert.match(r.out.toString('latin1'), /\(SCARD_F_INTERNAL_ERROR\)$/);
      }
    });
  });
});

describe('SSCardDriver.dll under Wine with the pcsc-lite bridge (native/sscard/wine-winscard)', () => {
  test('no card: -2; an unknown reader -11; a bad iType -14', async () => {
    await readerEmpty(READER_0);
    const probe = wine(bridgedDir, ['winscard']).lines;
    assert.ok(probe.includes('SCardEstablishContext 00000000') && probe.includes(`reader ${READER_0}`), `the bridge reaches pcscd: ${probe.join(' | ')}`);
    const none = call(bridgedDir, ['read', '1']);
    assert.equal(none.rc, -2, none.why);
    assert.match(none.out.toString(), /no card in any PC\/SC reader/);
    const unknown = call(bridgedDir, ['read', '1'], { SSCARD_READER: 'ACME Reader 9' });
    assert.equal(unknown.rc, -11, unknown.out.toString());
    assert.match(unknown.out.toString(), /no PC\/SC reader named "ACME Reader 9"/);
    assert.equal(call(bridgedDir, ['read', '9']).rc, -14);
  });

  test('the 11 fields match the profile, the name in GBK by default; terminal fields from the environment, also when set at run time', async (t: TestContext) => {
    await withCard(() => {
      const r = call(bridgedDir, ['read', '1']);
      assert.equal(r.rc, 0, r.why);
      assert.deepEqual(fieldsOf(r.out, 'gbk'), expectedFields());
      assert.ok(r.out.includes(nameGbk), `the name's bytes are GBK (${nameGbk.toString('hex')}): ${r.out.toString('hex')}`);

      const e = call(bridgedDir, ['read', '1'], { SSCARD_TERMINAL_NO: 'T0001', SSCARD_DEVICE_NO: 'DEV-42', SSCARD_READER: READER_0 });
      assert.equal(e.rc, 0, e.why);
      assert.deepEqual(fieldsOf(e.out, 'gbk'), expectedFields('T0001', 'DEV-42'));
      // SetEnvironmentVariable after start, as a HIS configures the library: not in the C runtime's copy
      const s = call(bridgedDir, ['-env', 'SSCARD_TERMINAL_NO=T0002', '-env', `SSCARD_READER=${READER_0}`, 'read', '1']);
      assert.equal(s.rc, 0, s.why);
      assert.deepEqual(fieldsOf(s.out, 'gbk'), expectedFields('T0002'));
      const wrongReader = call(bridgedDir, ['-env', 'SSCARD_READER=Virtual PCD 00 01', 'read', '1']);
      assert.equal(wrongReader.rc, -2, wrongReader.out.toString());

      const n = 20;
      const b = wine(bridgedDir, ['bench', '1', String(n)]).lines;
      assert.equal(b[0], '0', `bench: ${b.join(' | ')}`);
      const ms = Number(b[1]);
      t.diagnostic(`under Wine + bridge: ${n} iReadCardBas in one process in ${ms.toFixed(0)} ms = ${(n / (ms / 1000)).toFixed(0)} calls/s`);
    });
  });

  test('SSCARD_ENCODING=utf-8: the name converted from code page 936 to UTF-8; iType 3 (auto) reads the contact card; iVerifyPIN', async () => {
    await withCard(() => {
      const u = call(bridgedDir, ['read', '3'], { SSCARD_ENCODING: 'utf-8' });
      assert.equal(u.rc, 0, u.why);
      assert.equal(u.out.toString('utf8'), expectedFields().join('|') + '|');
      const wrong = profile.pin.value === '000000' ? '111111' : '000000';
      const w = call(bridgedDir, ['verify', '1'], { SSCARD_PIN: wrong });
      assert.equal(w.rc, -51, w.out.toString());
      assert.equal(w.out.toString(), String(profile.pin.tries - 1), 'pOutInfo holds the tries left');
      assert.equal(call(bridgedDir, ['verify', '1'], { SSCARD_PIN: profile.pin.value }).rc, 0, 'the right PIN');
      assert.equal(call(bridgedDir, ['verify', '1']).rc, -14, 'no SSCARD_PIN');
    });
  });
});

describe('SSCardDriver.dll under Wine with the bridge: a third-generation card and its PSAM', () => {
  test('external authentication through the PSAM in the other reader (both readers hold cards), every field; field 10 is the PSAM terminal number', async () => {
    const gen3 = path.join(ROOT, 'fixtures', 'cards', 'zhang-san-3g.yaml');
    const terminalNo = String(readYaml(PSAM_PROFILE).terminalNumber);
    await withServed([card(gen3, PORT_0), psam(PORT_1)], () => {
      const r = call(bridgedDir, ['read', '1'], { SSCARD_DEVICE_NO: 'DEV-7' });
      assert.equal(r.rc, 0, r.why);
      assert.deepEqual(fieldsIn(r.out, 'gbk'), expectedOf(gen3, { terminalNo, deviceNo: 'DEV-7' }));
      const u = call(bridgedDir, ['read', '1'], { SSCARD_ENCODING: 'utf-8', SSCARD_READER: READER_0, SSCARD_PSAM_READER: 'Virtual PCD 00 01' });
      assert.equal(u.rc, 0, u.why);
      assert.deepEqual(fieldsIn(u.out, 'utf-8'), expectedOf(gen3, { terminalNo }));
    });
  });
});
