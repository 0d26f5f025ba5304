// Business-rule abuses of the agency transactions, over real HTTP (engine.listen on 127.0.0.1):
// each refused attempt must leave the ledger exactly as it was (9123 digest and sum).
// domain.md §3 (the year-end rollover: once, after the year), §5 (a visit is reimbursed once;
// an emergency claim needs an emergency visit).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, clients, baseWorld, person, line, visit, pgAvailable, uniq, CQ } from '../engine/helpers';
import { PlatformError, type ClaimInput, type ClaimOutput } from '../../platform';

for (const backend of backends()) {
  describe(`business rules over HTTP on ${backend.name}`, { concurrency: false }, () => {
    let stop: () => Promise<void>;
    let c: ReturnType<typeof clients>;
    let skip: string | false = false;
    before(async () => {
      if (backend.name === 'postgres' && !(await pgAvailable())) { skip = 'PostgreSQL on 127.0.0.1:5432 is not reachable'; return; }
      const started = await backend.start();
      stop = started.stop;
      const { url } = await started.engine.listen(0, '127.0.0.1');
      c = clients(started.engine, '2024-03-15 09:00:00', url);
      await baseWorld(c.agency, c.all);
    });
    after(async () => { if (stop) await stop(); });
    const it = (name: string, fn: () => Promise<void>) => test(name, async (t) => {
      if (skip) { t.skip(skip); return; }
      for (const x of [c.agency, ...c.all]) x.clock.set('2024-03-15 09:00:00');
      await fn();
    });

    const ledger = async () => {
      const l = await c.agency.ledgerCheck();
      assert.deepEqual([l.sum, l.unbalanced_journals, l.accounts_negative], ['0.00', 0, 0]);
      return { digest: l.digest, sum: l.sum };
    };
    /** A refused request: infcode -1, the message, and the ledger as it was. */
    const refused = async (send: () => Promise<unknown>, re: RegExp) => {
      const before = await ledger();
      await assert.rejects(send(), (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg));
      assert.deepEqual(await ledger(), before);
    };
    /**
     * A rejected claim: answered (infcode 0, or the helper would throw), kept as status
     * "rejected" with the message (9116 finds it), nothing paid, the ledger as it was.
     */
    const rejected = async (input: ClaimInput, re: RegExp): Promise<ClaimOutput> => {
      const before = await ledger();
      const out = await c.agency.claimReimbursement(input);
      assert.deepEqual([out.status, out.payout, out.setlinfo], ['rejected', '0.00', null]);
      assert.match(out.err_msg ?? '', re);
      assert.deepEqual(await c.agency.queryClaim(out.claim_id), out);
      assert.deepEqual(await ledger(), before);
      return out;
    };
    const certnoOf = async (psn: string) => (await c.agency.findPerson({ psn_no: psn })).person!.certno;

    it('domain.md §3: 101 year-end closes pay one year\'s interest; every other one is refused', async () => {
      const p = await person(c.agency, { opening: '1000.00' });
      c.agency.clock.set('2025-01-02 09:00:00');
      for (let year = 1990; year <= 2090; year++) {
        if (year === 2024) {
          const r = await c.agency.yearEndRollover({ year, psn_no: p.psn });
          assert.deepEqual([r.people[0].interest, r.people[0].balc], ['11.00', '1011.00']); // 1000.00 × 1.10%
        } else {
          await refused(() => c.agency.yearEndRollover({ year, psn_no: p.psn }), year > 2024 ? new RegExp(`^${year} 年度尚未结束`) : new RegExp(`^${year} 年度不是刚结束的年度`));
        }
      }
      await refused(() => c.agency.yearEndRollover({ year: 2024, psn_no: p.psn }), new RegExp(`人员 ${p.psn} 的 2024 年度已结转（2025-01-02 09:00:00），不能重复结转`));
      // A region's close skips who is closed already, and is itself done once; so is the close of all regions.
      c.agency.clock.set('2025-01-03 10:00:00');
      assert.ok(!(await c.agency.yearEndRollover({ year: 2024, insuplc_admdvs: CQ })).people.some((x) => x.psn_no === p.psn));
      await refused(() => c.agency.yearEndRollover({ year: 2024, insuplc_admdvs: CQ }), /^2024 年度（参保地 500000）已结转（2025-01-03 10:00:00），不能重复结转/);
      await c.agency.yearEndRollover({ year: 2024 });
      await refused(() => c.agency.yearEndRollover({ year: 2024 }), /^2024 年度（全部参保地）已结转（2025-01-03 10:00:00），不能重复结转/);
      assert.equal((await c.agency.balance(p.psn)).balc, '1011.00');
    });

    it('domain.md §3: a year that has not ended on the business clock cannot be closed', async () => {
      const p = await person(c.agency, { opening: '1000.00' });
      await refused(() => c.agency.yearEndRollover({ year: 2024, psn_no: p.psn }), /^2024 年度尚未结束（业务日期 2024-03-15），不能年终结转；2025-01-01 起方可办理/);
      c.agency.clock.set('2024-12-31 23:59:59');
      await refused(() => c.agency.yearEndRollover({ year: 2024, psn_no: p.psn }), /^2024 年度尚未结束/);
      await refused(() => c.agency.yearEndRollover({ year: 2024, insuplc_admdvs: CQ }), /^2024 年度尚未结束/);
      await refused(() => c.agency.yearEndRollover({ year: 2200 }), /^2200 年度尚未结束/);
      assert.equal((await c.agency.balance(p.psn)).balc, '1000.00');
    });

    it('domain.md §5: the same fee lines under three invoice numbers are reimbursed once', async () => {
      const p = await person(c.agency, {});
      const lines = [{ ...line('1', 'A001', '300.00'), fee_ocur_time: '2024-03-10 10:00:00' }, { ...line('2', 'B001', '100.00'), fee_ocur_time: '2024-03-10 10:05:00' }];
      const claim = (invono: string, feedetail = lines): ClaimInput => ({
        psn_no: p.psn, reason: 'family_planning', surgery_cert_no: 'JS2024101', fixmedins_code: 'H50000000003', invono, med_type: '51', begntime: '2024-03-10 10:00:00', feedetail,
      });
      const first = await c.agency.claimReimbursement(claim(uniq('INVA')));
      assert.equal(first.status, 'accepted', first.err_msg ?? '');
      await rejected(claim(uniq('INVB')), new RegExp(`^费用明细已报销，不能换发票号重复报销：第 1 条（A001，2024-03-10 10:00:00，300\\.00 元）已由报销申请 ${first.claim_id} 报销；第 2 条（B001，2024-03-10 10:05:00，100\\.00 元）已由报销申请 ${first.claim_id} 报销`));
      // Renumbered lines, and one of them with a new line beside it, are the same lines.
      await rejected(claim(uniq('INVC'), lines.map((l, i) => ({ ...l, feedetl_sn: String(7 + i) }))), new RegExp(`第 7 条（A001，.*已由报销申请 ${first.claim_id} 报销`));
      const oneOld = await rejected(claim(uniq('INVD'), [lines[1], { ...line('9', 'A001', '20.00'), fee_ocur_time: '2024-03-10 11:00:00' }]), /第 2 条（B001/);
      assert.doesNotMatch(oneOld.err_msg!, /第 9 条/);
      // Three claims of new lines at once: the primary key of claim_lines lets one through.
      const fresh = [{ ...line('1', 'A001', '50.00'), fee_ocur_time: '2024-03-11 09:00:00' }];
      const before = await ledger();
      const all = await Promise.all([1, 2, 3].map(() => c.agency.claimReimbursement(claim(uniq('INVE'), fresh))));
      assert.deepEqual(all.map((x) => x.status).sort(), ['accepted', 'rejected', 'rejected']);
      assert.notDeepEqual(await ledger(), before);
      // Lines already settled with the card at the institution are not claimed again.
      const settled = await visit(c.h1, p, [line('1', 'A001', '80.00')]);
      await rejected({ ...claim(uniq('INVF'), [line('1', 'A001', '80.00')]), fixmedins_code: 'H50000000001', begntime: '2024-03-15 09:00:00' },
        new RegExp(`^费用明细已刷卡结算，不能再申请报销：第 1 条（A001，2024-03-15 09:10:00，80\\.00 元）已在结算 ${settled.setlinfo.setl_id} 中结算`));
    });

    it('domain.md §5: "emergency" must match an emergency visit the institution registered', async () => {
      const p = await person(c.agency, {});
      const certno = await certnoOf(p.psn);
      const cashVisit = async (emergency: '0' | '1') => {
        const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-12 22:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: certno, ipt_otp_no: uniq('JZ'), emergency_flag: emergency });
        await c.h3.uploadFees([{ ...line('1', 'A001', emergency === '1' ? '600.00' : '500.00'), fee_ocur_time: '2024-03-12 22:10:00', mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
        return reg.data.mdtrt_id;
      };
      // By invoice: the claim's own emergency_flag is no record of an emergency.
      await rejected({ psn_no: p.psn, reason: 'emergency', emergency_flag: '1', fixmedins_code: 'H50000000003', invono: uniq('INV'), med_type: '11', begntime: '2024-03-12 22:00:00',
        feedetail: [{ ...line('1', 'A001', '500.00'), fee_ocur_time: '2024-03-12 22:10:00' }] }, /^以急诊为由报销，须填写定点医疗机构按急诊登记的就诊ID mdtrt_id；按发票申报的就诊没有急诊记录/);
      // A visit registered as a normal outpatient visit is not an emergency, whatever the claim says.
      const normal = await cashVisit('0');
      await rejected({ psn_no: p.psn, reason: 'emergency', emergency_flag: '1', mdtrt_id: normal }, new RegExp(`^就诊ID ${normal} 挂号/入院时未登记为急诊（emergency_flag），与报销原因「急诊」不符，不予报销`));
      // The registered emergency is reimbursed: 400 line + 200 × 25% → fund 150.00.
      const ok = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'emergency', mdtrt_id: await cashVisit('1') });
      assert.deepEqual([ok.status, ok.payout], ['accepted', '150.00'], ok.err_msg ?? '');
    });
  });
}
