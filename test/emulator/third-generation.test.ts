// The third-generation card (card-spec §7): generation: 3 in the profile. Every expected
// response is written out by hand from card-spec.md, emulator/README.md and
// fixtures/cards/zhang-san-3g.yaml; the cryptograms are computed here with the SM4
// primitive (checked against GB/T 32907's vector in crypto.test.ts), never by the card.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CARDS, card, hex, profile, show, tx, asciiHex } from './helpers';
import { CardProfileError, EmulatedCard, parseCardProfile } from '../../emulator';
import { sm4EncryptEcb } from '../../emulator/sm4';
import { EmulatedChannel } from '../../rigs';

const AID = '7378312E73682EC9E7BBE1B1A3D5CF';
const SELECT_SSSE = `00A404000F${AID}`;
// 6F 17 { 84 0F <SSSE name>, A5 04 { 9F0C 01 04 } }: the fixture's algorithm is 04.
const FCI_SSSE_3G = `6F17840F${AID}A5049F0C0104`;
const MASTER_KEY = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';
const CARD_ID_CODE = '500000D15600000500A1B2C3D4E5F611';
const CHALLENGE = '0102030405060708'; // helpers.card(): GET CHALLENGE gives 01 02 03 …
const READ_SSN = '00B2083414';        // EF06 (SFI 6 → P2 34) record 08, 18 bytes + 2
const SSN_RECORD = `0812${asciiHex('500103198503120039')}`;
const YAML_3G = fs.readFileSync(path.join(CARDS, 'zhang-san-3g.yaml'), 'utf8');

/** The terminal's side (a PSAM's job): card key = SM4(master, card id code); cryptogram = SM4(card key, challenge ‖ 80 00…), first 8 bytes. */
function cryptogram(challenge: string, master = MASTER_KEY, idCode = CARD_ID_CODE): string {
  const cardKey = sm4EncryptEcb(hex(master), hex(idCode));
  const block = hex(challenge.padEnd(16, '0') + '80' + '00'.repeat(7));
  return show(sm4EncryptEcb(cardKey, block)).slice(0, 16);
}
const externalAuth = (c: string) => `0082000108${c}`;

function ssse3g(): EmulatedCard {
  const c = card('zhang-san-3g');
  assert.equal(tx(c, SELECT_SSSE), '6119'); // FCI_SSSE_3G is 25 bytes
  return c;
}
function authenticate(c: EmulatedCard): void {
  assert.equal(tx(c, '0084000008'), `${CHALLENGE}9000`);
  assert.equal(tx(c, externalAuth(cryptogram(CHALLENGE))), '9000');
}
const variant = (edit: (yaml: string) => string) => parseCardProfile(edit(YAML_3G), 'variant-3g.yaml');

describe('profile', () => {
  test('generation defaults to 2 with no gen3 section; zhang-san-3g is generation 3 with its defaults filled', () => {
    const two = profile('zhang-san');
    assert.equal(two.generation, 2);
    assert.equal(two.gen3, undefined);
    const three = profile('zhang-san-3g');
    assert.equal(three.generation, 3);
    assert.deepEqual(three.gen3, {
      nameExtension: '', algorithm: '04', externalAuth: 'required', masterKey: MASTER_KEY, externalAuthTries: 3,
      contactlessAtr: '3B8C8001' + asciiHex('zhang-san-3g') + '5F', bankNumber: '6217000000000000011',
    });
  });

  test('a gen3 section without generation: 3, and bad gen3 values, are refused naming the field', () => {
    assert.throws(() => variant((y) => y.replace('generation: 3', 'generation: 2')), (e: unknown) =>
      e instanceof CardProfileError && /variant-3g\.yaml:\d+: gen3: only for a third-generation card/.test(e.message));
    assert.throws(() => variant((y) => y.replace('externalAuth: required', 'externalAuth: maybe')), (e: unknown) =>
      e instanceof CardProfileError && /gen3\.externalAuth: expected required or off, got "maybe"/.test(e.message));
    assert.throws(() => variant((y) => y.replace('"6217000000000000011"', '"62170"')), (e: unknown) =>
      e instanceof CardProfileError && /gen3\.bankNumber: expected 16–19 digits/.test(e.message));
    assert.throws(() => variant((y) => y.replace('generation: 3', 'generation: 4')), (e: unknown) =>
      e instanceof CardProfileError && /generation: expected 2 or 3, got "4"/.test(e.message));
  });
});

