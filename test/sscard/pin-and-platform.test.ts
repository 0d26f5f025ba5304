// libsscard's iChangePIN / iReloadPIN and the national platform library's Init / ReadCardBas,
// from C and Python against cards served by separate `medcard emulate` processes. The
// emulator keeps the PIN in memory only: each test starts its own card process, so the
// fixtures stay as they are (checked). scripts/test.js holds /tmp/medcard-vpcd.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  PORT_0, PORT_1, PSAM_PROFILE, ROOT, c, cTraced, card, expectedFields, fieldsOf, psam, py, readYaml, setUp, tearDown, withServed,
} from './helpers';

const GEN2 = path.join(ROOT, 'fixtures', 'cards', 'zhang-san.yaml');
const GEN3 = path.join(ROOT, 'fixtures', 'cards', 'zhang-san-3g.yaml');
const fixtureBytes = () => [GEN2, GEN3].map((f) => fs.readFileSync(f));
let before_: Buffer[] = [];

before(() => { setUp(); before_ = fixtureBytes(); });
after(() => {
  assert.deepEqual(fixtureBytes(), before_, 'the fixtures are untouched');
  tearDown();
});

const pinOf = (file: string) => String(readYaml(file).pin.value);
const other = (pin: string) => (pin === '135790' ? '975310' : '135790');

describe('libsscard iChangePIN, through pcscd + vpcd', () => {
  test('round trip: C (SSCARD_PIN → SSCARD_NEW_PIN) and back with Python iChangePINEx; each new PIN verifies, the old one no longer', async () => {
    const pin = pinOf(GEN2);
    const next = other(pin);
    await withServed([card(GEN2, PORT_0)], () => {
      const r = c(['change', '1'], { SSCARD_PIN: pin, SSCARD_NEW_PIN: next });
      assert.equal(r.rc, 0, r.out.toString());
      assert.equal(r.out.toString(), '', 'nothing in pOutInfo on success');
      assert.equal(c(['verify', '1'], { SSCARD_PIN: next }).rc, 0, 'the new PIN verifies');
      const old = py(['verify', '1', pin]);
      assert.equal(old.rc, -51, 'the old PIN is wrong now');
      assert.equal(py(['change', '1', next, pin]).rc, 0, 'changed back');
      assert.equal(py(['verify', '1', pin]).rc, 0, 'the original PIN verifies again (and its tries are back)');
      for (const bad of [{ SSCARD_PIN: pin } as Record<string, string>, { SSCARD_PIN: pin, SSCARD_NEW_PIN: '1234' }, { SSCARD_PIN: '12a456', SSCARD_NEW_PIN: next }]) {
        const b = c(['change', '1'], bad);
        assert.equal(b.rc, -14, JSON.stringify(bad));
        assert.match(b.out.toString(), /PIN/);
      }
    });
  });

  test('a wrong old PIN: -51 with the tries left, then -52; locked, the right old PIN is -52 too', async () => {
    const pin = pinOf(GEN2);
    const tries = Number(readYaml(GEN2).pin.tries);
    const wrong = other(pin);
    await withServed([card(GEN2, PORT_0)], () => {
      for (let left = tries - 1; left >= 1; left--) {
        const r = left % 2 ? c(['change', '1'], { SSCARD_PIN: wrong, SSCARD_NEW_PIN: pin }) : py(['change', '1', wrong, pin]);
        assert.equal(r.rc, -51, r.out.toString());
        assert.equal(r.out.toString(), String(left));
      }
      assert.equal(c(['change', '1'], { SSCARD_PIN: wrong, SSCARD_NEW_PIN: pin }).rc, -52);
      assert.equal(py(['change', '1', pin, wrong]).rc, -52, 'locked: the right old PIN does not help');
    }); // the card process ends here: the next one starts from the fixture's PIN and tries
  });

  test('PIN digits never reach SSCARD_TRACE: the command header is shown, its data hidden', async () => {
    const pin = pinOf(GEN2);
    const next = other(pin);
    await withServed([card(GEN2, PORT_0)], () => {
      for (const [args, env] of [
        [['change', '1'], { SSCARD_PIN: pin, SSCARD_NEW_PIN: next }],
        [['verify', '1'], { SSCARD_PIN: next }],
        [['change', '1'], { SSCARD_PIN: next, SSCARD_NEW_PIN: pin }],
      ] as const) {
        const { call, stderr } = cTraced([...args], { ...env, SSCARD_TRACE: '1' });
        assert.equal(call.rc, 0, call.out.toString());
        assert.match(stderr, /sscard > (805E010007 <7|0020000003 <3) bytes of PIN data hidden>/);
        for (const p of [pin, next]) assert.ok(!stderr.includes(p), `no PIN digits in the trace:\n${stderr}`);
      }
    });
  });
});

