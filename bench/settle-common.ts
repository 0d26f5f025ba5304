// Shared by bench/settle-pg.ts and bench/settle-pglite.ts: build a world through the API,
// prepare visits (registered, fees uploaded), then time outpatient settlements (2207) only.
import { makeIdNumber } from '../spec';
import { ControlClient, PlatformClient, type SettleInput } from '../platform';
import type { Engine } from '../engine';

export async function prepare(engine: Engine, people: number, visitsPerPerson: number): Promise<{ inputs: SettleInput[]; client: PlatformClient }> {
  // Settlements as a vendor's software sends them: signed (HMAC-SM3), signed in, on the institution's clock.
  const agency = new ControlClient({ handle: engine.control, token: engine.controlToken });
  const h = new PlatformClient({ handle: engine.handle, fixmedinsCode: 'H50000000003', regionCode: '500000', key: 'bench-key' });
  for (const c of [agency, h]) c.clock.set('2024-03-15 09:00:00');
  await agency.createEmployer({ emp_no: 'E1', emp_name: '基准测试单位', insuplc_admdvs: '500000' });
  await agency.createInstitution({ fixmedins_code: 'H50000000003', fixmedins_name: '基准测试医院', admvs: '500000', hosp_lv: 3, fixmedins_type: 'hospital', designated: true, key: 'bench-key' });
  await agency.setClock(['H50000000003'], '2024-03-15 09:00:00');
  await h.signIn();
  await agency.createCatalogueItem({ med_list_codg: 'A001', name: '诊查费', cls: 'A' });
  await agency.createCatalogueItem({ med_list_codg: 'B001', name: '乙类药品', cls: 'B' });
  const inputs: SettleInput[] = [];
  const work: Array<() => Promise<void>> = [];
  for (let i = 0; i < people; i++) {
    work.push(async () => {
      const psn = `BP${String(i).padStart(6, '0')}`;
      const card = `B${String(i).padStart(8, '0')}`;
      const birth = '1980-01-01';
      // Distinct ID numbers for up to 100,000 people: the area's last two digits and the sequence vary.
      const certno = makeIdNumber(`5000${String(Math.floor(i / 1000) % 100).padStart(2, '0')}`, birth, i % 1000);
      await agency.createPerson({ psn_no: psn, psn_name: '基准', certno, gend: '1', brdy: birth, insutype: '310', insuplc_admdvs: '500000', psn_insu_date: '2010-01-01', emp_no: 'E1', contribution_base: '5000.00' });
      await agency.openingBalance(psn, '2000.00');
      await agency.issueCard({ card_no: card, card_sn: 'AB'.repeat(16), psn_no: psn, issue_date: '2020-01-01', expiry_date: '2030-01-01', admvs: '500000', card_stas: 'active' });
      for (let v = 0; v < visitsPerPerson; v++) {
        const reg = await h.register({ psn_no: psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: card, ipt_otp_no: `${psn}V${v}` });
        await h.uploadFees([
          { feedetl_sn: '1', mdtrt_id: reg.data.mdtrt_id, psn_no: psn, med_list_codg: 'A001', det_item_fee_sumamt: '150.00', cnt: 1, pric: '150.00', fee_ocur_time: '2024-03-15 09:10:00' },
          { feedetl_sn: '2', mdtrt_id: reg.data.mdtrt_id, psn_no: psn, med_list_codg: 'B001', det_item_fee_sumamt: '33.30', cnt: 3, pric: '11.10', fee_ocur_time: '2024-03-15 09:10:00' },
        ]);
        inputs.push({ psn_no: psn, mdtrt_cert_type: '03', mdtrt_cert_no: card, med_type: '11', medfee_sumamt: '183.30', mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' });
      }
    });
  }
  await pool(work, 8);
  // Interleave people so concurrent settlements rarely wait on the same account.
  inputs.sort((a, b) => a.mdtrt_id.localeCompare(b.mdtrt_id));
  return { inputs, client: h };
}

export async function pool(tasks: Array<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < tasks.length) await tasks[next++](); }));
}

/** Settle every prepared visit with `concurrency` in flight; returns settlements per second. */
export async function run(client: PlatformClient, inputs: SettleInput[], concurrency: number): Promise<{ perSecond: number; n: number; seconds: number }> {
  const t0 = process.hrtime.bigint();
  await pool(inputs.map((inp) => async () => { await client.settle(inp); }), concurrency);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSecond: inputs.length / seconds, n: inputs.length, seconds };
}
