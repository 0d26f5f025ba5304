// Byte-exact command tests. Every expected response is written out by hand from
// card-spec.md and fixtures/cards/zhang-san.yaml, never taken from the emulator.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { card, tx, asciiHex, profile } from './helpers';
import { EmulatedCard, parseCardProfile } from '../../emulator';
import { SSSE_AID } from '../../spec';

const AID = '7378312E73682EC9E7BBE1B1A3D5CF';
const SELECT_SSSE = `00A404000F${AID}`;
const FCI_SSSE = `6F11840F${AID}`;

function ssse(name = 'zhang-san'): EmulatedCard {
  const c = card(name);
  assert.equal(tx(c, SELECT_SSSE), '6113');
  return c;
}

describe('ATR and power', () => {
  test('default ATR: 3B, T0 = 09 (9 historical bytes), "zhang-san" in ASCII', () => {
    const c = new EmulatedCard(profile('zhang-san'));
    assert.equal(Buffer.from(c.powerOn()).toString('hex').toUpperCase(), '3B097A68616E672D73616E');
    assert.equal(Buffer.from(c.atr).toString('hex').toUpperCase(), '3B097A68616E672D73616E');
  });
  test('an unpowered card answers 6F00; power-on clears PIN state and pending data', () => {
    const c = card('zhang-san');
    c.powerOff();
    assert.equal(tx(c, SELECT_SSSE), '6F00');
    c.powerOn();
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '0020000003246810'), '9000');
    assert.equal(c.isPinVerified, true);
    c.powerOn();
    assert.equal(c.isPinVerified, false);
    assert.equal(tx(c, '00C0000013'), '6985');
    assert.equal(tx(c, '00B2072C0B'), '6A82'); // selection back at the MF
  });
  test('SSSE_AID is sx1.sh. + 社会保障 in GBK', () => {
    assert.equal(Buffer.from(SSSE_AID).toString('hex').toUpperCase(), AID);
  });
});

describe('SELECT', () => {
  test('by AID: 61 13, then GET RESPONSE 13 gives 6F 11 84 0F <AID> 90 00', () => {
    const c = ssse();
    assert.equal(tx(c, '00C0000013'), `${FCI_SSSE}9000`);
  });
  test('by AID with Le (case 4) under T=0 is still announced with 61 13', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, `${SELECT_SSSE}00`), '6113');
  });
  test('by AID, P2 = 0C (no FCI): 90 00', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, `00A4040C0F${AID}`), '9000');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000001')}9000`);
  });
  test('by a right-truncated AID selects the application', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00A4040C077378312E73682E'), '9000');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000001')}9000`);
  });
  test('unknown AID: 6A82, selection unchanged', () => {
    const c = ssse();
    assert.equal(tx(c, '00A4040005A000000003'), '6A82');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000001')}9000`);
  });
  test('MF by FID 3F00: 61 06 → 6F 04 83 02 3F 00', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00A40000023F00'), '6106');
    assert.equal(tx(c, '00C0000006'), '6F0483023F009000');
  });
  test('EF05 and EF06 by FID under SSSE: 90 00; from the MF: 6A82', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00A4020002EF05'), '6A82');
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '00A4020002EF05'), '9000');
    assert.equal(tx(c, '00A4000002EF06'), '9000');
  });
  test('FCP of EF05 (P2 = 04): 62 0A 82 01 04 83 02 EF 05 88 01 28', () => {
    const c = ssse();
    assert.equal(tx(c, '00A4020402EF05'), '610C');
    assert.equal(tx(c, '00C000000C'), '620A82010483 02EF05880128'.replace(/\s/g, '') + '9000');
  });
  test('bad P1 → 6A86, bad P2 → 6A86, FID of wrong length → 6700', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00A4050002EF05'), '6A86');
    assert.equal(tx(c, '00A4000102EF05'), '6A86');
    assert.equal(tx(c, '00A4020003EF0500'), '6700');
    assert.equal(tx(c, '00A4040011' + '00'.repeat(17)), '6700');
  });
  test('SELECT parent (P1 = 03) from SSSE goes back to the MF', () => {
    const c = ssse();
    assert.equal(tx(c, '00A4030C'), '9000');
    assert.equal(tx(c, '00B2072C0B'), '6A82');
  });
});

