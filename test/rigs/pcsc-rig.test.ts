// The pcsc rig against a card the harness does not control: `medcard emulate` runs as a separate
// process on vpcd's second reader, so to the rig it is a real card in a real reader
// (rigs/pcsc-vpcd.yaml). Failures: reader absent, no card (with the operator's message),
// card removed mid-scenario, a card swap asked of a real card.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCardProfile } from '../../emulator';
import { CapabilityMissingError, CardAbsentError, openRig, PcscChannel, ReaderError } from '../../rigs';
import { matchReaders } from '../../rigs/kinds/pcsc';
import { hexBytes, MEDCARD, ROOT, SELECT_SSSE, startEmulator } from './helpers';

const READER = 'Virtual PCD 00 01';
const PORT = '35964';
const zhangSan = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
const liSi = loadCardProfile(path.join(ROOT, 'fixtures/cards/li-si.yaml'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const external = () => startEmulator(['--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', PORT], READER);

/** After the emulator stops, pcscd takes a moment to see the reader empty. */
async function readerEmpty(): Promise<void> {
  const ch = new PcscChannel(READER);
  try {
    assert.ok(await ch.waitForCard(5000, false), `pcscd still shows a card in "${READER}" 5 s after the emulator stopped`);
  } finally {
    await ch.close();
  }
}

function rigFile(name: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-rigfile-'));
  fs.writeFileSync(path.join(dir, `${name}.yaml`), body);
  return path.join(dir, `${name}.yaml`);
}

describe('the pcsc rig, with a card served by a separate process', () => {
  test('reads the physical card; has no capabilities; refuses a card swap with the reason', async () => {
    const emu = await external();
    try {
      const rig = await openRig('pcsc-vpcd');
      try {
        assert.deepEqual([...rig.capabilities], []);
        const slot = await rig.insertCard(zhangSan);
        assert.equal(slot.card, undefined, 'a real card is out of the harness\'s reach');
        await slot.channel.powerOn();
        await slot.channel.transmit(hexBytes(SELECT_SSSE));
        assert.equal(hex(await slot.channel.transmit(hexBytes('00 B2 07 2C 0B'))), `0709${Buffer.from('A50000001').toString('hex').toUpperCase()}9000`);
        assert.deepEqual(slot.trace().map((e) => e.name), ['SELECT', 'READ RECORD']);
        await assert.rejects(rig.insertCard(liSi), (e: Error) => e instanceof CapabilityMissingError && e.capability === 'card-swap'
          && e.reason.includes('physical card A50000001 (张三)') && e.reason.includes(liSi.card.number));
      } finally {
        await rig.close();
      }
      const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', 'pcsc-vpcd'], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      for (const what of ['rig file', 'reader', 'card', 'SSSE', 'data', 'card 1/1', 'engine']) assert.match(check.stdout, new RegExp(`^ok\\s+${what}`, 'm'));
    } finally {
      await emu.stop();
      await readerEmpty();
    }
  });

  test('no card: the rig tells the operator what to insert, waits, and takes the card when it comes', async () => {
    const rig = await openRig('pcsc-vpcd', { insertTimeoutMs: 400 });
    try {
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e instanceof CardAbsentError
        && /no card in reader "Virtual PCD 00 01" after 0 s: insert the test card A50000001 \(张三\)/.test(e.message));
    } finally {
      await rig.close();
    }
    const waiting = await openRig('pcsc-vpcd', { insertTimeoutMs: 20_000 });
    let emu: Awaited<ReturnType<typeof external>> | undefined;
    try {
      const slot = waiting.insertCard(zhangSan);
      await new Promise((r) => setTimeout(r, 300));
      emu = await external();
      await (await slot).channel.powerOn();
    } finally {
      await waiting.close();
      await emu?.stop();
      await readerEmpty();
    }
    const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', 'pcsc-vpcd', '--insert-timeout', '0.3'], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    assert.equal(check.status, 1);
    assert.match(check.stdout, /FAIL\s+card\s+no card in "Virtual PCD 00 01" after 0.3 s: insert the test card A50000001/);
  });

  test('card removed mid-scenario: the next APDU fails with the reader\'s plain-words reason', async () => {
    const emu = await external();
    const rig = await openRig('pcsc-vpcd');
    try {
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      await slot.channel.transmit(hexBytes(SELECT_SSSE));
      await emu.stop();
      await assert.rejects(slot.channel.transmit(hexBytes('00 B2 07 2C 0B')), (e: Error) => e instanceof ReaderError && /Virtual PCD 00 01/.test(e.message) && /the card was removed during the operation: put it back and rerun the scenario/.test(e.message));
    } finally {
      await rig.close();
      await emu.stop();
      await readerEmpty();
    }
  });

  test('rig check checks every card of `cards:`: each reader, its card, SELECT SSSE, its data, a verdict line per card', async () => {
    const cards = (second: string) => rigFile('two', `kind: pcsc\ncards:\n  - { reader: "Virtual PCD 00 01", card: fixtures/cards/zhang-san.yaml }\n  - { reader: "Virtual PCD 00 00", card: ${second} }\nexclusive: "@rig-any"\n`);
    const check = (file: string) => spawnSync(process.execPath, [MEDCARD, 'rig', 'check', file, '--insert-timeout', '0.3'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const emu = await external();
    let other: Awaited<ReturnType<typeof external>> | undefined;
    try {
      // The second reader empty: the first card passes, the second fails with what to insert.
      let r = check(cards('fixtures/cards/li-si.yaml'));
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^ok\s+card 1\/2\s+A50000001 \(张三\) in reader "Virtual PCD 00 01": present, answers SELECT SSSE, reads as the rig file's card$/m);
      assert.match(r.stdout, /^FAIL\s+card\s+no card in "Virtual PCD 00 00" after 0.3 s: insert the test card B11000002 \(李四\)/m);
      assert.match(r.stdout, /^FAIL\s+card 2\/2\s+B11000002 \(李四\) in reader "Virtual PCD 00 00": card failed$/m);
      other = await startEmulator(['--card', 'fixtures/cards/li-si.yaml', '--vpcd-port', '35963'], 'Virtual PCD 00 00');
      // Another card than the rig file's in the second reader: its data says which.
      r = check(cards('fixtures/cards/chen-qi-lost.yaml'));
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^FAIL\s+data\s+EF05\/EF06 read: card B11000002 \(李四\), valid .*, but the rig file's card is A50000005 \(陈七\)/m);
      assert.match(r.stdout, /^FAIL\s+card 2\/2\s+A50000005 \(陈七\) in reader "Virtual PCD 00 00": data failed$/m);
      r = check(cards('fixtures/cards/li-si.yaml'));
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.stdout.match(/^ok\s+SSSE\s+SELECT SSSE → (9000|61[0-9A-F]{2})$/gm)?.length, 2, r.stdout);
      assert.match(r.stdout, /^ok\s+data\s+EF05\/EF06 read: card B11000002 \(李四\), valid \d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d, the rig file's card$/m);
      assert.match(r.stdout, /^ok\s+card 2\/2\s+B11000002 \(李四\) in reader "Virtual PCD 00 00": present/m);
    } finally {
      await other?.stop();
      await emu.stop();
      await readerEmpty();
    }
  });

  test('a card another program (not medcard) holds exclusively: named within 3 s; the run stops before any scenario; let go, the card reads', async () => {
    const emu = await external();
    const holder = spawn('/usr/bin/python3', [path.join(ROOT, 'test/rigs/tools/hold-reader.py'), READER], { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const gone = new Promise((r) => holder.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d) => { said += d; if (/held/.test(said)) resolve(); });
        holder.stderr!.on('data', (d) => { said += d; });
        holder.once('exit', (code) => reject(new Error(`hold-reader.py exited (${code}): ${said}`)));
      });
      const names = new RegExp(`another program has held the card exclusively for 3 s \\(SCARD_E_SHARING_VIOLATION\\): programs connected to pcscd now: .*pid ${holder.pid} \\(/usr/bin/python3 \\S*hold-reader.py Virtual PCD 00 01\\)`);
      const ch = new PcscChannel(READER);
      try {
        const t0 = Date.now();
        await assert.rejects(ch.powerOn(), (e: Error) => e instanceof ReaderError && names.test(e.message));
        const took = Date.now() - t0;
        console.log(`exclusive holder named after ${took} ms`);
        assert.ok(took >= 3000, `waited ${took} ms, at least the 3 s grace`);
      } finally {
        await ch.close();
      }
      const t0 = Date.now();
      const run = spawnSync(process.execPath, [MEDCARD, 'run', '--rig', 'pcsc-vpcd', '--reports', fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-held-')), 'features/chongqing-example.feature'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
      const out = run.stdout + run.stderr;
      console.log(`medcard run with the card held: exit ${run.status} after ${Date.now() - t0} ms`);
      assert.equal(run.status, 2, out.slice(-3000)); // set-up: the rig's card could not be read
      assert.match(out, names);
      assert.doesNotMatch(out, /\d+ passed/, 'no scenario ran');
      holder.kill();
      await gone;
      const after = new PcscChannel(READER);
      try {
        await after.powerOn();
        await after.transmit(hexBytes(SELECT_SSSE));
      } finally {
        await after.close();
      }
    } finally {
      holder.kill();
      await gone;
      await emu.stop();
      await readerEmpty();
    }
  });

  test('reader names with pcsc-lite\'s tail: a rig file may leave "[interface] 00 00" out; the exact name still wins', async () => {
    const known = ['ACS ACR39U ICC Reader 00 00', 'ACS ACR39U ICC Reader 01 00', 'Alcor Micro AU9560 [CCID Interface] 00 00', 'Gemalto PC Twin Reader (645D9E8F) 00 00', 'ACS ACR39U ICC Reader Plus 00 00', 'Virtual PCD 00 00'];
    assert.deepEqual(matchReaders('ACS ACR39U ICC Reader', known), ['ACS ACR39U ICC Reader 00 00', 'ACS ACR39U ICC Reader 01 00']);
    assert.deepEqual(matchReaders('Alcor Micro AU9560', known), ['Alcor Micro AU9560 [CCID Interface] 00 00']);
    assert.deepEqual(matchReaders('Gemalto PC Twin Reader', known), ['Gemalto PC Twin Reader (645D9E8F) 00 00']);
    assert.deepEqual(matchReaders('Virtual PCD 00 00', known), ['Virtual PCD 00 00']);
    assert.throws(() => matchReaders('ACS ACR39U', known), (e: Error) => e instanceof ReaderError && /no PC\/SC reader "ACS ACR39U"/.test(e.message), 'a part of the name is not a reader');
    // Live: "Virtual PCD" is both of vpcd's readers; worker 1 takes the second.
    const file = rigFile('prefix', 'kind: pcsc\nreader: Virtual PCD\ncard: fixtures/cards/zhang-san.yaml\n');
    const emu = await external();
    try {
      const rig = await openRig(file, { workerId: 1 });
      try {
        const slot = await rig.insertCard(zhangSan);
        assert.equal(slot.channel.name, READER);
        await slot.channel.powerOn();
      } finally {
        await rig.close();
      }
    } finally {
      await emu.stop();
      await readerEmpty();
    }
  });

  test('a card that answers with T=1: pcscd takes T=1, no 61xx to fetch, rig check and a feature pass', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-t1-'));
    const t1 = path.join(dir, 'zhang-san.yaml');
    fs.writeFileSync(t1, `${fs.readFileSync(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'), 'utf8')}\nprotocol: T=1\n`);
    const emu = await startEmulator(['--card', t1, '--vpcd-port', PORT], READER);
    try {
      const ch = new PcscChannel(READER);
      try {
        const atr = await ch.powerOn();
        assert.equal(ch.protocol, 'T=1', `ATR ${hex(atr)}`);
        assert.equal(hex(await ch.transmit(hexBytes(SELECT_SSSE))).slice(-4), '9000', 'T=1: the answer comes whole');
      } finally {
        await ch.close();
      }
      const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', 'pcsc-vpcd'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^ok\s+SSSE\s+SELECT SSSE → 9000$/m);
      const run = spawnSync(process.execPath, [MEDCARD, 'run', '--rig', 'pcsc-vpcd', '--quiet', '--reports', path.join(dir, 'reports'), 'features/chongqing-example.feature'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      assert.equal(run.status, 0, (run.stdout + run.stderr).slice(-3000));
      assert.match(run.stdout + run.stderr, /\d+ scenarios? \((\d+ skipped, )?\d+ passed\)/);
    } finally {
      await emu.stop();
      await readerEmpty();
    }
  });

  test('card removed and put back between scenarios: the rig waits for it and reads it again', async () => {
    const rig = await openRig('pcsc-vpcd', { insertTimeoutMs: 20_000 });
    let emu = await external();
    try {
      let slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      await slot.channel.transmit(hexBytes(SELECT_SSSE));
      await rig.removeCard();
      await emu.stop();
      await readerEmpty();
      // The next scenario's insertCard waits for the card (the operator puts it back).
      const next = rig.insertCard(zhangSan);
      await new Promise((r) => setTimeout(r, 300));
      emu = await external();
      slot = await next;
      await slot.channel.powerOn();
      await slot.channel.transmit(hexBytes(SELECT_SSSE));
      assert.equal(hex(await slot.channel.transmit(hexBytes('00 B2 07 2C 0B'))), `0709${Buffer.from('A50000001').toString('hex').toUpperCase()}9000`);
    } finally {
      await rig.close();
      await emu.stop();
      await readerEmpty();
    }
  });

  test('card gone for good mid-run: one wait of the timeout, then each later scenario fails at once with the reason, until the card is back', async () => {
    const rig = await openRig('pcsc-vpcd', { insertTimeoutMs: 1000 });
    let emu: Awaited<ReturnType<typeof external>> | undefined;
    try {
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e instanceof CardAbsentError && /after 1 s: insert the test card A50000001/.test(e.message));
      const t0 = Date.now();
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e instanceof CardAbsentError
        && /no card in reader "Virtual PCD 00 01" since \d{4}-\d\d-\d\dT.*\(waited 1 s for it then\): insert the test card A50000001 \(张三\) to go on; until then every scenario needing it fails at once/.test(e.message));
      console.log(`second scenario without the card failed after ${Date.now() - t0} ms`);
      emu = await external();
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      await slot.channel.transmit(hexBytes(SELECT_SSSE));
    } finally {
      await rig.close();
      await emu?.stop();
      await readerEmpty();
    }
  });

  test('reader absent: an exact name or a pattern that matches nothing lists the readers pcscd knows', async () => {
    for (const reader of ['ACME Reader 9', '/^Gemalto/']) {
      const file = rigFile('absent', `kind: pcsc\nreader: "${reader}"\ncard: fixtures/cards/zhang-san.yaml\n`);
      await assert.rejects(openRig(file), (e: Error) => e instanceof ReaderError && /no PC\/SC reader/.test(e.message) && /"Virtual PCD 00 00"/.test(e.message) && /fix `reader:`/.test(e.message));
    }
  });
});
