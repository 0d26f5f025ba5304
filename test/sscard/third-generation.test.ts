// libsscard on a third-generation card (card-spec §7): EF06 only after external
// authentication, through the PSAM (a second `medcard emulate --psam` in the other reader) or
// through the platform's encryption machine in two steps (iReadCardBas_HSM_Step1/2, the test
// playing the HSM with the profiles' keys); the contactless presentation; reader selection
// with both readers holding cards, by environment and by SSCARD_CONFIG. Expected values come
// from the YAML profiles alone. scripts/test.js holds /tmp/medcard-vpcd.lock for the run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  PORT_0, PORT_1, PSAM_PROFILE, READER_0, READER_1, ROOT, c, card, expectedFields, fieldsOf, hsmKey, psam, py, readYaml,
  setUp, tearDown, tmp, twoStep, withServed,
} from './helpers';

const GEN3 = path.join(ROOT, 'fixtures', 'cards', 'zhang-san-3g.yaml');
const GEN2 = path.join(ROOT, 'fixtures', 'cards', 'zhang-san.yaml');
const terminalNo = String(readYaml(PSAM_PROFILE).terminalNumber);

/** The 3G fixture with a name extension (EF06/4E) and a contactless ATR of its own, written to the temp folder. */
let EXT = '';
const CONTACTLESS_HIST = Buffer.from('CONTACTLESS').toString('hex').toUpperCase();
function writeExtendedProfile(): string {
  const hist = Buffer.from('CONTACTLESS');
  const body = [0x80 | hist.length, 0x80, 0x01, ...hist];
  const atr = Buffer.from([0x3b, ...body, body.reduce((a, b) => a ^ b, 0)]); // TCK: XOR of T0…last byte
  const text = fs.readFileSync(GEN3, 'utf8')
    .replace(/nameExtension: .*$/m, 'nameExtension: "买买提"')
    .replace(/^gen3:\n/m, `gen3:\n  contactlessAtr: "${atr.toString('hex').toUpperCase()}"\n`);
  const file = path.join(tmp(), 'zs-3g-ext.yaml');
  fs.writeFileSync(file, text);
  const y = readYaml(file);
  assert.equal(y.gen3.nameExtension, '买买提');
  return file;
}

before(() => { setUp(); EXT = writeExtendedProfile(); });
after(tearDown);

