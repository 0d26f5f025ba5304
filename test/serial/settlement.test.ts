// No half-applied settlement: a visit whose serial line is cut at any APDU of the card read
// ends as a cash visit with a card refusal, and the engine's ledger (balance and history,
// read through the platform API) is exactly as before. The same visit uncut does settle, so
// the test can see a change when there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCardProfile } from '../../emulator';
import { createEngine } from '../../engine';
import { openRig } from '../../rigs';
import type { SerialRig } from '../../rigs/kinds/serial';
import { Terminal } from '../../terminal';
import { ROOT } from '../rigs/helpers';
import { controlOf, institutionClient, testKey } from '../engine/helpers';

const profile = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
const TODAY = '2024-03-15';
const HOSPITAL = { code: 'H50000000003', name: '重庆市第一人民医院', region: '500000', kind: 'hospital' as const };

test('a serial line cut at any APDU of a visit leaves the ledger unchanged; uncut, the visit settles', { timeout: 180_000 }, async () => {
  const engine = await createEngine({ world: 'empty' });
  try {
    const agency = controlOf(engine, TODAY);
    // The terminal sends its transactions at 10:00 of the day: the hospital's clock stands there.
    const hospital = institutionClient({ handle: engine.handle }, HOSPITAL.code, '500000', `${TODAY} 10:00:00`);
    await agency.createEmployer({ emp_no: 'E500001', emp_name: '重庆山城机械有限公司', insuplc_admdvs: '500000' });
    await agency.createInstitution({ fixmedins_code: HOSPITAL.code, fixmedins_name: HOSPITAL.name, admvs: '500000', hosp_lv: 3, fixmedins_type: 'hospital', designated: true, key: testKey(HOSPITAL.code) });
    await agency.setClock([HOSPITAL.code], `${TODAY} 10:00:00`);
    await hospital.signIn();
    await agency.createCatalogueItem({ med_list_codg: 'A001', name: '普通门诊诊查费', cls: 'A' });
    const psn = 'P500000SERIAL01';
    await agency.createPerson({ psn_no: psn, psn_name: profile.holder.name, certno: profile.holder.idNumber, gend: '1', brdy: '1985-03-12', insutype: '310', insuplc_admdvs: '500000', psn_insu_date: '2015-07-01', emp_no: 'E500001' });
    await agency.openingBalance(psn, '300.00');
    await agency.issueCard({ card_no: profile.card.number, card_sn: profile.card.identificationCode, psn_no: psn, issue_date: profile.card.issueDate, expiry_date: profile.card.expiryDate, admvs: '500000' });
    await agency.activateCard(profile.card.number);

    const terminal = new Terminal({ platform: { call: (infno, input, env) => hospital.call(infno as any, input as any, env as any) }, institution: HOSPITAL });
    const ledger = async () => ({ balance: (await agency.balance(psn)).balc, history: JSON.stringify(await agency.history(psn)) });
    const visit = (channel: import('../../rigs').CardChannel) => terminal.visit({
      kind: 'outpatient', date: TODAY, items: [{ code: 'A001', name: '普通门诊诊查费', priceFen: 5000, count: 1 }],
      card: { channel, pin: profile.pin.value, presented: { idNumber: profile.holder.idNumber, name: profile.holder.name } },
    });
    const before = await ledger();

    // Which frames does the card read put on the line? (The last, power-off after the read, is
    // not a cut point: the card data is complete by then and the visit rightly goes on.)
    let frames = 0;
    const commands: string[] = [];
    {
      const rig = (await openRig('serial')) as SerialRig;
      try {
        const slot = await rig.insertCard(profile);
        const start = rig.farEnd!.frames;
        (rig.farEnd! as any).o.onExchange = (cmd: Buffer) => commands.push(cmd.toString('hex'));
        // Count frames without settling: a dry read of the card.
        await terminal.readCard({ channel: slot.channel, pin: profile.pin.value }, TODAY, true);
        frames = rig.farEnd!.frames - start;
      } finally {
        await rig.close();
      }
    }
    assert.ok(frames >= 5, `a card read took only ${frames} frames`);
    assert.equal(commands[frames - 1], '00', `the read ends with power-off, not ${commands[frames - 1]}`);

    for (let cut = 1; cut < frames; cut++) {
      const rig = (await openRig('serial')) as SerialRig;
      try {
        const slot = await rig.insertCard(profile);
        const server = rig.farEnd!;
        const start = server.frames;
        // The far end computes its answer to frame `cut`, then hangs up (the cable pulled) before sending it.
        (server as any).o.onExchange = () => { if (server.frames - start === cut) void server.close(); };
        const outcome = await visit(slot.channel);
        assert.equal(outcome.settlement, undefined, `cut at frame ${cut}: a settlement came back`);
        assert.equal(outcome.cashAdvance, true, `cut at frame ${cut}: not a cash visit`);
        assert.equal(outcome.refusal?.code, 'card-silent', `cut at frame ${cut}: refusal ${outcome.refusal?.code}`);
        assert.match(outcome.refusal!.message, /serial line|removed|not powered/, `cut at frame ${cut}: ${outcome.refusal!.message}`);
        assert.deepEqual(await ledger(), before, `cut at frame ${cut}: the ledger changed`);
      } finally {
        await rig.close();
      }
    }

    const rig = await openRig('serial');
    try {
      const outcome = await visit((await rig.insertCard(profile)).channel);
      assert.ok(outcome.settlement, `the uncut visit did not settle: ${outcome.refusal?.message}`);
      assert.equal(outcome.totalFen, 5000);
      assert.notEqual((await ledger()).balance, before.balance, 'the uncut visit paid from the account');
    } finally {
      await rig.close();
    }
  } finally {
    await engine.close();
  }
});
