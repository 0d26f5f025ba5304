// The emulated PSAM (emulator/psam.ts, card-spec §7) and the card-side commands it serves:
// the third-generation card's external authentication with a PSAM's cryptogram, the HSM
// forms of INTERNAL / EXTERNAL AUTHENTICATE (Lc 10, card-spec §6) and RELOAD PIN. Every
// expected value is computed here with the SM4 primitive (checked against GB/T 32907's vector
// in crypto.test.ts) from the fixtures' keys, never taken from the emulator.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { card, hex, show, tx, asciiHex, prng } from './helpers';
import { CardProfileError, EmulatedPsam, isKnownSw, loadPsamProfile, type EmulatedCard } from '../../emulator';
import { sm4EncryptEcb } from '../../emulator/sm4';

const PSAM_FILE = path.resolve(__dirname, '../../fixtures/psam/test-psam.yaml');
const MASTER_KEY = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';
const AUTH_KEY = '00112233445566778899AABBCCDDEEFF'; // zhang-san-3g.yaml auth.key
const CARD_ID_CODE = '500000D15600000500A1B2C3D4E5F611';
const CHALLENGE = '0102030405060708'; // helpers.card(): GET CHALLENGE gives 01 02 03 …
const PSAM_NAME = asciiHex('PSAM.SSSE');
const SELECT_PSAM = `00A4040009${PSAM_NAME}`;
const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
const READ_SSN = '00B2083414';
const PAD = `80${'00'.repeat(7)}`;

const sm4 = (key: string, block: string) => show(sm4EncryptEcb(hex(key), hex(block)));
const cardKey = (master = MASTER_KEY, id = CARD_ID_CODE) => sm4(master, id);

function psam(): EmulatedPsam {
  const p = new EmulatedPsam(loadPsamProfile(PSAM_FILE));
  p.powerOn();
  return p;
}
const ptx = (p: EmulatedPsam, apdu: string) => show(p.transmit(hex(apdu)));