describe('SSSE FCI and the name extension', () => {
  test('SELECT SSSE answers an FCI carrying 9F0C (the algorithm) in A5; a second-generation card has none', () => {
    const c = ssse3g();
    assert.equal(tx(c, '00C0000019'), `${FCI_SSSE_3G}9000`);
    const two = card('zhang-san');
    assert.equal(tx(two, SELECT_SSSE), '6113');
    assert.equal(tx(two, '00C0000013'), `6F11840F${AID}9000`);
  });

  test('EF06 record 4E: 40 bytes, GBK, 0x00 padded (empty for 张三; 张三 written out as D5C5 C8FD)', () => {
    const c = ssse3g();
    authenticate(c);
    assert.equal(tx(c, '00B24E342A'), `4E28${'00'.repeat(40)}9000`);
    const long = new EmulatedCard(variant((y) => y.replace('nameExtension: ""', 'nameExtension: 张三')), { random: (n) => Uint8Array.from({ length: n }, (_, i) => i + 1) });
    long.powerOn();
    long.transmit(hex(SELECT_SSSE));
    authenticate(long);
    assert.equal(tx(long, '00B24E342A'), `4E28D5C5C8FD${'00'.repeat(36)}9000`);
  });
});

describe('EXTERNAL AUTHENTICATE', () => {
  test('EF06 answers 69 82 until the terminal authenticates; EF05 is readable at once', () => {
    const c = ssse3g();
    assert.equal(tx(c, READ_SSN), '6982');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000011')}9000`);
    authenticate(c);
    assert.equal(c.isExternallyAuthenticated, true);
    assert.equal(tx(c, READ_SSN), `${SSN_RECORD}9000`);
  });

  test('a reset (power cycle) forgets the authentication', () => {
    const c = ssse3g();
    authenticate(c);
    c.powerOn();
    tx(c, SELECT_SSSE);
    assert.equal(tx(c, READ_SSN), '6982');
  });

  test('a 4-byte challenge is padded with 00 to 8 bytes', () => {
    const c = ssse3g();
    assert.equal(tx(c, '0084000004'), '010203049000');
    assert.equal(tx(c, externalAuth(cryptogram('01020304'))), '9000');
  });

  test('wrong cryptograms count down 63 C2, 63 C1, then 69 83 for good (the right one too, after a reset); a right one restores the count', () => {
    const c = ssse3g();
    const wrong = '0011223344556677';
    tx(c, '0084000008');
    assert.equal(tx(c, externalAuth(wrong)), '63C2');
    authenticate(c);
    assert.equal(c.externalAuthTriesLeft, 3);
    for (const sw of ['63C2', '63C1', '6983']) {
      tx(c, '0084000008');
      assert.equal(tx(c, externalAuth(wrong)), sw);
    }
    c.powerOn();
    tx(c, SELECT_SSSE);
    assert.equal(tx(c, '0084000008'), `${CHALLENGE}9000`);
    assert.equal(tx(c, externalAuth(cryptogram(CHALLENGE))), '6983');
    assert.equal(c.externalAuthTriesLeft, 0);
    assert.equal(tx(c, READ_SSN), '6982');
  });

  test('a cryptogram under another master key, or for another card id code, is wrong', () => {
    const c = ssse3g();
    tx(c, '0084000008');
    assert.equal(tx(c, externalAuth(cryptogram(CHALLENGE, '00112233445566778899AABBCCDDEEFF'))), '63C2');
    tx(c, '0084000008');
    assert.equal(tx(c, externalAuth(cryptogram(CHALLENGE, MASTER_KEY, '500000D15600000500A1B2C3D4E5F601'))), '63C1');
  });

  test('bad commands: no challenge 69 85, the challenge used once, key id 6A 88, P1 6A 86, length 67 00; none costs a try', () => {
    const c = ssse3g();
    const good = cryptogram(CHALLENGE);
    assert.equal(tx(c, externalAuth(good)), '6985');
    tx(c, '0084000008');
    assert.equal(tx(c, externalAuth(good)), '9000');
    assert.equal(tx(c, externalAuth(good)), '6985');
    tx(c, '0084000008');
    assert.equal(tx(c, `0082000208${good}`), '6A88');
    assert.equal(tx(c, `0082010108${good}`), '6A86');
    assert.equal(tx(c, `0082000107${good.slice(0, 14)}`), '6700');
    assert.equal(tx(c, `0082000108${good}08`), '6700'); // case 4: EXTERNAL AUTHENTICATE returns no data
    assert.equal(c.externalAuthTriesLeft, 3);
  });

  test('externalAuth: off leaves EF06 readable; a second-generation card does not know INS 82 (6D 00)', () => {
    const off = new EmulatedCard(variant((y) => y.replace('externalAuth: required', 'externalAuth: off')));
    off.powerOn();
    off.transmit(hex(SELECT_SSSE));
    assert.equal(tx(off, READ_SSN), `${SSN_RECORD}9000`);
    const two = card('zhang-san');
    tx(two, '0084000008');
    assert.equal(tx(two, externalAuth(cryptogram(CHALLENGE))), '6D00');
  });

  test('the trace names EXTERNAL AUTHENTICATE and reads its 63 Cx as the key\'s tries, not the PIN\'s', () => {
    const c = ssse3g();
    tx(c, '0084000008');
    tx(c, externalAuth('0011223344556677'));
    const e = c.trace.at(-1)!;
    assert.equal(e.name, 'EXTERNAL AUTHENTICATE');
    assert.equal(e.detail, 'key 01, cryptogram 0011223344556677');
    assert.equal(e.swMeaning, '外部认证失败，还可尝试2次 / external authentication failed, 2 tries left');
  });
});