describe('libsscard iReadCardBas on a third-generation card, through pcscd + vpcd', () => {
  test('with the PSAM in the other reader: external authentication, then every field; field 10 is the PSAM terminal number; the name includes EF06/4E', async () => {
    await withServed([card(EXT, PORT_0), psam(PORT_1)], () => {
      const r = c(['read', '1'], { SSCARD_DEVICE_NO: 'DEV-7' });
      assert.equal(r.rc, 0, r.out.toString('latin1'));
      assert.deepEqual(fieldsOf(r.out, 'gbk'), expectedFields(EXT, { terminalNo, deviceNo: 'DEV-7' }));
      // read again: the card is still authenticated from the first call; the answer is the same
      const p = py(['read', '1'], { SSCARD_ENCODING: 'utf-8', SSCARD_READER: READER_0, SSCARD_PSAM_READER: READER_1 });
      assert.equal(p.rc, 0, p.out.toString());
      assert.deepEqual(fieldsOf(p.out, 'utf-8'), expectedFields(EXT, { terminalNo }));
      assert.equal(fieldsOf(p.out, 'utf-8')[4], '张三买买提');
      // SSCARD_TERMINAL_NO does not override the PSAM's number
      assert.equal(fieldsOf(c(['read', '1'], { SSCARD_TERMINAL_NO: 'T0001' }).out, 'gbk')[9], terminalNo);
    });
  });

  test('without a PSAM: -2201, and none of the holder data (EF06) is given out', async () => {
    const y = readYaml(GEN3);
    await withServed([card(GEN3, PORT_0)], () => {
      for (const r of [c(['read', '1']), py(['read', '3'])]) {
        assert.equal(r.rc, -2201, r.out.toString());
        assert.match(r.out.toString(), /^no PSAM: /);
        assert.ok(!r.out.includes(Buffer.from(String(y.holder.idNumber))), 'no social security number in the output');
      }
      const named = c(['read', '1'], { SSCARD_PSAM_READER: READER_1 });
      assert.equal(named.rc, -2201);
      assert.match(named.out.toString(), /no card in reader "Virtual PCD 00 01"/);
      const unknown = c(['read', '1'], { SSCARD_PSAM_READER: 'ACME PSAM Slot' });
      assert.equal(unknown.rc, -2201);
      assert.match(unknown.out.toString(), /no PC\/SC reader named "ACME PSAM Slot"/);
    });
  });

  test('contactless (medcard emulate --contactless, SSCARD_CONTACTLESS_READER): iType 2 and 4 read it, field 6 is the contactless ATR\'s historical bytes; iType 1 does not take the contactless reader', async () => {
    await withServed([card(EXT, PORT_0, true), psam(PORT_1)], () => {
      const env = { SSCARD_CONTACTLESS_READER: READER_0 };
      const expected = expectedFields(EXT, { terminalNo, contactless: true });
      assert.equal(expected[5], CONTACTLESS_HIST);
      for (const r of [c(['read', '2'], env), py(['read', '4'], env)]) {
        assert.equal(r.rc, 0, r.out.toString('latin1'));
        assert.deepEqual(fieldsOf(r.out, 'gbk'), expected);
      }
      const contact = c(['read', '1'], env); // the contact slot is probed in the other readers: only the PSAM is there
      assert.equal(contact.rc, -1, contact.out.toString());
      assert.match(contact.out.toString(), /not a social security card: SELECT SSSE answered 6A82 \(reader "Virtual PCD 00 01"\)/);
    });
  });

  test('reader selection with both readers holding cards: the PSAM in 00 00 and the card in 00 01 are told apart with no settings; SSCARD_CONFIG names them, the environment wins; four threads at once', async () => {
    await withServed([psam(PORT_0), card(GEN3, PORT_1)], () => {
      const auto = c(['read', '1']);
      assert.equal(auto.rc, 0, auto.out.toString('latin1'));
      assert.deepEqual(fieldsOf(auto.out, 'gbk'), expectedFields(GEN3, { terminalNo }));
      const config = path.join(tmp(), 'sscard.conf');
      fs.writeFileSync(config, `# readers\nSSCARD_READER = ${READER_1}\nSSCARD_PSAM_READER=${READER_0}\r\nSSCARD_ENCODING=utf-8\nSSCARD_DEVICE_NO=CFG-DEV\n`);
      const viaFile = py(['read', '1'], { SSCARD_CONFIG: config });
      assert.equal(viaFile.rc, 0, viaFile.out.toString());
      assert.deepEqual(fieldsOf(viaFile.out, 'utf-8'), expectedFields(GEN3, { terminalNo, deviceNo: 'CFG-DEV' }));
      const envWins = c(['read', '1'], { SSCARD_CONFIG: config, SSCARD_READER: READER_0 });
      assert.equal(envWins.rc, -1, 'SSCARD_READER from the environment names the PSAM\'s reader');
      assert.match(envWins.out.toString(), /not a social security card/);
      // four threads of one process, 5 reads each: one context, calls serialized, every line the same
      const threads = c(['threads', '1', '5']);
      assert.equal(threads.rc, 0, 'no thread failed or got another line');
      assert.deepEqual(fieldsOf(threads.out, 'gbk'), expectedFields(GEN3, { terminalNo }));
      fs.writeFileSync(config, `SSCARD_READER=${READER_1}\nSSCARD_PSAM_READER=${READER_1}\n`); // the PSAM slot holds the card
      const wrongPsam = c(['read', '1'], { SSCARD_CONFIG: config });
      assert.equal(wrongPsam.rc, -2201, wrongPsam.out.toString());
      assert.match(wrongPsam.out.toString(), /answered SELECT PSAM.SSSE with 6A82/);
    });
  });
});