describe('GET RESPONSE (T=0 chaining)', () => {
  test('in two parts: 05 bytes + 61 0E, then 0E bytes + 90 00', () => {
    const c = ssse();
    assert.equal(tx(c, '00C0000005'), `6F11840F73610E`);
    assert.equal(tx(c, '00C000000E'), `7831 2E73682EC9E7BBE1B1A3D5CF`.replace(/\s/g, '') + '9000');
    assert.equal(tx(c, '00C0000001'), '6985');
  });
  test('wrong Le → 6C 13 and the data stays pending; resend with 13', () => {
    const c = ssse();
    assert.equal(tx(c, '00C0000020'), '6C13');
    assert.equal(tx(c, '00C0000000'), '6C13'); // Le 00 = 256
    assert.equal(tx(c, '00C0000013'), `${FCI_SSSE}9000`);
  });
  test('any other command discards pending data', () => {
    const c = ssse();
    assert.equal(tx(c, '0084000004'), '010203049000');
    assert.equal(tx(c, '00C0000013'), '6985');
  });
  test('nothing pending: 6985; bad P1/P2: 6A86; with data: 6700', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00C0000013'), '6985');
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '00C0010013'), '6A86');
    assert.equal(tx(c, '00C000000100'), '6700');
    assert.equal(tx(c, '00C0000013'), `${FCI_SSSE}9000`); // still pending after a failed GET RESPONSE
  });
});