describe('libsscard iReloadPIN (issuer-side, after external authentication through the PSAM)', () => {
  test('third-generation card: a locked PIN is reloaded to pCardInfo with the tries back; without a PSAM -2201; a bad new PIN -14', async () => {
    const pin = pinOf(GEN3);
    const fresh = other(pin);
    const tries = Number(readYaml(GEN3).pin.tries);
    await withServed([card(GEN3, PORT_0), psam(PORT_1)], () => {
      for (let i = 0; i < tries; i++) c(['verify', '1'], { SSCARD_PIN: fresh });
      assert.equal(c(['verify', '1'], { SSCARD_PIN: pin }).rc, -52, 'locked');
      const r = c(['reload', '1', fresh]);
      assert.equal(r.rc, 0, r.out.toString());
      assert.equal(py(['verify', '1', fresh]).rc, 0, 'the reloaded PIN verifies');
      const wrong = py(['verify', '1', pin]);
      assert.equal(wrong.rc, -51);
      assert.equal(wrong.out.toString(), String(tries - 1), 'the tries were back at the maximum');
      assert.equal(py(['reload', '1', pin]).rc, 0, 'reloaded back, from Python');
      assert.equal(c(['verify', '1'], { SSCARD_PIN: pin }).rc, 0);
      assert.equal(c(['reload', '1', '12345']).rc, -14);
    });
    await withServed([card(GEN3, PORT_0)], () => {
      const r = c(['reload', '1', fresh]);
      assert.equal(r.rc, -2201, r.out.toString());
      assert.equal(c(['verify', '1'], { SSCARD_PIN: pin }).rc, 0, 'the PIN is unchanged');
    });
  });

  test('second-generation card: -1, its PIN can be reloaded only by the issuer (no EXTERNAL AUTHENTICATE)', async () => {
    await withServed([card(GEN2, PORT_0), psam(PORT_1)], () => {
      const r = c(['reload', '1', other(pinOf(GEN2))]);
      assert.equal(r.rc, -1, r.out.toString());
      assert.match(r.out.toString(), /second-generation/);
      assert.equal(c(['verify', '1'], { SSCARD_PIN: pinOf(GEN2) }).rc, 0, 'the PIN is unchanged');
    });
  });
});

describe('libsscard Init / ReadCardBas (the national platform library\'s form)', () => {
  const INIT = JSON.stringify({ IP: '127.0.0.1', PORT: 7020, TIMEOUT: 60, LOG_PATH: '/tmp/medcard-log', SFZ_DRIVER_TYPE: 0, EXTRA: { nested: [1, 'two', null, true] } });
  test('after Init, pCardInfo is the 11-field line and pBusiCardInfo the 1101 input for the card (name GBK by default, UTF-8 on request); a second-generation and a third-generation card', async () => {
    const terminalNo = String(readYaml(PSAM_PROFILE).terminalNumber);
    for (const [file, served, fields] of [
      [GEN2, [card(GEN2, PORT_0)], expectedFields(GEN2)],
      [GEN3, [card(GEN3, PORT_0), psam(PORT_1)], expectedFields(GEN3, { terminalNo })],
    ] as const) {
      const y = readYaml(file);
      const busi = { mdtrt_cert_type: '03', mdtrt_cert_no: String(y.card.number), card_sn: String(y.card.identificationCode).toUpperCase(), certno: String(y.holder.idNumber), psn_name: String(y.holder.name) };
      await withServed([...served], () => {
        const r = c(['platform', INIT]);
        assert.equal(r.rc, 0, r.out.toString('latin1'));
        assert.deepEqual(fieldsOf(r.out, 'gbk'), fields);
        assert.deepEqual(JSON.parse(new TextDecoder('gbk').decode(r.more[0])), busi);
        const u = py(['platform', INIT], { SSCARD_ENCODING: 'utf-8' });
        assert.equal(u.rc, 0, u.out.toString());
        assert.deepEqual(fieldsOf(u.out, 'utf-8'), fields);
        assert.deepEqual(JSON.parse(u.more[0].toString('utf8')), busi);
      });
    }
  });

  test('Init refuses what is not a JSON object (-1, the reason in pErrMsg); ReadCardBas before Init is -1', async () => {
    for (const bad of ['', '[1,2]', '{"IP":"x",}', '{"IP":"x"', '{"PORT":"seventy"}', '{"IP":7}', '{"IP":"x"} trailing']) {
      const r = c(['init', bad]);
      assert.equal(r.rc, -1, `Init(${bad})`);
      assert.match(r.out.toString(), /^Init: /, `a reason for ${bad}`);
    }
    assert.equal(c(['init', INIT]).rc, 0);
    assert.equal(py(['platform', '{}']).rc, -2, 'Init accepts {}: then no card in any reader');
    const before = c(['readcardbas', '0']);
    assert.equal(before.rc, -1);
    assert.match(before.out.toString(), /Init has not been called/);
  });
});