describe('libsscard iReadCardBas_HSM_Step1 / Step2 (the test plays the encryption machine)', () => {
  const y = readYaml(GEN3);
  test('Step1 gives 9 fields (algorithm 9F0C, internal and external factors); the right pKey unlocks the 11-field line, from C and Python; no PSAM needed', async () => {
    await withServed([card(EXT, PORT_0)], async () => {
      for (const caller of ['c', 'py'] as const) {
        let s1: string[] = [];
        const { step1, step2 } = await twoStep(caller, 1, (r) => {
          assert.equal(r.rc, 0, r.out.toString());
          s1 = fieldsOf(r.out, 'gbk', 9, -1);
          return hsmKey(s1, y);
        }, { SSCARD_DEVICE_NO: 'SN-1234' });
        const idCode = String(y.card.identificationCode).toUpperCase();
        const expected = expectedFields(EXT);
        assert.deepEqual([s1[0], s1[1], s1[2], s1[3], s1[8]], [idCode.slice(0, 6), expected[5], String(y.gen3.algorithm), idCode, 'SN-1234']);
        for (const f of s1.slice(4, 8)) assert.match(f, /^[0-9A-F]{16}$/);
        assert.equal(step1.rc, 0);
        assert.equal(step2.rc, 0, step2.out.toString('latin1'));
        assert.deepEqual(fieldsOf(step2.out, 'gbk'), expectedFields(EXT, { deviceNo: 'SN-1234' }));
      }
    });
  });

  test('a wrong internal-authentication result is -25 (not genuine), a wrong cryptogram is the card\'s 63Cx as -2553x, a short pKey -23, Step2 without Step1 -12; none gives holder data', async () => {
    await withServed([card(GEN3, PORT_0)], async () => {
      const ssn = Buffer.from(String(y.holder.idNumber));
      const bad = await twoStep('py', 1, (r) => hsmKey(fieldsOf(r.out, 'gbk', 9, -1), y, { wrongInternal: true }));
      assert.equal(bad.step2.rc, -25, bad.step2.out.toString());
      assert.match(bad.step2.out.toString(), /not genuine/);
      const crypt = await twoStep('c', 1, (r) => hsmKey(fieldsOf(r.out, 'gbk', 9, -1), y, { wrongCryptogram: true }));
      const tries = Number(y.gen3.externalAuthTries) - 1;
      assert.equal(crypt.step2.rc, -(0x63c0 + tries), crypt.step2.out.toString());
      assert.match(crypt.step2.out.toString(), new RegExp(`${tries} tries left`));
      const short = await twoStep('c', 1, (r) => hsmKey(fieldsOf(r.out, 'gbk', 9, -1), y).slice(0, 40));
      assert.equal(short.step2.rc, -23, short.step2.out.toString());
      for (const r of [bad.step2, crypt.step2, short.step2]) assert.ok(!r.out.includes(ssn));
      const alone = py(['hsm-step2-only', '1']);
      assert.equal(alone.rc, -12, alone.out.toString());
      // the right key again: the card's external-authentication tries are back to the maximum
      const good = await twoStep('c', 1, (r) => hsmKey(fieldsOf(r.out, 'gbk', 9, -1), y));
      assert.equal(good.step2.rc, 0, good.step2.out.toString('latin1'));
      assert.deepEqual(fieldsOf(good.step2.out, 'gbk'), expectedFields(GEN3));
    });
  });

  test('a second-generation card: Step1\'s authentication fields are empty, Step2 ignores pKey and reads', async () => {
    await withServed([card(GEN2, PORT_0)], async () => {
      const { step1, step2 } = await twoStep('c', 1, () => 'ignored');
      assert.equal(step1.rc, 0, step1.out.toString());
      assert.deepEqual(fieldsOf(step1.out, 'gbk', 9, -1).slice(2, 8), ['01', expectedFields(GEN2)[3], '', '', '', '']);
      assert.equal(step2.rc, 0, step2.out.toString('latin1'));
      assert.deepEqual(fieldsOf(step2.out, 'gbk'), expectedFields(GEN2));
    });
  });
});