describe('contactless presentation', () => {
  // PC/SC part 3 ATR of an ISO 14443-4 card: 3B 8C 80 01, 12 historical bytes, TCK.
  const ATR_CL = '3B8C8001' + asciiHex('zhang-san-3g') + '5F';

  test('interface: contactless presents the contactless ATR (its TCK makes T0…TCK XOR to 0); contact keeps the contact ATR', () => {
    assert.equal(hex(ATR_CL).subarray(1).reduce((a, b) => a ^ b, 0), 0);
    const cl = new EmulatedCard(profile('zhang-san-3g'), { interface: 'contactless' });
    assert.equal(show(cl.powerOn()), ATR_CL);
    const ct = new EmulatedCard(profile('zhang-san-3g'));
    assert.equal(show(ct.powerOn()), '3B0C' + asciiHex('zhang-san-3g'));
  });

  test('a second-generation card cannot be presented contactless', () => {
    assert.throws(() => new EmulatedCard(profile('zhang-san'), { interface: 'contactless' }), /second-generation card, contact only/);
  });

  test('through the rigs\' EmulatedChannel: contactless ATR, authenticate, read the holder', async () => {
    const reader = new EmulatedChannel('contactless reader');
    reader.insert(new EmulatedCard(profile('zhang-san-3g'), { interface: 'contactless', random: (n) => Uint8Array.from({ length: n }, (_, i) => i + 1) }));
    assert.equal(show(await reader.powerOn()), ATR_CL);
    const send = async (h: string) => show(await reader.transmit(hex(h)));
    assert.equal(await send(SELECT_SSSE), '6119');
    assert.equal(await send(READ_SSN), '6982');
    assert.equal(await send('0084000008'), `${CHALLENGE}9000`);
    assert.equal(await send(externalAuth(cryptogram(CHALLENGE))), '9000');
    assert.equal(await send(READ_SSN), `${SSN_RECORD}9000`);
    await reader.close();
  });
});

describe('bank application stub', () => {
  const PPSE = asciiHex('2PAY.SYS.DDF01');
  const UNIONPAY = 'A000000333010101';
  const LABEL = asciiHex('UnionPay Debit'); // 14 bytes
  // 61 1D { 4F 08 AID, 50 0E label, 87 01 01 } in BF0C 1F in A5 22, after 84 0E <PPSE>: 6F 34.
  const FCI_PPSE = `6F34840E${PPSE}A522BF0C1F611D4F08${UNIONPAY}500E${LABEL}870101`;
  // 84 08 AID, A5 13 { 50 0E label, 87 01 01 }: 6F 1F.
  const FCI_UNIONPAY = `6F1F8408${UNIONPAY}A513500E${LABEL}870101`;
  // 70 12 { 5A 0A <6217000000000000011, F padded>, 5F24 03 <expiry 2034-03-01 as YYMMDD> }.
  const RECORD_1 = '70125A0A' + '6217' + '00'.repeat(6) + '011F' + '5F2403340301';

  test('SELECT PPSE lists the UnionPay AID; SELECT the AID answers its FCI; SFI 1 record 1 gives the bank number', () => {
    const c = card('zhang-san-3g');
    assert.equal(tx(c, `00A404000E${PPSE}`), '6136');
    assert.equal(tx(c, '00C0000036'), `${FCI_PPSE}9000`);
    assert.equal(tx(c, `00A4040008${UNIONPAY}`), '6121');
    assert.equal(tx(c, '00C0000021'), `${FCI_UNIONPAY}9000`);
    assert.equal(tx(c, '00B2010C14'), `${RECORD_1}9000`);
  });

  test('the SSSE is unaffected beside it, and cards without a bank number (or second-generation) have none: 6A 82', () => {
    const c = card('zhang-san-3g');
    tx(c, `00A4040008${UNIONPAY}`);
    assert.equal(tx(c, SELECT_SSSE), '6119');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000011')}9000`);
    const noBank = new EmulatedCard(variant((y) => y.replace(/ *bankNumber:.*\n/, '')));
    noBank.powerOn();
    assert.equal(tx(noBank, `00A404000E${PPSE}`), '6A82');
    assert.equal(tx(card('zhang-san'), `00A4040008${UNIONPAY}`), '6A82');
  });

  test('the trace names PPSE and the UnionPay application', () => {
    const c = card('zhang-san-3g');
    tx(c, `00A404000E${PPSE}`);
    tx(c, `00A4040008${UNIONPAY}`);
    const [ppse, unionpay] = c.trace.slice(-2);
    assert.match(ppse!.detail, /^PPSE 2PAY\.SYS\.DDF01/);
    assert.match(unionpay!.detail, /UnionPay debit A000000333010101/);
  });
});
