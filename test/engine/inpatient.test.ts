// 2403 admission change, 2404 admission cancel, 2405 discharge cancel, through the platform
// interface on PGlite and on the PostgreSQL of this machine (skipped with a reason when it is
// not reachable): what each changes, and that none goes through while a settlement is in force.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { backends, backendSuite, type Clients, person, line, uniq } from './helpers';
import { PlatformError } from '../../platform';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg), `expected a refusal matching ${re}`);
};
const nested = <T>(input: T) => ({ data: input }) as unknown as T;

for (const backend of backends()) {
  describe(`2403–2405 on ${backend.name}`, { concurrency: false }, () => {
    let c: Clients;
    const it = backendSuite(backend, '2024-03-15 09:00:00', (x) => { c = x.c; });

    /** A person admitted at H50000000003 on 2024-03-10 with 6,000.00 of fees. */
    async function stay() {
      const p = await person(c.agency, { opening: '100.00' });
      const iptNo = uniq('ZY');
      const adm = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', ipt_no: iptNo, begntime: '2024-03-10 08:00:00' });
      const id = adm.result.mdtrt_id;
      await c.h3.uploadInpatientFees([{ ...line('1', 'A001', '6000.00'), mdtrt_id: id, psn_no: p.psn }]);
      const settleInput = { psn_no: p.psn, mdtrt_cert_type: '03' as const, mdtrt_cert_no: p.card, med_type: '21' as const, medfee_sumamt: '6000.00', mdtrt_id: id, acct_used_flag: '1' as const };
      const visitOf = async () => (await c.h3.call('5201', { psn_no: p.psn, begntime: '2024-03-01 00:00:00', mdtrt_id: id })).mdtrtinfo[0];
      return { p, id, iptNo, settleInput, visitOf };
    }

    it('2403 changes the admission (the nested adminfo / diseinfo form); a settlement in force stops it, its reversal frees it', async () => {
      const { p, id, settleInput, visitOf } = await stay();
      const newNo = uniq('ZY');
      const diag = { diag_type: '1', diag_srt_no: '1', diag_code: 'K35.800', diag_name: '急性阑尾炎' };
      await c.h3.call('2403', { adminfo: { mdtrt_id: id, psn_no: p.psn, begntime: '2024-03-09 22:00:00', ipt_otp_no: newNo, adm_dept_name: '普外科', adm_bed: '12', tel: '' }, diseinfo: [diag] } as never);
      const v = await visitOf();
      assert.deepEqual([v.begntime, v.ipt_otp_no, v.dept_name], ['2024-03-09 22:00:00', newNo, '普外科']);
      assert.deepEqual((await c.h3.call('5202', { mdtrt_id: id })).diseinfo, [{ mdtrt_id: id, psn_no: p.psn, ...diag }]);
      await refused(c.h3.call('2403', { mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' }), /尚未出院，不能变更出院时间 endtime/);
      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
      await refused(c.h3.call('2403', { mdtrt_id: id, psn_no: p.psn, begntime: '2024-03-15 08:00:00' }), /出院时间 2024-03-14 10:00:00 早于入院时间 2024-03-15 08:00:00/);
      const s = await c.h3.settleInpatient(settleInput);
      await refused(c.h3.call('2403', { mdtrt_id: id, psn_no: p.psn, adm_bed: '14' }), new RegExp(`就诊ID ${id} 已结算，不能变更住院信息（如需修改请先撤销结算）`));
      await c.h3.reverseInpatient({ setl_id: s.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn });
      await c.h3.call('2403', { mdtrt_id: id, psn_no: p.psn, adm_bed: '14' });
    });

    it('2403: an inpatient number another stay holds is refused', async () => {
      const a = await stay();
      const b = await stay();
      await refused(c.h3.call('2403', { mdtrt_id: b.id, psn_no: b.p.psn, ipt_otp_no: a.iptNo }), new RegExp(`住院号 ${a.iptNo} 已登记（就诊ID ${a.id}）`));
    });

    it('2404 cancels an admission: nothing more is booked on it and its number may be admitted again; refused while settled, the ledger unchanged', async () => {
      const { p, id, iptNo, settleInput, visitOf } = await stay();
      const s = await c.h3.settleInpatient(settleInput);
      const settled = await c.agency.ledgerCheck();
      await refused(c.h3.call('2404', nested({ mdtrt_id: id, psn_no: p.psn })), new RegExp(`就诊ID ${id} 已结算，不能撤销入院（如需修改请先撤销结算）`));
      assert.equal((await c.agency.ledgerCheck()).digest, settled.digest);
      await c.h3.reverseInpatient({ setl_id: s.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn });
      const msgid = c.h3.msgid();
      const first = await c.h3.raw(c.h3.envelope('2404', nested({ mdtrt_id: id, psn_no: p.psn }), { msgid }));
      assert.equal(first.infcode, 0, first.err_msg ?? '');
      assert.deepEqual(await c.h3.raw(c.h3.envelope('2404', nested({ mdtrt_id: id, psn_no: p.psn }), { msgid })), first, 'a replayed msgid gets the first answer');
      assert.deepEqual([(await visitOf()).mdtrt_stas, (await visitOf()).vali_flag], ['cancelled', '0']);
      await refused(c.h3.uploadInpatientFees([{ ...line('2', 'A001', '10.00'), mdtrt_id: id, psn_no: p.psn }]), /已撤销/);
      await refused(c.h3.call('2404', { mdtrt_id: id, psn_no: p.psn }), /已撤销挂号，不能撤销入院/);
      const again = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', ipt_no: iptNo, begntime: '2024-03-10 08:00:00' });
      assert.notEqual(again.result.mdtrt_id, id);
      await refused(c.h1.call('2404', { mdtrt_id: again.result.mdtrt_id, psn_no: p.psn }), /不属于本定点医药机构/);
    });

    it('2405 undoes a discharge: the stay takes fees and a discharge again; refused before discharge and while settled', async () => {
      const { p, id, settleInput, visitOf } = await stay();
      await refused(c.h3.call('2405', { mdtrt_id: id, psn_no: p.psn }), new RegExp(`就诊ID ${id} 尚未办理出院，没有可撤销的出院`));
      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
      const s = await c.h3.settleInpatient(settleInput);
      await refused(c.h3.call('2405', { mdtrt_id: id, psn_no: p.psn }), /已结算，不能撤销出院/);
      await c.h3.reverseInpatient({ setl_id: s.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn });
      await c.h3.call('2405', nested({ mdtrt_id: id, psn_no: p.psn }));
      assert.equal((await visitOf()).endtime, null);
      await c.h3.uploadInpatientFees([{ ...line('2', 'A001', '400.00'), mdtrt_id: id, psn_no: p.psn }]);
      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-16 10:00:00' });
      // 6,400.00 covered in the year: 400 below the line, 4,600 × 25% + 1,400 × 20% = 1,430 → person 1,830, fund 4,570.
      const again = await c.h3.settleInpatient({ ...settleInput, medfee_sumamt: '6400.00' });
      assert.deepEqual([again.setlinfo.fund_pay_sumamt, again.setlinfo.acct_pay, again.setlinfo.psn_cash_pay], ['4570.00', '100.00', '1730.00']);
      assert.equal((await visitOf()).endtime, '2024-03-16 10:00:00');
    });

    it('2601 after a lost answer: of 2404 the stay is admitted again, of 2405 discharged again at its time; of 2403 refused', async () => {
      const { p, id, iptNo, visitOf } = await stay();
      const undo = (omsgid: string, oinfno: string) => c.h3.call('2601', { data: { psn_no: p.psn, omsgid, oinfno } } as never);
      const changed = c.h3.msgid();
      await c.h3.call('2403', { mdtrt_id: id, psn_no: p.psn, adm_bed: '3' }, { msgid: changed });
      await refused(undo(changed, '2403'), /原交易 2403 不能冲正：请以新的 2403 写回原来的住院信息/);

      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
      const undischarged = c.h3.msgid();
      await c.h3.call('2405', { mdtrt_id: id, psn_no: p.psn }, { msgid: undischarged });
      assert.equal((await undo(undischarged, '2405')).data.rvs_stas, '1');
      assert.equal((await visitOf()).endtime, '2024-03-14 10:00:00');
      assert.equal((await undo(undischarged, '2405')).data.rvs_stas, '0', 'reversed already');

      const cancelled = c.h3.msgid();
      await c.h3.call('2404', { mdtrt_id: id, psn_no: p.psn }, { msgid: cancelled });
      const other = await person(c.agency, {});
      await refused(c.h3.call('2601', { data: { psn_no: other.psn, omsgid: cancelled, oinfno: '2404' } } as never), /与原交易的人员不符/);
      const r = await undo(cancelled, '2404');
      assert.deepEqual([r.data.rvs_stas, r.data.memo], ['1', `就诊ID ${id} 的入院撤销已冲正`]);
      assert.equal((await visitOf()).mdtrt_stas, 'registered');
      await refused(c.h3.call('2404', { mdtrt_id: id, psn_no: p.psn }, { msgid: cancelled }), /已由 2601 冲正/);

      // Cancelled again, its number admitted anew: the cancel can no longer be undone.
      const again = c.h3.msgid();
      await c.h3.call('2404', { mdtrt_id: id, psn_no: p.psn }, { msgid: again });
      const next = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', ipt_no: iptNo, begntime: '2024-03-16 08:00:00' });
      await refused(undo(again, '2404'), new RegExp(`住院号 ${iptNo} 已由就诊ID ${next.result.mdtrt_id} 使用，不能冲正入院撤销`));
    });
  });
}
