// The reference terminal's card side against the emulator on the emulated rig:
// reads EF05/EF06, handles 61xx/6Cxx, refuses with the reader-side reasons (card-spec §3–§4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCardProfile } from '../../emulator';
import { openRig } from '../../rigs';
import type { CardChannel } from '../../rigs/types';
import { CardSession, checkExpiry, checkHolder, vendorLine, TerminalRefusal } from '../../terminal';
import { parseYuan, fmtFen } from '../../platform';

const cards = path.join(__dirname, '..', '..', 'fixtures', 'cards');

async function slotFor(name: string) {
  const rig = await openRig('emulated');
  const slot = await rig.insertCard(loadCardProfile(path.join(cards, `${name}.yaml`)));
  return { rig, slot };
}

test('reads EF05 and EF06 of zhang-san and builds the vendor line', async () => {
  const { rig, slot } = await slotFor('zhang-san');
  const s = new CardSession(slot.channel);
  const card = await s.read();
  assert.equal(card.name, '张三');
  assert.equal(card.idNumber, '500103198503120039');
  assert.equal(card.cardNumber, 'A50000001');
  assert.equal(card.identificationCode, '500000D15600000500A1B2C3D4E5F601');
  assert.equal(card.expiryDate, '2031-06-15');
  assert.equal(card.birthDate, '1985-03-12');
  assert.equal(card.region, '500000');
  const line = vendorLine(card, { terminalNo: 'T1', deviceNo: 'D1' }).split('|');
  assert.equal(line.length, 11);
  assert.deepEqual([line[0], line[1], line[2], line[4], line[7], line[8]], ['500000', '500103198503120039', 'A50000001', '张三', '20210615', '20310615']);
  await rig.close();
});

test('wrong PIN counts down, then locks', async () => {
  const { rig, slot } = await slotFor('zhang-san');
  const s = new CardSession(slot.channel);
  await s.read();
  await assert.rejects(s.verifyPin('000000'), (e: TerminalRefusal) => e.code === 'pin-wrong' && e.triesLeft === 2);
  await assert.rejects(s.verifyPin('000000'), (e: TerminalRefusal) => e.code === 'pin-wrong' && e.triesLeft === 1);
  await assert.rejects(s.verifyPin('000000'), (e: TerminalRefusal) => e.code === 'pin-locked');
  await assert.rejects(s.verifyPin('246810'), (e: TerminalRefusal) => e.code === 'pin-locked');
  await rig.close();
});

test('expired card, holder mismatch and no card are refused with reasons', async () => {
  const { rig, slot } = await slotFor('wang-wu-expired');
  const card = await new CardSession(slot.channel).read();
  assert.throws(() => checkExpiry(card, '2099-01-01'), (e: TerminalRefusal) => e.code === 'card-expired');
  assert.throws(() => checkHolder(card, { idNumber: '110101199001011234' }), (e: TerminalRefusal) => e.code === 'holder-mismatch');
  await rig.removeCard();
  await assert.rejects(new CardSession(slot.channel).read(), (e: TerminalRefusal) => e.code === 'no-card');
  await rig.close();
});

test('61xx and 6Cxx are handled by the terminal', async () => {
  // A channel that answers every command with 61 05 first and a short Le with 6C.
  const calls: string[] = [];
  const ch: CardChannel = {
    name: 'fake', async powerOn() { return Uint8Array.from([0x3b, 0x00]); }, async powerOff() {}, isCardPresent: () => true, onPresence: () => () => {}, async close() {},
    async transmit(apdu) {
      const h = Buffer.from(apdu).toString('hex');
      calls.push(h);
      if (h === '00b2070003') return Uint8Array.from([0x6c, 0x0b]);
      if (h === '00b207000b') return Uint8Array.from([0x61, 0x0b]);
      if (h === '00c000000b') return Uint8Array.from([0x07, 0x09, ...Buffer.from('A50000001'), 0x90, 0x00]);
      return Uint8Array.from([0x6a, 0x82]);
    },
  };
  const s = new CardSession(ch);
  const r = await s.exchange(Uint8Array.from([0x00, 0xb2, 0x07, 0x00, 0x03]));
  assert.equal(r.sw, 0x9000);
  assert.equal(r.data.subarray(2).toString(), 'A50000001');
  assert.deepEqual(calls, ['00b2070003', '00b207000b', '00c000000b']);
});

test('money: 332.80 元, 332.8元, CNY 332.80 are all 33280 fen', () => {
  for (const t of ['332.80 元', '332.8元', 'CNY 332.80', '332.80', '¥332.8']) assert.equal(parseYuan(t), 33280);
  assert.equal(fmtFen(1720), '17.20');
  assert.equal(fmtFen(-5), '-0.05');
  assert.throws(() => parseYuan('1.234'));
});
