// Through the real stack: `medcard emulate` (its own process) → vpcd → pcscd → programs
// nobody here wrote (opensc-tool, scriptor, pcsc_scan). Expected bytes are built from
// card-spec.md §3 and the profile's fields, not from the emulator's output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PcscChannel } from '../../rigs';
import { hexBytes, ROOT, SELECT_SSSE, spaced, startEmulator, tool } from './helpers';

const READER = 'Virtual PCD 00 00';
const ascii = (s: string) => Buffer.from(s, 'ascii');
// zhang-san.yaml: card number A50000001, ID 500103198503120039, name 张三 (GBK D5C5 C8FD), profile id "zhang-san".
const CARD_NUMBER_RECORD = Buffer.concat([Buffer.from([0x07, 0x09]), ascii('A50000001')]);
const ID_RECORD = Buffer.concat([Buffer.from([0x08, 0x12]), ascii('500103198503120039')]);
const NAME_RECORD = Buffer.concat([Buffer.from([0x09, 0x1e, 0xd5, 0xc5, 0xc8, 0xfd]), Buffer.alloc(26)]);
const ATR = Buffer.concat([Buffer.from([0x3b, 0x09]), ascii('zhang-san')]); // T=0, 9 historical bytes

/** The bytes opensc-tool printed after "Received (SW1=..)" for the n-th command. */
function openscReceived(output: string): { sw: string; data: string }[] {
  return output.split('Sending:').slice(1).map((block) => {
    const m = /Received \(SW1=0x([0-9A-F]{2}), SW2=0x([0-9A-F]{2})\)/i.exec(block);
    assert.ok(m, `opensc-tool printed no response:\n${block}`);
    const data = block.slice(m.index).split('\n').slice(1)
      .map((line) => /^((?:[0-9A-F]{2} )+)/.exec(line)?.[1] ?? '').join('').replace(/\s+/g, '');
    return { sw: `${m[1]}${m[2]}`.toUpperCase(), data: data.toUpperCase() };
  });
}

describe('an emulated card served by `medcard emulate`, read through pcscd by third-party tools', () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  before(async () => {
    emulator = await startEmulator(['--card', path.join(ROOT, 'fixtures/cards/zhang-san.yaml'), '--vpcd-port', '35963']);
  });
  after(async () => { await emulator?.stop(); });

  test('opensc-tool selects SSSE and reads EF05 record 07 and EF06 record 09 by SFI', () => {
    const out = tool('opensc-tool', ['-r', '0', '-s', SELECT_SSSE, '-s', '00 B2 07 2C 0B', '-s', '00 B2 09 34 20']);
    const [select, cardNo, name] = openscReceived(out);
    assert.ok(select.sw === '9000' || select.sw.startsWith('61'), `SELECT SSSE answered ${select.sw}`);
    assert.deepEqual(cardNo, { sw: '9000', data: CARD_NUMBER_RECORD.toString('hex').toUpperCase() });
    assert.deepEqual(name, { sw: '9000', data: NAME_RECORD.toString('hex').toUpperCase() });
  });

  test('scriptor selects EF06 by FID and reads the ID number by record identifier', () => {
    const out = tool('scriptor', ['-r', READER], `${SELECT_SSSE}\n00 A4 02 00 02 EF 06\n00 B2 08 00 14\n`);
    // scriptor wraps long responses: join continuation lines back onto their "< " line.
    const joined = out.replace(/\s*\n(?=[0-9A-F]{2} )/g, ' ');
    assert.match(joined, /< 61 13 :|< 90 00 :/, `SELECT SSSE:\n${out}`);
    assert.ok(joined.includes(`< ${spaced(Uint8Array.from(ID_RECORD))} 90 00 : Normal processing.`), `EF06 record 08 not as the spec builds it:\n${out}`);
  });

  test('pcsc_scan sees the card inserted in the virtual reader, with the profile ATR', () => {
    const out = tool('pcsc_scan', ['-n', '-t', '1']);
    const block = out.slice(out.indexOf(`Reader 0: ${READER}`));
    assert.match(block, /Card state: Card inserted/);
    assert.ok(block.includes(`ATR: ${spaced(Uint8Array.from(ATR))}`), `ATR not ${spaced(Uint8Array.from(ATR))}:\n${block.slice(0, 300)}`);
  });

  test('SIGINT removes the card and exits 0; PC/SC sees the reader empty', async () => {
    const code = await emulator.stop('SIGINT');
    assert.equal(code, 0, emulator.output());
    assert.match(emulator.output(), /SIGINT: removing card A50000001/);
    const reader = new PcscChannel(READER);
    try {
      assert.equal(await reader.waitForCard(3000, false), true, 'the reader still shows a card');
    } finally {
      await reader.close();
    }
  });
});

test('a raw SELECT through our PC/SC channel matches the bytes the tools saw', async () => {
  const emulator = await startEmulator(['--card', path.join(ROOT, 'fixtures/cards/zhang-san.yaml')]);
  const reader = new PcscChannel(READER);
  try {
    assert.ok(await reader.waitForCard(3000));
    assert.deepEqual(Buffer.from(await reader.powerOn()), ATR);
    await reader.transmit(hexBytes(SELECT_SSSE));
    assert.deepEqual(Buffer.from(await reader.transmit(hexBytes('00 B2 07 2C 0B'))), Buffer.concat([CARD_NUMBER_RECORD, Buffer.from([0x90, 0x00])]));
  } finally {
    await reader.close();
    assert.equal(await emulator.stop('SIGTERM'), 0);
  }
});
