// 2001 benefit check and the 52xx queries, through the platform interface, on PGlite and on
// the PostgreSQL of this machine (skipped with a reason when it is not reachable). Expected
// figures are worked out here from the Chongqing policy (deductible 400.00, then 25% person
// up to 5,000.00 covered), not read from the engine.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { backends, backendSuite, type Clients, person, line, visit, uniq, BJ } from './helpers';
import { PlatformError, type PlatformClient } from '../../platform';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg), `expected a refusal matching ${re}`);
};
/** The nested form public HIS code sends: {data: {...}}. */
const nested = <T>(input: T) => ({ data: input }) as unknown as T;
const BEGN = '2024-03-15 09:00:00';

for (const backend of backends()) {
  describe(`2001 and 5201–5206 on ${backend.name}`, { concurrency: false }, () => {
    let c: Clients;
    const it = backendSuite(backend, BEGN, (x) => { c = x.c; });
    const check = (h: PlatformClient, psn: string, o: { insutype?: '310' | '390' } = {}) =>
      h.call('2001', nested({ psn_no: psn, insutype: o.insutype ?? '310', med_type: '11', begntime: BEGN, fixmedins_code: h.opts.fixmedinsCode }));

    it('2001: an insured person enjoys both funds of the employee insurance; no card row', async () => {
      const p = await person(c.agency, {});
      const { trtinfo } = await check(c.h3, p.psn);
      assert.deepEqual(trtinfo.map((r) => [r.trt_chk_type, r.fund_pay_type, r.trt_enjymnt_flag]), [['01', '310100', '1'], ['01', '310200', '1']]);
      assert.deepEqual([trtinfo[0].begndate, trtinfo[0].enddate], ['2024-03-15', null]);
    });

    it('2001: every reason the settlement applies, at once — not insured yet, employer in arrears, a lost card', async () => {
      const p = await person(c.agency, { emp: 'E500002', insuDate: '2024-06-01' });
      await c.agency.setEmployerArrears('E500002');
      await c.agency.reportCardLoss(p.card);
      try {
        const { trtinfo } = await check(c.h3, p.psn);
        assert.equal(trtinfo.length, 3);
        for (const fund of trtinfo.slice(0, 2)) {
          assert.equal(fund.trt_enjymnt_flag, '0');
          assert.match(fund.trt_chk_rslt, /就诊日期 2024-03-15 早于参保日期 2024-06-01.*；参保单位欠费/);
        }
        assert.deepEqual([trtinfo[2].trt_chk_type, trtinfo[2].fund_pay_type, trtinfo[2].trt_enjymnt_flag], ['99', null, '0']);
        assert.match(trtinfo[2].trt_chk_rslt, new RegExp(`社保卡 ${p.card} 已挂失`));
      } finally {
        await c.agency.payEmployerArrears('E500002');
      }
    });

    it('2001: a cross-region visit without a filing is listed; with the filing it is not', async () => {
      const p = await person(c.agency, { region: BJ });
      const before = await check(c.h3, p.psn);
      assert.match(before.trtinfo[0].trt_chk_rslt, /异地就医（参保地 110000，就医地 500000）未办理异地就医备案/);
      await c.agency.fileCrossRegion({ psn_no: p.psn, mdtrtarea_admvs: '500000', begndate: '2024-03-01', enddate: '2024-12-31', filing_type: 'referral' });
      const filed = await check(c.h3, p.psn);
      assert.deepEqual(filed.trtinfo.map((r) => r.trt_enjymnt_flag), ['1', '1']);
    });

    it('2001: a wrong insurance type and another institution\'s code are refused by name', async () => {
      const p = await person(c.agency, {});
      await refused(check(c.h3, p.psn, { insutype: '390' }), /险种类型 insutype=390 与人员参保险种 310 不符/);
      await refused(c.h3.call('2001', { psn_no: p.psn, insutype: '310', med_type: '11', begntime: BEGN, fixmedins_code: 'H50000000001' }),
        /input\.fixmedins_code（定点医药机构编号）H50000000001 与报文的 fixmedins_code H50000000003 不符/);
    });

    it('5206: the year\'s figures the rules accumulate, from the ledger; a reversal takes its share out; another institution is refused', async () => {
      const p = await person(c.agency, { opening: '100.00' });
      // Visit 1, 300.00 covered, all below the 400.00 line: account 100.00, cash 200.00, deductible 300.00.
      await visit(c.h3, p, [line('1', 'A001', '300.00')]);
      // Visit 2, 1,000.00 covered with 300.00 before: 100.00 to the line, 900.00 at 25% → fund 675.00, cash 325.00.
      const s2 = await visit(c.h3, p, [line('1', 'A001', '1000.00')]);
      assert.deepEqual([s2.setlinfo.hifp_pay, s2.setlinfo.act_pay_dedc], ['675.00', '100.00']);
      const figures = async () => Object.fromEntries((await c.h3.call('5206', nested({ psn_no: p.psn, cum_ym: '202403' }))).cuminfo.map((r) => [r.cum_type_code, r.cum]));
      assert.deepEqual(await figures(), { S0000: '1300.00', INSCP: '1300.00', Q0000: '400.00', F0000: '675.00', A0000: '100.00', C0000: '0' });
      const row = (await c.h3.call('5206', { psn_no: p.psn })).cuminfo[0];
      assert.deepEqual([row.insutype, row.year, row.cum_ym], ['310', '2024', '202403']);
      await c.h3.reverse({ setl_id: s2.setlinfo.setl_id, mdtrt_id: s2.mdtrt_id, psn_no: p.psn });
      assert.deepEqual(await figures(), { S0000: '300.00', INSCP: '300.00', Q0000: '300.00', F0000: '0.00', A0000: '100.00', C0000: '0' });
      await refused(c.h1.call('5206', { psn_no: p.psn }), /在本机构没有就诊记录/);
      await refused(c.bj.call('5206', { psn_no: p.psn }), /在本机构没有就诊记录/);
    });

    it('5201, 5202, 5204: the sender\'s own visits, diagnoses and fee lines; another institution finds nothing', async () => {
      const p = await person(c.agency, { opening: '50.00' });
      const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: BEGN, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ'), dept_name: '内科' });
      const id = reg.data.mdtrt_id;
      const diag = { diag_type: '1', diag_srt_no: '1', diag_code: 'J06.900', diag_name: '急性上呼吸道感染' };
      await c.h3.uploadVisitInfo({ mdtrt_id: id, psn_no: p.psn, med_type: '11', begntime: BEGN, diseinfo: [diag] });
      await c.h3.uploadFees([line('1', 'A001', '300.00'), line('2', 'B001', '100.00'), line('3', 'S001', '20.00')].map((l) => ({ ...l, mdtrt_id: id, psn_no: p.psn })));
      const other = await c.h1.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 10:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });

      const mine = await c.h3.call('5201', nested({ psn_no: p.psn, begntime: '2024-03-01 00:00:00', endtime: '2024-03-31 23:59:59' }));
      assert.deepEqual(mine.mdtrtinfo.map((v) => [v.mdtrt_id, v.fixmedins_code, v.med_type, v.begntime, v.mdtrt_stas, v.dept_name]), [[id, 'H50000000003', '11', BEGN, 'registered', '内科']]);
      const theirs = await c.h1.call('5201', { psn_no: p.psn, begntime: '2024-03-01 00:00:00' });
      assert.deepEqual(theirs.mdtrtinfo.map((v) => v.mdtrt_id), [other.data.mdtrt_id]);
      assert.deepEqual((await c.h3.call('5201', { psn_no: p.psn, begntime: '2024-03-16 00:00:00' })).mdtrtinfo, []);

      const d = await c.h3.call('5202', nested({ mdtrt_id: id, psn_no: p.psn }));
      assert.deepEqual(d.diseinfo, [{ mdtrt_id: id, psn_no: p.psn, ...diag }]);
      await refused(c.h1.call('5202', { mdtrt_id: id }), new RegExp(`就诊ID mdtrt_id=${id} 不存在`));

      // B001 class B: 10% pre-self-pay → 10.00, 90.00 covered; S001 self-pay: 20.00 in full.
      const f = await c.h3.call('5204', nested({ psn_no: p.psn, mdtrt_id: id }));
      assert.deepEqual(f.feedetail.map((l) => [l.feedetl_sn, l.det_item_fee_sumamt, l.inscp_scp_amt, l.preselfpay_amt, l.fulamt_ownpay_amt, l.chrgitm_lv]), [
        ['1', '300.00', '300.00', '0.00', '0.00', '01'], ['2', '100.00', '90.00', '10.00', '0.00', '02'], ['3', '20.00', '0.00', '0.00', '20.00', '03'],
      ]);
      await refused(c.h1.call('5204', { psn_no: p.psn, mdtrt_id: id }), new RegExp(`就诊ID mdtrt_id=${id} 不存在`));
      await refused(c.h3.call('5204', { psn_no: p.psn, mdtrt_id: id, setl_id: 'ST2024031500000001ABCDEF12' }), /结算ID setl_id=ST2024031500000001ABCDEF12 不存在或不属于/);
    });

    it('5205: drug lines of the person\'s chronic-disease visits here, by fee time', async () => {
      const { med_list_codg: exam } = await c.agency.createCatalogueItem({ med_list_codg: uniq('MB'), name: '门诊慢特病诊查费', cls: 'A', med_chrgitm_type: '02' });
      const p = await person(c.agency, {});
      const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: BEGN, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ'), med_type: '14' });
      const id = reg.data.mdtrt_id;
      await c.h3.uploadFees([
        line('1', 'A002', '28.00', { time: '2024-03-15 09:10:00' }), line('2', exam, '15.00', { time: '2024-03-15 09:05:00' }),
        line('3', 'B001', '40.00', { time: '2024-03-15 09:20:00' }),
      ].map((l) => ({ ...l, mdtrt_id: id, psn_no: p.psn })));
      const plain = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: BEGN, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
      await c.h3.uploadFees([{ ...line('1', 'A002', '28.00'), mdtrt_id: plain.data.mdtrt_id, psn_no: p.psn }]);
      const r = await c.h3.call('5205', nested({ psn_no: p.psn, begntime: '2024-03-15 00:00:00', endtime: '2024-03-15 23:59:59' }));
      assert.deepEqual(r.feedetail.map((l) => [l.mdtrt_id, l.feedetl_sn, l.hilist_code, l.med_type]), [[id, '1', 'A002', '14'], [id, '3', 'B001', '14']]);
      assert.deepEqual((await c.h1.call('5205', { psn_no: p.psn, begntime: '2024-03-01 00:00:00' })).feedetail, []);
    });
  });
}