describe('READ RECORD', () => {
  const NAME_RECORD = '091E' + 'D5C5' + 'C8FD' + '00'.repeat(26); // 张 D5C5, 三 C8FD, 0x00 padding to 30
  const zhang: Array<[string, string]> = [
    ['00B2012C12', '0110500000D15600000500A1B2C3D4E5F601'],
    ['00B2022C03', '020101'],
    ['00B2032C06', `0304${asciiHex('2.00')}`],
    ['00B2042C0E', '040C500000D15600000500000001'],
    ['00B2052C06', '050420210615'],
    ['00B2062C06', '060420310615'],
    ['00B2072C0B', `0709${asciiHex('A50000001')}`],
    ['00B2083414', `0812${asciiHex('500103198503120039')}`],
    ['00B2093420', NAME_RECORD],
    ['00B20A3403', `0A01${asciiHex('1')}`],
    ['00B20B3403', '0B0101'],
    ['00B20C3405', '0C03500103'],
    ['00B20D3406', '0D0419850312'],
  ];
  for (const [apdu, record] of zhang) {
    test(`zhang-san ${apdu} → ${record} 90 00`, () => {
      const c = ssse();
      assert.equal(tx(c, apdu), `${record}9000`);
    });
  }
  test('00 B2 07 2C 0B for zhang-san is exactly 07 09 41 35 30 30 30 30 30 30 31 90 00', () => {
    const c = ssse();
    assert.equal(tx(c, '00B2072C0B'), '070941353030303030303190 00'.replace(/\s/g, ''));
  });
  test('by identifier on the selected EF (P2 = 00) and by record number (P2 = 04)', () => {
    const c = ssse();
    assert.equal(tx(c, '00A4020002EF05'), '9000');
    assert.equal(tx(c, '00B207000B'), `0709${asciiHex('A50000001')}9000`);
    assert.equal(tx(c, '00B205040 6'.replace(/\s/g, '')), '0504202106159000');
  });
  test('reading by SFI makes that EF current', () => {
    const c = ssse();
    assert.equal(tx(c, '00B2083414'), `0812${asciiHex('500103198503120039')}9000`);
    assert.equal(tx(c, '00B20D0406'), '0D04198503129000');
  });
  test('wrong Le → 6C xx; resend with xx', () => {
    const c = ssse();
    assert.equal(tx(c, '00B2072C00'), '6C0B');
    assert.equal(tx(c, '00B2072C0A'), '6C0B');
    assert.equal(tx(c, '00B2072C0C'), '6C0B');
    assert.equal(tx(c, '00B2072C'), '6C0B'); // no Le: P3 = 00 under T=0
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000001')}9000`);
  });
  test('no such record → 6A83', () => {
    const c = ssse();
    assert.equal(tx(c, '00B2013403'), '6A83'); // EF06 holds records 08–0D
    assert.equal(tx(c, '00B20E3403'), '6A83');
    assert.equal(tx(c, '00B2082C03'), '6A83');
  });
  test('no EF selected → 6986', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00B207040B'), '6986');
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '00B207040B'), '6986');
  });
  test('SFI not in the current DF → 6A82; SFI 31 → 6A86; with data → 6700', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00B2072C0B'), '6A82');
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '00B207FC0B'), '6A86');
    assert.equal(tx(c, '00B2072C01000B'), '6700');
  });
  test('several records at once (P2 b3–b1 = 101) → 6A81', () => {
    const c = ssse();
    assert.equal(tx(c, '00B2012D00'), '6A81');
  });
  test('PIN-protected EF06 → 6982 until VERIFY', () => {
    const c = ssse('test:zhou-jiu-photo');
    assert.equal(tx(c, '00B2093420'), '6982');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('T00000009')}9000`);
    assert.equal(tx(c, '0020000003000000'), '9000');
    assert.equal(tx(c, '00B2093420'), '091E' + 'D6DC' + 'BEC5' + '00'.repeat(26) + '9000'); // 周 D6DC 九 BEC5
  });
});

describe('READ BINARY', () => {
  test('on a record file → 6981 (selected EF05, or by SFI 5)', () => {
    const c = ssse();
    assert.equal(tx(c, '00A4020002EF05'), '9000');
    assert.equal(tx(c, '00B0000010'), '6981');
    assert.equal(tx(c, '00B0850010'), '6981');
  });
  test('no current EF → 6986', () => {
    const c = ssse();
    assert.equal(tx(c, '00B0000010'), '6986');
  });
  test('transparent file: prefix reads, 6C for Le beyond the end, 6B00 beyond the file', () => {
    const c = ssse('test:zhou-jiu-photo');
    // photo = 300 bytes 00 01 02 … FF 00 01 … (size: 300 in the profile)
    assert.equal(tx(c, '00B0880004'), '000102039000'); // by SFI 8
    assert.equal(tx(c, '00B000FE04'), 'FEFF00019000'); // offset 254 of the current EF
    assert.equal(tx(c, '00B0012800'), '6C04'); // offset 296: 4 bytes left, Le 256
    assert.equal(tx(c, '00B0012804'), '2829 2A2B'.replace(/\s/g, '') + '9000');
    assert.equal(tx(c, '00B0012C01'), '6B00'); // offset 300 = end of file
    assert.equal(tx(c, '00B07FFF01'), '6B00');
    const all = tx(c, '00B0000000');
    assert.equal(all.length, (256 + 2) * 2);
    assert.equal(all.slice(-4), '9000');
  });
  test('bad SFI encoding in P1 → 6A86', () => {
    const c = ssse('test:zhou-jiu-photo');
    assert.equal(tx(c, '00B0C80004'), '6A86');
  });
});

describe('VERIFY', () => {
  test('wrong ×3 → 63C2, 63C1, 6983; then the correct PIN is still 6983', () => {
    const c = ssse();
    assert.equal(tx(c, '0020000003111111'), '63C2');
    assert.equal(tx(c, '0020000003111111'), '63C1');
    assert.equal(tx(c, '0020000003111111'), '6983');
    assert.equal(tx(c, '0020000003246810'), '6983');
    assert.equal(c.isPinLocked, true);
    assert.equal(c.pinTriesLeft, 0);
    assert.equal(tx(c, '00200000'), '6983');
  });
  test('correct PIN → 9000 and resets the counter', () => {
    const c = ssse();
    assert.equal(tx(c, '0020000003111111'), '63C2');
    assert.equal(tx(c, '0020000003246810'), '9000');
    assert.equal(c.pinTriesLeft, 3);
    assert.equal(tx(c, '0020000003111111'), '63C2');
  });
  test('VERIFY without data reports the state: 63C3, then 9000 once verified', () => {
    const c = ssse();
    assert.equal(tx(c, '00200000'), '63C3');
    assert.equal(tx(c, '0020000003246810'), '9000');
    assert.equal(tx(c, '00200000'), '9000');
  });
  test('bad lengths and parameters do not count as tries', () => {
    const c = ssse();
    assert.equal(tx(c, '00200000022468'), '6700');
    assert.equal(tx(c, '002000000424681000'), '6700');
    assert.equal(tx(c, '00200000032468AF'), '6A80');
    assert.equal(tx(c, '0020010003246810'), '6A86');
    assert.equal(tx(c, '0020000103246810'), '6A88');
    assert.equal(c.pinTriesLeft, 3);
  });
  test('a profile with 5 tries counts 63C4 …', () => {
    const yaml = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../fixtures/cards/li-si.yaml'), 'utf8')
      .replace('value: "135790"', 'value: "135790"\n  tries: 5');
    const c = new EmulatedCard(parseCardProfile(yaml, 'li-si-5.yaml'));
    c.powerOn();
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '0020000003000000'), '63C4');
  });
});

describe('CHANGE PIN (80 5E 01 00 07 old FF new)', () => {
  test('correct old PIN → 9000; the old PIN then fails, the new one works', () => {
    const c = ssse('zhao-liu-initial-pin');
    assert.equal(c.isPinInitial, true);
    assert.equal(tx(c, '805E010007123456FF654321'), '9000');
    assert.equal(c.isPinInitial, false);
    assert.equal(tx(c, '0020000003123456'), '63C2');
    assert.equal(tx(c, '0020000003654321'), '9000');
  });
  test('wrong old PIN → 63C2, 63C1, 6983; locked → 6983', () => {
    const c = ssse();
    assert.equal(tx(c, '805E010007111111FF654321'), '63C2');
    assert.equal(tx(c, '805E010007111111FF654321'), '63C1');
    assert.equal(tx(c, '805E010007111111FF654321'), '6983');
    assert.equal(tx(c, '805E010007246810FF654321'), '6983');
  });
  test('CLA 00 → 6E00; Lc ≠ 7 → 6700; no FF separator → 6A80; P1/P2 → 6A86', () => {
    const c = ssse();
    assert.equal(tx(c, '005E010007246810FF654321'), '6E00');
    assert.equal(tx(c, '805E010006246810654321'), '6700');
    assert.equal(tx(c, '805E01000724681000654321'), '6A80');
    assert.equal(tx(c, '805E020007246810FF654321'), '6A86'); // P1 00 is RELOAD PIN (psam.test.ts)
    assert.equal(c.pinTriesLeft, 3);
  });
});

describe('GET CHALLENGE', () => {
  test('4 and 8 bytes', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '0084000004'), '010203049000');
    assert.equal(tx(c, '0084000008'), '01020304050607089000');
  });
  test('real randomness: two challenges differ', () => {
    const c = new EmulatedCard(profile('zhang-san'));
    c.powerOn();
    assert.notEqual(tx(c, '0084000008'), tx(c, '0084000008'));
  });
  test('other Le → 6700; P1/P2 → 6A86', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '0084000005'), '6700');
    assert.equal(tx(c, '00840000'), '6700');
    assert.equal(tx(c, '0084010008'), '6A86');
  });
});

describe('ISO status words for everything else', () => {
  test('unknown INS → 6D00', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, '00FF0000'), '6D00');
    assert.equal(tx(c, '00DC01040301 0203'.replace(/\s/g, '')), '6D00'); // UPDATE RECORD: not on this card
    assert.equal(tx(c, '805C000204'), '6D00'); // GET BALANCE (PBOC): not on this card
  });
  test('unknown CLA → 6E00; SM → 6882; logical channel → 6881; chaining → 6884', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, `A0A404000F${AID}`), '6E00');
    assert.equal(tx(c, `FFA404000F${AID}`), '6E00');
    assert.equal(tx(c, `80A404000F${AID}`), '6E00'); // SELECT is interindustry
    assert.equal(tx(c, '0CB2072C0B'), '6882');
    assert.equal(tx(c, '01B2072C0B'), '6881');
    assert.equal(tx(c, '10B2072C0B'), '6884');
  });
  test('wrong length → 6700: short, Lc mismatch, extended length', () => {
    const c = card('zhang-san');
    assert.equal(tx(c, ''), '6700');
    assert.equal(tx(c, '00A4'), '6700');
    assert.equal(tx(c, '00A404'), '6700');
    assert.equal(tx(c, '00A4040010' + AID), '6700'); // Lc 16, 15 bytes
    assert.equal(tx(c, '00B2072C00000B'), '6700'); // extended Le
    assert.equal(tx(c, `00A4040000000F${AID}`), '6700'); // extended Lc
  });
});

describe('INTERNAL AUTHENTICATE', () => {
  test('P1 ≠ 00 → 6A86; unknown key → 6A88; Lc ≠ 8 → 6700', () => {
    const c = ssse();
    assert.equal(tx(c, '00880101081122334455667788'), '6A86');
    assert.equal(tx(c, '00880002081122334455667788'), '6A88');
    assert.equal(tx(c, '008800010411223344'), '6700');
  });
});

describe('card not activated (sun-ba-not-activated)', () => {
  test('SELECT SSSE → 6283 (no FCI), records readable, VERIFY → 6985', () => {
    const c = card('sun-ba-not-activated');
    assert.equal(tx(c, SELECT_SSSE), '6283');
    assert.equal(tx(c, '00B2072C0B'), `0709${asciiHex('A50000006')}9000`);
    assert.equal(tx(c, '0020000003123456'), '6985');
    assert.equal(tx(c, '00880000081122334455667788'), '6985');
    c.setActivated(true);
    assert.equal(tx(c, SELECT_SSSE), '6113');
    assert.equal(tx(c, '0020000003123456'), '9000');
  });
});

describe('harness controls', () => {
  test('setPinTriesLeft(1): one wrong VERIFY locks', () => {
    const c = ssse();
    c.setPinTriesLeft(1);
    assert.equal(tx(c, '00200000'), '63C1');
    assert.equal(tx(c, '0020000003111111'), '6983');
    assert.equal(c.isPinLocked, true);
  });
  test('lockPin / unlockPin', () => {
    const c = ssse();
    c.lockPin();
    assert.equal(tx(c, '0020000003246810'), '6983');
    c.unlockPin();
    assert.equal(tx(c, '0020000003246810'), '9000');
  });
  test('setExpiryDate rewrites EF05 record 06', () => {
    const c = ssse();
    c.setExpiryDate('2020-02-29');
    assert.equal(tx(c, '00B2062C06'), '060420200229' + '9000');
    assert.equal(c.expiryDate, '2020-02-29');
    assert.throws(() => c.setExpiryDate('2021-02-29'), /YYYY-MM-DD/);
  });
  test('setActivated(false): SELECT SSSE → 6283', () => {
    const c = card('zhang-san');
    c.setActivated(false);
    assert.equal(tx(c, SELECT_SSSE), '6283');
  });
  test('setPinTriesLeft rejects out-of-range values', () => {
    const c = card('zhang-san');
    assert.throws(() => c.setPinTriesLeft(4), RangeError);
    assert.throws(() => c.setPinTriesLeft(-1), RangeError);
  });
  test('snapshot is JSON and stable', () => {
    const c = card('zhang-san');
    const a = JSON.stringify(c.snapshot());
    tx(c, SELECT_SSSE); tx(c, '00B2072C0B'); tx(c, '0084000008');
    assert.equal(JSON.stringify(c.snapshot()), a);
    assert.deepEqual(JSON.parse(a).files['MF/SSSE/EF05'].records['07'], `0709${asciiHex('A50000001')}`);
  });
});

describe('T=1 profile', () => {
  test('no 61xx: SELECT with Le returns the FCI; Le 00 on READ RECORD returns the record', () => {
    const yaml = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../fixtures/cards/li-si.yaml'), 'utf8') + 'protocol: T=1\n';
    const p = parseCardProfile(yaml, 'li-si-t1.yaml');
    // TS 3B, T0 88 (TD1 present, 8 historical bytes), TD1 01 (T=1), "li-si-t1", TCK = XOR of T0 … last
    const body = Buffer.from('8801' + asciiHex('li-si-t1'), 'hex');
    const tck = body.reduce((a, b) => a ^ b, 0);
    assert.equal(p.atr, `3B8801${asciiHex('li-si-t1')}${tck.toString(16).toUpperCase().padStart(2, '0')}`);
    const c = new EmulatedCard(p);
    c.powerOn();
    assert.equal(tx(c, `${SELECT_SSSE}00`), `${FCI_SSSE}9000`);
    assert.equal(tx(c, SELECT_SSSE), '9000');
    assert.equal(tx(c, '00B2072C00'), `0709${asciiHex('B11000002')}9000`);
    assert.equal(tx(c, '00B2072C05'), '6C0B');
  });
});
