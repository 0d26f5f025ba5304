// The serial rig end to end on socat pseudo-terminal pairs (no mocks): the harness-served card,
// a card served by a separate `medcard emulate --serial` process, and the faults a real line
// has — a line cut mid-frame, garbage, silence, no device, no card — each a clear ReaderError
// within the timeout, and a visit cut mid-card leaves the engine ledger unchanged.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerialPort } from 'serialport';
import { EmulatedCard, loadCardProfile } from '../../emulator';
import { CapabilityMissingError, CardAbsentError, encodeFrame, makePtyPair, openRig, ReaderError, ResyncDecoder, SerialCardServer, SerialChannel, type PtyPair, type ReadCard } from '../../rigs';
import type { SerialRig } from '../../rigs/kinds/serial';
import { parseRigFile, RigFileError } from '../../rigs/files';
import { CardSession } from '../../terminal';
import { hexBytes, MEDCARD, ROOT, SELECT_SSSE } from '../rigs/helpers';

const zhangSan = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
const liSi = loadCardProfile(path.join(ROOT, 'fixtures/cards/li-si.yaml'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const READ_CARD_NO = hexBytes('00 B2 07 2C 0B');
const cardNumberRecord = (n: string) => `0709${Buffer.from(n, 'ascii').toString('hex').toUpperCase()}9000`;

function socatInstalled() {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8' });
  assert.ok(!r.error, 'socat is missing: apt-get install socat (or npm run setup)');
}

/** A rig file in a temp folder, for a rig that points at a given device. */
function rigFile(name: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-rigfile-'));
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, body);
  return file;
}

/** The far end as a raw port, for scripting faults byte by byte. */
async function rawPort(p: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: p, baudRate: 115200, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}
const closePort = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

/** Resolves within `ms` or fails the test: nothing on a serial line may hang. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms (a hang)`)), ms); })]).finally(() => clearTimeout(timer));
}

describe('ResyncDecoder', () => {
  test('frames split anywhere come out whole', () => {
    const d = new ResyncDecoder();
    const bytes = Buffer.concat([encodeFrame(hexBytes('01')), encodeFrame(hexBytes('00A4040000'))]);
    const out: Buffer[] = [];
    for (const b of bytes) out.push(...d.push(Uint8Array.of(b), 0));
    assert.deepEqual(out.map(hex), ['01', '00A4040000']);
  });

  test('garbage before a frame is dropped and the frame still found (resynchronisation)', () => {
    const d = new ResyncDecoder();
    const out = d.push(Buffer.concat([Buffer.from('FFFF0000', 'hex'), encodeFrame(hexBytes('9000'))]), 0);
    assert.deepEqual(out.map(hex), ['9000']);
    assert.equal(d.dropped, 4);
  });

  test('a frame left half-sent longer than the inter-byte timeout is dropped', () => {
    const d = new ResyncDecoder(261, 50);
    assert.deepEqual(d.push(Buffer.from('000A0102', 'hex'), 0), []);
    assert.deepEqual(d.partial, { have: 4, want: 12 });
    assert.deepEqual(d.push(encodeFrame(hexBytes('6A82')), 100).map(hex), ['6A82']);
    assert.equal(d.dropped, 4);
  });
});

describe('the serial rig (harness-served card on a pty)', () => {
  test('a card inserted answers SELECT SSSE and READ RECORD; card state and card swap reach the far end', async () => {
    socatInstalled();
    const rig = await openRig('serial');
    try {
      assert.deepEqual([...rig.capabilities].sort(), ['card-remove', 'card-state', 'card-swap']);
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      assert.match(hex(await slot.channel.transmit(hexBytes(SELECT_SSSE))), /^(9000|61..)$/);
      assert.equal(hex(await slot.channel.transmit(READ_CARD_NO)), cardNumberRecord('A50000001'));
      assert.deepEqual(slot.trace().map((e) => e.name), ['SELECT', 'READ RECORD']);
      slot.card!.setPinTriesLeft(0);
      assert.equal(hex(await slot.channel.transmit(hexBytes('00 20 00 00 03 24 68 10'))), '6983');
      const other = await rig.insertCard(liSi);
      await other.channel.powerOn();
      await other.channel.transmit(hexBytes(SELECT_SSSE));
      assert.equal(hex(await other.channel.transmit(READ_CARD_NO)), cardNumberRecord(liSi.card.number));
    } finally {
      await rig.close();
    }
  });

  test('eject on cue: a removal event, then transmit and powerOn fail with clear errors', async () => {
    const rig = await openRig('serial');
    try {
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      const events: boolean[] = [];
      slot.channel.onPresence((p) => events.push(p));
      await rig.removeCard();
      assert.deepEqual(events, [false]);
      await assert.rejects(slot.channel.transmit(hexBytes(SELECT_SSSE)), (e: Error) => e instanceof ReaderError && /not powered/.test(e.message));
      await assert.rejects(slot.channel.powerOn(), CardAbsentError);
    } finally {
      await rig.close();
    }
  });

  test('card removed mid-scenario (the robot ejects between APDUs): the next APDU says the card was removed', async () => {
    const rig = (await openRig('serial')) as SerialRig;
    try {
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      await slot.channel.transmit(hexBytes(SELECT_SSSE));
      rig.farEnd!.setCard(new EmulatedCard(zhangSan), false); // pulled at the far end, not by the host
      await assert.rejects(slot.channel.transmit(READ_CARD_NO), (e: Error) => e instanceof ReaderError && /removed during the operation/.test(e.message));
      assert.equal(slot.channel.isCardPresent(), false);
    } finally {
      await rig.close();
    }
  });
});

describe('a card served by a separate `medcard emulate --serial` process', () => {
  test('the rig sees it as a real card: reads it, swaps are refused with the reason, rig check passes', async () => {
    socatInstalled();
    const pair = await makePtyPair();
    const child = spawn(process.execPath, [MEDCARD, 'emulate', '--card', 'fixtures/cards/zhang-san.yaml', '--serial', pair.b, '--baud', '115200'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const file = rigFile('robot', `kind: serial\ndescription: external card on ${pair.a}\ncard: fixtures/cards/zhang-san.yaml\nserial: { path: ${pair.a}, baudRate: 115200, timeoutMs: 1000 }\ncapabilities: [card-remove]\n`);
    try {
      await within(30_000, new Promise<void>((resolve, reject) => { // a generous start-up limit for a busy machine
        const check = () => { if (/inserted on serial line/.test(out)) resolve(); };
        child.stdout!.on('data', check);
        child.on('exit', (code) => reject(new Error(`medcard emulate exited (${code}):\n${out}`)));
      }), 'medcard emulate --serial');
      const rig = await openRig(file);
      try {
        assert.deepEqual([...rig.capabilities], ['card-remove']);
        const slot = await rig.insertCard(zhangSan);
        assert.equal(slot.card, undefined, 'the harness does not control this card');
        await slot.channel.powerOn();
        await slot.channel.transmit(hexBytes(SELECT_SSSE));
        assert.equal(hex(await slot.channel.transmit(READ_CARD_NO)), cardNumberRecord('A50000001'));
        await assert.rejects(rig.insertCard(liSi), (e: Error) => e instanceof CapabilityMissingError && e.capability === 'card-swap' && /A50000001/.test(e.message));
      } finally {
        await rig.close();
      }
      const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', file], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /ok\s+SSSE\s+SELECT SSSE → (9000|61..)/);
    } finally {
      child.kill('SIGTERM');
      await pair.close();
    }
  });
});

describe('a card robot on the line: slots, swapped in by control codes 13 and 20+k', () => {
  const chenQi = loadCardProfile(path.join(ROOT, 'fixtures/cards/chen-qi-lost.yaml'));
  const read = async (ch: Parameters<ReadCard>[0]) => {
    const d = await new CardSession(ch).read();
    return { holder: { ...zhangSan.holder, name: d.name, idNumber: d.idNumber }, card: { ...zhangSan.card, number: d.cardNumber, identificationCode: d.identificationCode } };
  };

  test('the host asks how many slots, swaps each card in (its ATR back), and an empty or missing slot says so', async () => {
    const pair = await makePtyPair();
    const server = await SerialCardServer.open({ path: pair.b, slots: [new EmulatedCard(zhangSan), new EmulatedCard(liSi)] });
    const ch = await SerialChannel.open({ path: pair.a, timeoutMs: 1000 });
    try {
      assert.equal(await ch.slotCount(), 2);
      assert.equal(hex(await ch.selectSlot(1)), liSi.atr.toUpperCase());
      assert.equal(ch.isCardPresent(), true);
      await ch.powerOn();
      await ch.transmit(hexBytes(SELECT_SSSE));
      assert.equal(hex(await ch.transmit(READ_CARD_NO)), cardNumberRecord('B11000002'));
      assert.equal(hex(await ch.selectSlot(0)), zhangSan.atr.toUpperCase());
      await assert.rejects(ch.transmit(READ_CARD_NO), /not powered/, 'a card swapped in is unpowered');
      await ch.powerOn();
      await ch.transmit(hexBytes(SELECT_SSSE));
      assert.equal(hex(await ch.transmit(READ_CARD_NO)), cardNumberRecord('A50000001'));
      assert.equal(server.currentSlot, 0);
      await assert.rejects(ch.selectSlot(5), (e: Error) => e instanceof CardAbsentError && /slot 5 of the card robot on .* is empty/.test(e.message));
      assert.equal(ch.isCardPresent(), false);
      await assert.rejects(ch.selectSlot(16), (e: Error) => e instanceof ReaderError && /slot 16 does not exist/.test(e.message));
    } finally {
      await ch.close();
      await server.close();
      await pair.close();
    }
  });

  test('a far end that does not know the codes (FF): one slot, and a swap is refused naming what is needed', async () => {
    const pair = await makePtyPair();
    const far = await rawPort(pair.b);
    // Answers every frame with FF, "unknown code" (the presence probe at open too: the channel takes no card).
    far.on('data', () => far.write(encodeFrame(Uint8Array.of(0xff))));
    const ch = await SerialChannel.open({ path: pair.a, timeoutMs: 500 });
    try {
      assert.equal(await ch.slotCount(), 1);
      await assert.rejects(ch.selectSlot(1), (e: Error) => e instanceof ReaderError && /does not swap cards \(control code 21 unknown\): a rig file with `cards:` needs a card robot/.test(e.message));
    } finally {
      await ch.close();
      await closePort(far);
      await pair.close();
    }
  });

  test('the rig reads each slot\'s card once, swaps to the card a scenario asks for, refuses one it lacks', async () => {
    const pair = await makePtyPair();
    const server = await SerialCardServer.open({ path: pair.b, slots: [new EmulatedCard(zhangSan), new EmulatedCard(liSi)] });
    const body = (third = '') => `kind: serial\nserial: { path: ${pair.a}, baudRate: 115200, timeoutMs: 1000 }\ncards:\n  - { slot: 0, card: fixtures/cards/zhang-san.yaml }\n  - { slot: 1, card: fixtures/cards/li-si.yaml }\n${third}`;
    const rig = await openRig(rigFile('robot', body()));
    try {
      const held = await rig.heldCards!(read);
      assert.deepEqual(held.map((h) => [h.reader, h.profile.card.number]), [[`serial:${pair.a} slot 0`, 'A50000001'], [`serial:${pair.a} slot 1`, 'B11000002']]);
      for (const [profile, number] of [[liSi, 'B11000002'], [zhangSan, 'A50000001'], [liSi, 'B11000002']] as const) {
        const slot = await rig.insertCard(profile);
        await slot.channel.powerOn();
        await slot.channel.transmit(hexBytes(SELECT_SSSE));
        assert.equal(hex(await slot.channel.transmit(READ_CARD_NO)), cardNumberRecord(number));
      }
      assert.equal(server.currentSlot, 1);
      await assert.rejects(rig.insertCard(chenQi), (e: Error) => e instanceof CapabilityMissingError && e.capability === 'card-swap'
        && /has only cards A50000001 \(张三\) in slot 0, B11000002 \(李四\) in slot 1 behind serial:/.test(e.reason));
    } finally {
      await rig.close();
    }
    const more = await openRig(rigFile('robot3', body('  - { slot: 2, card: fixtures/cards/chen-qi-lost.yaml }\n')));
    try {
      await assert.rejects(more.heldCards!(read), (e: Error) => e instanceof ReaderError && /has 2 slot\(s\) \(0–1\), but the rig file puts a card in slot 2/.test(e.message));
    } finally {
      await more.close();
      await server.close();
      await pair.close();
    }
  });

  test('rig file: cards: needs serial.path, not with card:, each slot once', () => {
    const problems = (text: string) => { try { parseRigFile(text, path.join(ROOT, 'rigs', 'x.yaml')); return ''; } catch (e) { assert.ok(e instanceof RigFileError, String(e)); return e.message; } };
    const slots = 'cards:\n  - { slot: 0, card: fixtures/cards/zhang-san.yaml }\n  - { slot: 0, card: fixtures/cards/li-si.yaml }\n';
    assert.match(problems(`kind: serial\n${slots}`), /cards: a card robot's slots need serial.path/);
    const both = problems(`kind: serial\nserial: { path: /dev/ttyUSB0 }\ncard: fixtures/cards/zhang-san.yaml\n${slots}`);
    assert.match(both, /card: give either card or cards:/);
    assert.match(both, /x.yaml:6: cards\[1\].slot: slot 0 is listed twice/);
    assert.match(problems('kind: serial\nserial: { path: /dev/ttyUSB0 }\ncards:\n  - { slot: 16, card: fixtures/cards/zhang-san.yaml }\n'), /a slot number, 0–15/);
    assert.equal(problems('kind: serial\nserial: { path: /dev/ttyUSB0 }\ncards:\n  - { slot: 0, card: fixtures/cards/zhang-san.yaml }\n  - { slot: 3, card: fixtures/cards/li-si.yaml }\n'), '');
  });
});

describe('serial faults: a clear error each, never a hang', () => {
  async function hostAndRaw(timeoutMs = 500): Promise<{ pair: PtyPair; ch: SerialChannel; far: SerialPort; close(): Promise<void> }> {
    const pair = await makePtyPair();
    const far = await rawPort(pair.b);
    // The far end answers the presence probe at open with "present".
    far.once('data', () => far.write(encodeFrame(Uint8Array.of(0x01))));
    const ch = await SerialChannel.open({ path: pair.a, timeoutMs });
    return { pair, ch, far, async close() { await ch.close(); await closePort(far); await pair.close(); } };
  }

  test('reader absent: a device that does not exist says what to check', async () => {
    await assert.rejects(SerialChannel.open({ path: '/dev/ttyMEDCARD-none' }), (e: Error) => e instanceof ReaderError && /no such device/.test(e.message) && /socat|plugged/.test(e.message));
    const file = rigFile('absent', 'kind: serial\nserial: { path: /dev/ttyMEDCARD-none, baudRate: 115200 }\n');
    const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', file], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    assert.equal(check.status, 1);
    assert.match(check.stdout, /FAIL\s+reader\s+serial line \/dev\/ttyMEDCARD-none: cannot open/);
  });

  test('no card: the robot is empty; insertCard says to load the card', async () => {
    const pair = await makePtyPair();
    const server = await SerialCardServer.open({ path: pair.b });
    const file = rigFile('empty', `kind: serial\ncard: fixtures/cards/zhang-san.yaml\nserial: { path: ${pair.a}, baudRate: 115200, timeoutMs: 500 }\n`);
    const rig = await openRig(file);
    try {
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e instanceof CardAbsentError && /no card to insert: load the test card A50000001/.test(e.message));
    } finally {
      await rig.close();
      await server.close();
      await pair.close();
    }
  });

  test('silence: no answer within the timeout is a ReaderError naming the line, the timeout and the baud rate', async () => {
    const h = await hostAndRaw(300);
    try {
      // The 300 ms timeout, not a hang: a generous 10 s limit for a busy machine.
      const started = Date.now();
      await within(10_000, assert.rejects(h.ch.request(Uint8Array.of(0x12)), (e: Error) => e instanceof ReaderError && /no answer to control code 12 within 300 ms at 115200 baud/.test(e.message)), 'silent line');
      assert.ok(Date.now() - started >= 290, 'it waited for the timeout');
    } finally {
      await h.close();
    }
  });

  test('a line that drops mid-frame: half an answer, then nothing — the error says so', async () => {
    const h = await hostAndRaw(400);
    try {
      h.far.once('data', () => h.far.write(Buffer.from('000C6F', 'hex'))); // 12-byte frame announced, 1 byte sent
      await within(10_000, assert.rejects(h.ch.request(hexBytes(SELECT_SSSE)), (e: Error) => e instanceof ReaderError && /stopped mid-frame \(3 of 14 bytes/.test(e.message)), 'half frame');
      // The line recovers: the next request gets its answer.
      h.far.once('data', () => h.far.write(encodeFrame(hexBytes('9000'))));
      assert.equal(hex(await h.ch.request(hexBytes(SELECT_SSSE))), '9000');
    } finally {
      await h.close();
    }
  });

  test('garbage on the line: noise while idle and before an answer is dropped; the answer still arrives', async () => {
    const h = await hostAndRaw(500);
    try {
      h.far.write(Buffer.from('DEADBEEF00', 'hex')); // idle noise
      await new Promise((r) => setTimeout(r, 50));
      h.far.once('data', () => h.far.write(Buffer.concat([Buffer.from('FFFF', 'hex'), encodeFrame(hexBytes('6A82'))])));
      assert.equal(hex(await h.ch.request(hexBytes(SELECT_SSSE))), '6A82');
      assert.ok(h.ch.droppedBytes >= 5, `dropped ${h.ch.droppedBytes}`);
    } finally {
      await h.close();
    }
  });

  test('garbage towards the card: the emulator resynchronises and answers the next real frame', async () => {
    const pair = await makePtyPair();
    const server = await SerialCardServer.open({ path: pair.b, card: new EmulatedCard(zhangSan) });
    const host = await rawPort(pair.a);
    try {
      const answers: Buffer[] = [];
      const d = new ResyncDecoder(261, 200, true);
      host.on('data', (c: Buffer) => answers.push(...d.push(c)));
      host.write(Buffer.concat([Buffer.from('FFFF0000', 'hex'), encodeFrame(Uint8Array.of(0x04))]));
      await within(10_000, (async () => { while (!answers.length) await new Promise((r) => setTimeout(r, 10)); })(), 'answer after garbage');
      assert.equal(hex(answers[0]), hex(new EmulatedCard(zhangSan).atr));
      assert.ok(server.droppedBytes >= 4);
    } finally {
      await closePort(host);
      await server.close();
      await pair.close();
    }
  });

  test('the line cut (socat killed) mid-exchange: the waiting request fails at once, and so does every later one', async () => {
    // A 60 s response timeout, so "failed at once" and "timed out" stay far apart on a busy
    // machine: the cut must be noticed within a generous 15 s.
    const h = await hostAndRaw(60_000);
    try {
      h.far.once('data', () => h.pair.process.kill('SIGKILL'));
      await within(15_000, assert.rejects(h.ch.request(hexBytes(SELECT_SSSE)), (e: Error) => e instanceof ReaderError && /serial line .*(closed|error)/.test(e.message) && /cable pulled/.test(e.message)), 'cut line (before the 60 s response timeout)');
      await assert.rejects(h.ch.request(hexBytes(SELECT_SSSE)), /cable pulled/);
    } finally {
      await h.close();
    }
  });
});
