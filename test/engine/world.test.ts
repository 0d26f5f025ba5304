// The YAML world (fixtures/world) loads, matches the emulator's cards, and bad files are
// reported with file, line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../engine';
import { ControlClient, PlatformClient, PlatformError } from '../../platform';
import { parse } from 'yaml';

/** A fixture institution's key, as fixtures/world/institutions.yaml gives it. */
const fixtureKey = (code: string): string => (parse(fs.readFileSync(path.join(__dirname, '../../fixtures/world/institutions.yaml'), 'utf8')) as { institutions: Array<{ fixmedins_code: string; key: string }> })
  .institutions.find((i) => i.fixmedins_code === code)!.key;
import { YamlError } from '../../schema';

test('the fixture world: 王小明 of the worked example, 张三 by card, e-voucher token and ID; 陈七\'s lost card refused', async () => {
  const engine = await createEngine();
  try {
    // The fixture hospital signs with its key from fixtures/world/institutions.yaml, as a vendor's software would.
    const c = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50010300001', regionCode: '500000', key: fixtureKey('H50010300001') });
    const agency = new ControlClient({ handle: engine.control, token: engine.controlToken });
    for (const x of [c, agency]) x.clock.set('2024-03-15 09:00:00');
    await agency.setClock(['H50010300001'], '2024-03-15 09:00:00');
    await c.signIn();
    const cr = await agency.monthlyCredit({ psn_no: 'P500000000001', months: 3 });
    assert.equal(cr.balc, '332.80'); // 25.00 carried + 3 × 102.60 (domain.md §3)
    const z = await c.lookupByCard('A50000001', '500000D15600000500A1B2C3D4E5F601');
    assert.deepEqual([z.baseinfo.psn_name, z.insuinfo[0].balc], ['张三', '800.00']);
    const ec = await agency.issueEvoucher('P500000000002', 'H50010300001');
    assert.equal((await c.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: ec.ecToken })).baseinfo.psn_no, 'P500000000002');
    assert.equal((await c.lookupById('500103198503120039')).baseinfo.psn_no, 'P500000000002');
    await assert.rejects(c.lookupByCard('A50000005'), (e: unknown) => e instanceof PlatformError && /挂失/.test(e.errMsg));
    await assert.rejects(c.lookupByCard('A50000003'), (e: unknown) => e instanceof PlatformError && /有效期/.test(e.errMsg));
    await assert.rejects(c.lookupByCard('A50000006'), (e: unknown) => e instanceof PlatformError && /激活/.test(e.errMsg));
    c.clock.set('2025-03-15 09:00:00'); // A50000004 was issued (and activated) on 2024-09-10
    await agency.setClock(['H50010300001'], '2025-03-15 09:00:00');
    assert.equal((await c.lookupByCard('A50000004')).insuinfo[0].psn_insu_stas, '2'); // employer in arrears
  } finally {
    await engine.close();
  }
});

test('a bad world file names the file, the line and the field', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-world-'));
  fs.mkdirSync(path.join(dir, 'world'));
  fs.cpSync(path.join(__dirname, '../../fixtures/policies'), path.join(dir, 'policies'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'world', 'employers.yaml'), 'employers:\n  - emp_no: E1\n    emp_name: 单位\n    insuplc_admdvs: "5000"\n');
  try {
    await assert.rejects(createEngine({ fixturesDir: dir }), (e: unknown) => e instanceof YamlError && e.line === 4 && e.field === 'employers[0].insuplc_admdvs' && e.file.endsWith('employers.yaml'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an institution registered with a key: its requests must carry the signature of the whole message in cainfo', async () => {
  const engine = await createEngine({ world: 'empty' });
  try {
    const agency = new ControlClient({ handle: engine.control, token: engine.controlToken });
    const made = await agency.createInstitution({ fixmedins_code: 'H50000000077', fixmedins_name: '签名医院', admvs: '500000', hosp_lv: 2, fixmedins_type: 'hospital', designated: true, key: 'secret-key' });
    assert.equal(made.key, 'secret-key');
    const signed = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50000000077', regionCode: '500000', key: 'secret-key' });
    const sha = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50000000077', regionCode: '500000', key: 'secret-key', signType: 'SHA256' });
    const unsigned = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50000000077', regionCode: '500000' });
    const wrong = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50000000077', regionCode: '500000', key: 'other' });
    assert.match((await signed.signIn()).signinoutb.sign_no, /^SN/);
    assert.match((await sha.signIn()).signinoutb.sign_no, /^SN/);
    await assert.rejects(unsigned.signIn(), (e: unknown) => e instanceof PlatformError && /签名/.test(e.errMsg));
    await assert.rejects(wrong.signIn(), (e: unknown) => e instanceof PlatformError && /签名/.test(e.errMsg));
    // Without a key of its own, an institution is given one, answered once.
    const fresh = await agency.createInstitution({ fixmedins_code: 'H50000000078', fixmedins_name: '新医院', admvs: '500000', hosp_lv: 2, fixmedins_type: 'hospital', designated: true });
    assert.match(fresh.key, /^[0-9a-f]{32}$/);
  } finally {
    await engine.close();
  }
});