describe('PSAM profile', () => {
  test('test-psam.yaml: terminal number, the test master key and the default ATR 3B 08 "PSAM-SSE"', () => {
    const p = loadPsamProfile(PSAM_FILE);
    assert.equal(p.id, 'test-psam');
    assert.equal(p.terminalNumber, '500000000001');
    assert.equal(p.masterKey, MASTER_KEY);
    assert.equal(p.atr, `3B08${asciiHex('PSAM-SSE')}`);
  });

  test('a bad terminal number or key is refused with the file, the field and what was expected', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psam-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'terminalNumber: "12345"\nmasterKey: XYZ\nkey: 1\n');
    assert.throws(() => loadPsamProfile(file), (e: unknown) => e instanceof CardProfileError
      && /terminalNumber: expected 12 digits, got "12345"/.test(e.message)
      && /masterKey: expected 32 hex digits/.test(e.message)
      && /key: unknown field/.test(e.message));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('PSAM commands', () => {
  test('SELECT by DF name answers 61 0D, then the FCI 6F 0B 84 09 "PSAM.SSSE"; another name 6A 82', () => {
    const p = psam();
    assert.equal(ptx(p, SELECT_PSAM), '610D');
    assert.equal(ptx(p, '00C000000D'), `6F0B8409${PSAM_NAME}9000`);
    assert.equal(ptx(p, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF'), '6A82');
  });

  test('READ BINARY SFI 16: the terminal number as 6 bytes BCD; wrong Le 6C 06; another SFI 6A 82', () => {
    const p = psam();
    assert.equal(ptx(p, '00B0960006'), '5000000000019000');
    assert.equal(ptx(p, '00B0960008'), '6C06');
    assert.equal(ptx(p, '00B0850006'), '6A82');
  });

  test('DELIVERY KEY then CIPHER DATA: SM4 of the block under SM4(master, card id); the card key never leaves', () => {
    const p = psam();
    ptx(p, SELECT_PSAM);
    assert.equal(ptx(p, `801A010110${CARD_ID_CODE}`), '9000');
    const block = `${CHALLENGE}${PAD}`;
    assert.equal(ptx(p, `80FA000010${block}`), '6110');
    assert.equal(ptx(p, '00C0000010'), `${sm4(cardKey(), block)}9000`);
  });

  test('refusals: no application 69 85, unknown key 6A 88, wrong Lc 67 00, no key delivered 69 85, bad P1 6A 86', () => {
    const p = psam();
    assert.equal(ptx(p, `801A010110${CARD_ID_CODE}`), '6985');
    ptx(p, SELECT_PSAM);
    assert.equal(ptx(p, `80FA000010${CHALLENGE}${PAD}`), '6985');
    assert.equal(ptx(p, `801A010210${CARD_ID_CODE}`), '6A88');
    assert.equal(ptx(p, `801A01010F${CARD_ID_CODE.slice(2)}`), '6700');
    assert.equal(ptx(p, `801A010110${CARD_ID_CODE}`), '9000');
    assert.equal(ptx(p, `80FA00000F${CHALLENGE}${PAD.slice(2)}`), '6700');
    assert.equal(ptx(p, `80FA010010${CHALLENGE}${PAD}`), '6A86');
    assert.equal(ptx(p, '80CA000000'), '6D00');
  });

  test('a reset forgets the delivered key; unpowered it answers 6F 00', () => {
    const p = psam();
    ptx(p, SELECT_PSAM);
    ptx(p, `801A010110${CARD_ID_CODE}`);
    p.powerOn();
    ptx(p, SELECT_PSAM);
    assert.equal(ptx(p, `80FA000010${CHALLENGE}${PAD}`), '6985');
    p.powerOff();
    assert.equal(ptx(p, SELECT_PSAM), '6F00');
  });

  test('the trace names the PSAM commands', () => {
    const p = psam();
    ptx(p, SELECT_PSAM);
    ptx(p, `801A010110${CARD_ID_CODE}`);
    const [sel, key] = p.trace;
    assert.match(sel.detail, /PSAM\.SSSE/);
    assert.equal(key.name, 'DELIVERY KEY');
    assert.match(key.detail, new RegExp(CARD_ID_CODE));
  });

  test(`fuzz: random PSAM commands never throw, never answer 6F 00 or an unknown SW, never give data with an error (seed ${process.env.MEDCARD_FUZZ_SEED ?? 'random'})`, () => {
    const seed = Number(process.env.MEDCARD_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`PSAM fuzz seed ${seed} (MEDCARD_FUZZ_SEED=${seed} repeats it)`);
    const rnd = prng(seed);
    const p = psam();
    const heads = ['00A4', '00B0', '801A', '80FA', '00C0', '0084', '8082', '0020'];
    for (let i = 0; i < 20_000; i++) {
      const head = hex(heads[Math.floor(rnd() * heads.length)]);
      const len = Math.floor(rnd() * 24);
      const apdu = Uint8Array.from([...head, ...Array.from({ length: 2 + len }, () => Math.floor(rnd() * 256))]);
      if (rnd() < 0.3 && apdu.length > 4) apdu[4] = apdu.length - 5; // a well-formed Lc now and then
      const r = p.transmit(apdu);
      const sw = (r[r.length - 2] << 8) | r[r.length - 1];
      assert.notEqual(sw, 0x6f00, `6F00 to ${show(apdu)} (seed ${seed}, #${i})`);
      assert.ok(isKnownSw(sw), `unknown SW ${sw.toString(16)} to ${show(apdu)} (seed ${seed}, #${i})`);
      if (r.length > 2) assert.ok(sw === 0x9000 || (sw & 0xff00) === 0x6100, `data with ${sw.toString(16)} (seed ${seed}, #${i})`);
    }
  });
});

describe('the third-generation card with the PSAM', () => {
  /** What a terminal does: the card's challenge through the PSAM, the first 8 bytes to the card. */
  function authenticateThroughPsam(c: EmulatedCard, p: EmulatedPsam): string {
    tx(c, SELECT_SSSE);
    const challenge = tx(c, '0084000008').slice(0, 16);
    ptx(p, SELECT_PSAM);
    assert.equal(ptx(p, `801A010110${CARD_ID_CODE}`), '9000');
    ptx(p, `80FA000010${challenge}${PAD}`);
    const cryptogram = ptx(p, '00C0000010').slice(0, 16);
    return tx(c, `0082000108${cryptogram}`);
  }

  test("the PSAM's cryptogram opens EF06", () => {
    const c = card('zhang-san-3g');
    tx(c, SELECT_SSSE);
    assert.equal(tx(c, READ_SSN), '6982');
    assert.equal(authenticateThroughPsam(c, psam()), '9000');
    assert.equal(tx(c, READ_SSN), `0812${asciiHex('500103198503120039')}9000`);
  });

  test('a PSAM with another master key gets 63 C2 from the card (a terminal of another region)', () => {
    const other = new EmulatedPsam({ ...loadPsamProfile(PSAM_FILE), masterKey: '0F'.repeat(16) });
    other.powerOn();
    const c = card('zhang-san-3g');
    assert.equal(authenticateThroughPsam(c, other), '63C2');
    assert.equal(tx(c, READ_SSN), '6982');
  });
});

describe('HSM forms (card-spec §6, iReadCardBas_HSM_Step1/2)', () => {
  test('INTERNAL AUTHENTICATE with Lc 10: the first 8 bytes of SM4(auth key, factor ‖ random)', () => {
    const c = card('zhang-san-3g');
    tx(c, SELECT_SSSE);
    const block = `${CARD_ID_CODE.slice(0, 16)}1122334455667788`;
    assert.equal(tx(c, `0088000010${block}`), '6108');
    assert.equal(tx(c, '00C0000008'), `${sm4(AUTH_KEY, block).slice(0, 16)}9000`);
  });

  test('EXTERNAL AUTHENTICATE with Lc 10: the challenge ‖ cryptogram; another challenge is 6A 80 and costs no try', () => {
    const c = card('zhang-san-3g');
    tx(c, SELECT_SSSE);
    const crypt = sm4(cardKey(), `${CHALLENGE}${PAD}`).slice(0, 16);
    tx(c, '0084000008');
    assert.equal(tx(c, `0082000110${'FF'.repeat(8)}${crypt}`), '6A80');
    assert.equal(c.externalAuthTriesLeft, 3);
    tx(c, '0084000008');
    assert.equal(tx(c, `0082000110${CHALLENGE}${crypt}`), '9000');
    assert.ok(c.isExternallyAuthenticated);
  });
});

describe('RELOAD PIN 80 5E 00 00 03', () => {
  test('after external authentication: the new PIN, tries back to the maximum; before it 69 82; the trace hides the digits', () => {
    const c = card('zhang-san-3g');
    tx(c, SELECT_SSSE);
    assert.equal(tx(c, '805E000003135790'), '6982');
    c.setPinTriesLeft(1);
    tx(c, '0084000008');
    assert.equal(tx(c, `0082000108${sm4(cardKey(), `${CHALLENGE}${PAD}`).slice(0, 16)}`), '9000');
    assert.equal(tx(c, '805E000003135790'), '9000');
    assert.equal(c.pinTriesLeft, 3);
    assert.equal(tx(c, '0020000003246810'), '63C2'); // the old PIN no longer
    assert.equal(tx(c, '0020000003135790'), '9000');
    const reload = c.trace.find((e) => e.name === 'RELOAD PIN')!;
    assert.equal(reload.command, '805E000003******');
    assert.doesNotMatch(JSON.stringify(c.trace), /135790/);
  });

  test('a second-generation card cannot be reloaded: 69 82', () => {
    const c = card('zhang-san');
    tx(c, SELECT_SSSE);
    assert.equal(tx(c, '805E000003135790'), '6982');
  });
});
