// The API suite, through the platform interface only, run against PGlite and against the
// real PostgreSQL on this machine (skipped with a reason when it is not reachable).
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { backends, backendSuite, type Clients, person, line, visit, uniq, CQ, BJ } from './helpers';
import { PlatformError, type ControlClient, type SetlInfo } from '../../platform';
import { renderReceiptText, renderReceiptHtml } from '../../engine';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg));
};
const invariants = (s: SetlInfo) => {
  const f = (v: string) => Math.round(Number(v.replace('.', '')));
  assert.equal(f(s.medfee_sumamt), f(s.fund_pay_sumamt) + f(s.psn_part_amt), 'medfee = fund + person');
  assert.equal(f(s.psn_part_amt), f(s.acct_pay) + f(s.psn_cash_pay), 'person = account + cash');
};

for (const backend of backends()) {
  describe(`platform API on ${backend.name}`, { concurrency: false }, () => {
    let c: Clients;
    const it = backendSuite(backend, '2024-03-15 09:00:00', (x) => { c = x.c; });

    it('domain.md §4.2 worked examples end to end: 332.80 → account 102.80 + cash 17.20, then fund 712.50 + cash 287.50', async () => {
      const p = await person(c.agency, { base: '2700.00', opening: '25.00' });
      const cr = await c.agency.monthlyCredit({ psn_no: p.psn, months: 3 });
      assert.equal(cr.credit_per_month, '102.60');
      assert.equal(cr.balc, '332.80');
      // Three earlier visits costing 230.00, all paid from the account.
      for (const amt of ['100.00', '80.00', '50.00']) await visit(c.h1, p, [line('1', 'A001', amt)]);
      assert.equal((await c.agency.balance(p.psn)).balc, '102.80');
      const s1 = (await visit(c.h1, p, [line('1', 'A001', '120.00')])).setlinfo;
      assert.deepEqual([s1.acct_pay, s1.psn_cash_pay, s1.fund_pay_sumamt, s1.balc, s1.cum_inscp_after], ['102.80', '17.20', '0.00', '0.00', '350.00']);
      invariants(s1);
      const s2 = (await visit(c.h1, p, [line('1', 'A001', '1000.00')])).setlinfo;
      assert.deepEqual([s2.hifp_pay, s2.acct_pay, s2.psn_cash_pay, s2.act_pay_dedc, s2.pool_prop_selfpay], ['712.50', '0.00', '287.50', '50.00', '0.25']);
      invariants(s2);
    });

    it('pre-settlement books nothing; settlement matches it; the ledger balances', async () => {
      const p = await person(c.agency, { opening: '500.00' });
      const before = await c.agency.ledgerCheck();
      const pre = await visit(c.h3, p, [line('1', 'A001', '300.00'), line('2', 'B001', '100.00'), line('3', 'S001', '20.00')], { pre: true });
      assert.equal((await c.agency.balance(p.psn)).balc, '500.00');
      assert.equal((await c.agency.ledgerCheck()).digest, before.digest);
      // covered 300 + 90 = 390 (all below the line): account 390.00; not covered 20 + 10 = 30.00 cash
      assert.deepEqual([pre.setlinfo.inscp_scp_amt, pre.setlinfo.preselfpay_amt, pre.setlinfo.fulamt_ownpay_amt, pre.setlinfo.acct_pay, pre.setlinfo.psn_cash_pay], ['390.00', '10.00', '20.00', '390.00', '30.00']);
      const check = await c.agency.ledgerCheck();
      assert.deepEqual([check.sum, check.unbalanced_journals, check.accounts_negative], ['0.00', 0, 0]);
    });

    it('replaying a settlement msgid returns the first answer and debits once', async () => {
      const p = await person(c.agency, { opening: '100.00' });
      const reg = await c.h1.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
      const id = reg.data.mdtrt_id;
      await c.h1.uploadFees([{ ...line('1', 'A001', '60.00'), mdtrt_id: id, psn_no: p.psn }]);
      const input = { psn_no: p.psn, mdtrt_cert_type: '03' as const, mdtrt_cert_no: p.card, med_type: '11' as const, medfee_sumamt: '60.00', mdtrt_id: id, acct_used_flag: '1' as const };
      const msgid = c.h1.msgid();
      const a = await c.h1.settle(input, { msgid });
      const b = await c.h1.settle(input, { msgid });
      assert.deepEqual(b, a);
      assert.equal((await c.agency.balance(p.psn)).balc, '40.00');
      await refused(c.h1.settle(input), /已结算/);
      await refused(c.h1.settle({ ...input, medfee_sumamt: '61.00' }, { msgid }), /msgid.*不同内容/);
    });

    it('a settlement msgid reused for another visit is refused when the answer is written: nothing moves, the visit stays open', async () => {
      const p = await person(c.agency, { opening: '100.00' });
      const open = async (amount: string) => {
        const reg = await c.h1.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
        await c.h1.uploadFees([{ ...line('1', 'A001', amount), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
        return { psn_no: p.psn, mdtrt_cert_type: '03' as const, mdtrt_cert_no: p.card, med_type: '11' as const, medfee_sumamt: amount, mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' as const };
      };
      const a = await open('30.00');
      const b = await open('20.00');
      const msgid = c.h1.msgid();
      await c.h1.settle(a, { msgid });
      const before = await c.agency.ledgerCheck();
      await refused(c.h1.settle(b, { msgid }), /msgid.*不同内容/);
      assert.equal((await c.agency.ledgerCheck()).digest, before.digest);
      assert.equal((await c.agency.balance(p.psn)).balc, '70.00');
      const ok = await c.h1.settle(b); // the visit was not settled by the refused request
      assert.equal(ok.setlinfo.balc, '50.00');
    });

    it('reversal restores the account and the cumulative cost; 5203 shows it; the visit can settle again', async () => {
      const p = await person(c.agency, { opening: '1000.00' });
      const s = await visit(c.h3, p, [line('1', 'A001', '600.00')]);
      assert.equal(s.setlinfo.balc, '550.00'); // 400 + 200×25% = 450 from the account
      const r = await c.h3.reverse({ setl_id: s.setlinfo.setl_id, mdtrt_id: s.mdtrt_id, psn_no: p.psn });
      assert.equal(r.setlinfo.setl_stas, 'reversed');
      assert.equal(r.setlinfo.balc, '1000.00');
      assert.equal((await c.agency.balance(p.psn, 2024)).cum_inscp, '0.00');
      await refused(c.h3.reverse({ setl_id: s.setlinfo.setl_id, mdtrt_id: s.mdtrt_id, psn_no: p.psn }), /已撤销/);
      const q = await c.h3.querySettlement({ psn_no: p.psn, setl_id: s.setlinfo.setl_id });
      assert.equal(q.setlinfo.setl_stas, 'reversed');
      const again = await c.h3.settle({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: '600.00', mdtrt_id: s.mdtrt_id, acct_used_flag: '1' });
      assert.equal(again.setlinfo.balc, '550.00');
      const byVisit = await c.h3.querySettlement({ psn_no: p.psn, mdtrt_id: s.mdtrt_id });
      assert.equal(byVisit.setlinfo.setl_id, again.setlinfo.setl_id);
    });

    it('receipts: retrievable by setl_id, with the §8 fields, rendered as Chinese text and HTML', async () => {
      const p = await person(c.agency, { opening: '50.00' });
      const s = await visit(c.h3, p, [line('1', 'A001', '80.00')]);
      const { receipts } = await c.agency.receipts({ setl_id: s.setlinfo.setl_id });
      assert.equal(receipts.length, 1);
      const r = receipts[0];
      assert.deepEqual([r.fixmedins_name, r.medfee_sumamt, r.selfpay_amt, r.inscp_scp_amt, r.fund_pay_sumamt, r.acct_pay, r.psn_cash_pay, r.balc, r.med_type_name],
        ['重庆市第一人民医院', '80.00', '0.00', '80.00', '0.00', '50.00', '30.00', '0.00', '普通门诊']);
      assert.match(renderReceiptText(r), /个人现金支付：30\.00/);
      const html = renderReceiptHtml(r);
      assert.match(html, /<html lang="zh-CN">/);
      assert.match(html, /统筹基金支付/);
    });

    it('card life cycle (domain.md §7): not activated, lost, replaced, expired, someone else\'s card', async () => {
      const p = await person(c.agency, { opening: '300.00', card: false });
      await c.agency.issueCard({ card_no: 'N' + uniq('').slice(-8).padStart(8, '0'), card_sn: 'AB'.repeat(16), psn_no: p.psn, issue_date: '2024-01-01', expiry_date: '2034-01-01', admvs: CQ });
      const found = await c.agency.findPerson({ psn_no: p.psn });
      const cardNo = found.cards[0].card_no;
      await refused(c.h1.lookupByCard(cardNo), /尚未激活/);
      await c.agency.activateCard(cardNo);
      assert.equal((await c.h1.lookupByCard(cardNo)).insuinfo[0].balc, '300.00');
      await c.agency.reportCardLoss(cardNo, 'phone');
      await refused(c.h1.lookupByCard(cardNo), /已挂失/);
      const newNo = 'R' + uniq('').slice(-8).padStart(8, '0');
      await c.agency.replaceCard({ old_card_no: cardNo, card_no: newNo, card_sn: 'CD'.repeat(16), expiry_date: '2034-03-15' });
      await refused(c.h1.lookupByCard(newNo), /尚未激活/);
      await c.agency.activateCard(newNo);
      const look = await c.h1.lookupByCard(newNo, 'CD'.repeat(16));
      assert.equal(look.insuinfo[0].balc, '300.00'); // the account is untouched by the change of card
      await refused(c.h1.lookupByCard(cardNo), /补换新卡/);
      await refused(c.h1.lookupByCard(newNo, 'EF'.repeat(16)), /卡识别码/);
      // Expired card.
      const old = await person(c.agency, { card: false });
      await c.agency.issueCard({ card_no: 'X' + uniq('').slice(-8).padStart(8, '0'), card_sn: '12'.repeat(16), psn_no: old.psn, issue_date: '2013-05-20', expiry_date: '2023-05-20', admvs: CQ, card_stas: 'active' });
      const oldCard = (await c.agency.findPerson({ psn_no: old.psn })).cards[0].card_no;
      await refused(c.h1.lookupByCard(oldCard), /已过有效期/);
      // Someone else's card at registration.
      const other = await person(c.agency, {});
      await refused(c.h1.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: other.card, ipt_otp_no: uniq('MZ') }), /不得冒用/);
    });

    it('§5 employer arrears: refused at settlement, claim rejected until paid, then the reimbursement invariant holds', async () => {
      const twin = await person(c.agency, { opening: '200.00' });
      const p = await person(c.agency, { opening: '200.00', emp: 'E500002' });
      const lines = [line('1', 'A001', '700.00'), line('2', 'S001', '30.00')];
      const card = await visit(c.h3, twin, lines);
      await c.agency.setEmployerArrears('E500002');
      assert.equal((await c.h3.lookupByCard(p.card)).insuinfo[0].psn_insu_stas, '2');
      const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
      await c.h3.uploadFees(lines.map((l) => ({ ...l, mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn })));
      await refused(c.h3.settle({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: '730.00', mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' }), /欠费/);
      const early = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'employer_arrears', mdtrt_id: reg.data.mdtrt_id });
      assert.equal(early.status, 'rejected');
      await c.agency.payEmployerArrears('E500002');
      const ok = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'employer_arrears', mdtrt_id: reg.data.mdtrt_id });
      assert.equal(ok.status, 'accepted');
      // Payout = fund share + account share; afterwards everything matches the card-settled twin.
      const t = card.setlinfo;
      const f = (v: string) => Number(v.replace('.', ''));
      assert.equal(f(ok.payout), f(t.fund_pay_sumamt) + f(t.acct_pay));
      assert.deepEqual([ok.setlinfo!.fund_pay_sumamt, ok.setlinfo!.acct_pay, ok.setlinfo!.psn_cash_pay, ok.setlinfo!.balc], [t.fund_pay_sumamt, t.acct_pay, t.psn_cash_pay, t.balc]);
      assert.equal((await c.agency.balance(p.psn)).balc, (await c.agency.balance(twin.psn)).balc);
      const cash = (await c.agency.history(p.psn)).entries.filter((e) => e.account.startsWith('CASH:')).reduce((s, e) => s + Number(e.amount.replace('.', '')), 0);
      assert.equal(-cash, f(t.psn_cash_pay));
      const again = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'employer_arrears', mdtrt_id: reg.data.mdtrt_id });
      assert.equal(again.status, 'rejected');
      const { receipts } = await c.agency.receipts({ claim_id: ok.claim_id });
      assert.match(renderReceiptText(receipts[0]), /报销金额/);
    });

    it('§5 claims: emergency (a registered emergency visit), family planning, no card issued; "未持卡就医，不予报销"', async () => {
      // Each claim is for other fee lines (another minute): the same lines are reimbursed once, whatever the invoice number.
      let minute = 0;
      const claim = (psn: string, reason: Parameters<ControlClient['claimReimbursement']>[0]['reason'], extra: Record<string, unknown> = {}) => c.agency.claimReimbursement({
        psn_no: psn, reason, fixmedins_code: 'H50000000003', invono: uniq('INV'), med_type: '11', begntime: '2024-03-10 10:00:00',
        feedetail: [{ ...line('1', 'A001', '500.00'), fee_ocur_time: `2024-03-10 10:${String(++minute).padStart(2, '0')}:00` }], ...extra,
      });
      const p = await person(c.agency, {});
      assert.equal((await claim(p.psn, 'none')).err_msg, '未持卡就医，不予报销');
      // An emergency is the institution's record, not the claim's flag (domain.md §5).
      assert.match((await claim(p.psn, 'emergency', { emergency_flag: '1' })).err_msg!, /没有急诊记录/);
      const certno = (await c.agency.findPerson({ psn_no: p.psn })).person!.certno;
      const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-10 10:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: certno, ipt_otp_no: uniq('MZ'), emergency_flag: '1' });
      await c.h3.uploadFees([{ ...line('1', 'A001', '500.00'), fee_ocur_time: '2024-03-10 10:00:00', mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
      const em = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'emergency', mdtrt_id: reg.data.mdtrt_id });
      assert.equal(em.status, 'accepted');
      assert.deepEqual([em.setlinfo!.fund_pay_sumamt, em.payout, em.setlinfo!.psn_cash_pay], ['75.00', '75.00', '425.00']); // 400 line + 100 × 25%
      const dup = { psn_no: p.psn, reason: 'family_planning' as const, surgery_cert_no: 'JS2024002', fixmedins_code: 'H50000000003', invono: 'INVSAME1', med_type: '11' as const, begntime: '2024-03-10 11:00:00', feedetail: [{ ...line('1', 'A001', '10.00'), fee_ocur_time: '2024-03-10 11:00:00' }] };
      assert.equal((await c.agency.claimReimbursement(dup)).status, 'accepted');
      assert.match((await c.agency.claimReimbursement(dup)).err_msg!, /重复报销/);
      assert.equal((await claim(p.psn, 'family_planning')).status, 'rejected');
      assert.equal((await claim(p.psn, 'family_planning', { surgery_cert_no: 'JS2024001' })).status, 'accepted');
      // Insured but no card yet.
      const n = await person(c.agency, { card: false, insuDate: '2024-03-01' });
      assert.equal((await claim(n.psn, 'no_card_issued')).status, 'accepted');
      assert.equal((await claim(p.psn, 'no_card_issued')).status, 'rejected'); // p had a card on the visit date
      const late = await person(c.agency, { card: false, insuDate: '2024-03-12' });
      assert.match((await claim(late.psn, 'no_card_issued')).err_msg!, /早于参保日期/);
    });

    it('§5 card replacement period: a visit between the loss report and the new card\'s activation', async () => {
      const p = await person(c.agency, {});
      c.agency.clock.set('2024-03-05 09:00:00');
      await c.agency.reportCardLoss(p.card);
      const newNo = 'Q' + uniq('').slice(-8).padStart(8, '0');
      await c.agency.replaceCard({ old_card_no: p.card, card_no: newNo, card_sn: '9F'.repeat(16), expiry_date: '2034-03-05' });
      c.agency.clock.set('2024-03-20 09:00:00');
      await c.agency.activateCard(newNo);
      const mk = (day: string) => c.agency.claimReimbursement({ psn_no: p.psn, reason: 'card_replacement', fixmedins_code: 'H50000000001', invono: uniq('INV'), med_type: '11', begntime: `${day} 10:00:00`, feedetail: [line('1', 'A001', '100.00')] });
      assert.equal((await mk('2024-03-10')).status, 'accepted');
      assert.equal((await mk('2024-03-01')).status, 'rejected');
      assert.match((await mk('2024-03-20')).err_msg!, /新卡已于 2024-03-20 激活/);
      c.agency.clock.set('2024-03-15 09:00:00');
    });

    it('§6 cross-region: refused without a filing, settles under the home policy with one; unfiled claim has +10 points', async () => {
      const p = await person(c.agency, { region: CQ });
      const bjVisit = () => visit(c.bj1, p, [line('1', 'A001', '1400.00')]);
      await refused(bjVisit(), /未办理异地就医备案/);
      // Unfiled claim at home: 400 line + 1,000 × (25% + 10%) = 750.00 person, fund 650.00
      const cl = await c.agency.claimReimbursement({ psn_no: p.psn, reason: 'cross_region_unfiled', fixmedins_code: 'H11000000001', invono: uniq('INV'), med_type: '11', begntime: '2024-03-15 09:00:00', feedetail: [line('1', 'A001', '1400.00')], invoice_nos: ['BJ001'], referral_no: 'ZZ001' });
      assert.equal(cl.status, 'accepted', cl.err_msg ?? '');
      assert.deepEqual([cl.setlinfo!.fund_pay_sumamt, cl.setlinfo!.psn_cash_pay], ['650.00', '750.00']);
      const p2 = await person(c.agency, { region: CQ });
      assert.match((await c.agency.claimReimbursement({ psn_no: p2.psn, reason: 'cross_region_unfiled', fixmedins_code: 'H11000000001', invono: uniq('INV'), med_type: '11', begntime: '2024-03-15 09:00:00', feedetail: [line('1', 'A001', '100.00')] })).err_msg!, /发票/);
      await c.agency.fileCrossRegion({ psn_no: p2.psn, mdtrtarea_admvs: BJ, begndate: '2024-03-01', filing_type: 'referral' });
      // Filed: Chongqing policy in Beijing: 400 line + 1,000 × 25% = 650 person, fund 750 (not Beijing's 1,800 line).
      const s = await visit(c.bj1, { psn: p2.psn, card: p2.card }, [line('1', 'A001', '1400.00')]);
      assert.deepEqual([s.setlinfo.fund_pay_sumamt, s.setlinfo.act_pay_dedc, s.setlinfo.insuplc_admdvs, s.setlinfo.mdtrtarea_admvs], ['750.00', '400.00', CQ, BJ]);
    });

    it('Beijing policy through the API: age-banded credit, line 1,800, level 3 +10 points', async () => {
      const p45 = await person(c.agency, { region: BJ, birth: '1979-03-15', base: '10000.00' });
      const cr45 = await c.agency.monthlyCredit({ psn_no: p45.psn, months: 2, period: '2024-03' });
      assert.deepEqual([cr45.credit_per_month, cr45.credited], ['300.00', '600.00']); // 45 on 2024-03-15 → 3%
      await refused(c.agency.monthlyCredit({ psn_no: p45.psn, period: '2024-03' }), /已划入/);
      const p = await person(c.agency, { region: BJ, birth: '1978-03-15', base: '10000.00' });
      const cr = await c.agency.monthlyCredit({ psn_no: p.psn, months: 2 });
      assert.deepEqual([cr.credit_per_month, cr.credited], ['400.00', '800.00']); // 46 → 4%
      // Level 3: 1,800 line + 1,200 × (30% + 10%) = 2,280 person; account 800 pays first.
      const s3 = await visit(c.bj, p, [line('1', 'A001', '3000.00')]);
      assert.deepEqual([s3.setlinfo.fund_pay_sumamt, s3.setlinfo.acct_pay, s3.setlinfo.psn_cash_pay, s3.setlinfo.pool_prop_selfpay], ['720.00', '800.00', '1480.00', '0.40']);
    });

    it('inpatient: admission, fee upload, discharge, pre-settlement, settlement, reversal', async () => {
      const p = await person(c.agency, { opening: '100.00' });
      const adm = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', ipt_no: uniq('ZY'), begntime: '2024-03-10 08:00:00' });
      const id = adm.result.mdtrt_id;
      await refused(c.h3.uploadFees([{ ...line('1', 'A001', '10.00'), mdtrt_id: id, psn_no: p.psn }]), /住院/);
      await c.h3.uploadInpatientFees([{ ...line('1', 'A001', '6000.00'), mdtrt_id: id, psn_no: p.psn }]);
      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
      const input = { psn_no: p.psn, mdtrt_cert_type: '03' as const, mdtrt_cert_no: p.card, med_type: '21' as const, medfee_sumamt: '6000.00', mdtrt_id: id, acct_used_flag: '1' as const };
      const pre = await c.h3.preSettleInpatient(input);
      const s = await c.h3.settleInpatient(input);
      // 400 + 4,600 × 25% + 1,000 × 20% = 1,750 person; fund 4,250; account 100 → cash 1,650
      assert.deepEqual([s.setlinfo.fund_pay_sumamt, s.setlinfo.acct_pay, s.setlinfo.psn_cash_pay], ['4250.00', '100.00', '1650.00']);
      assert.equal(pre.setlinfo.fund_pay_sumamt, s.setlinfo.fund_pay_sumamt);
      const r = await c.h3.reverseInpatient({ setl_id: s.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn });
      assert.equal(r.setlinfo.balc, '100.00');
    });

    it('year-end rollover: interest on carried and current money, once per year', async () => {
      const p = await person(c.agency, { opening: '1000.00' });
      await c.agency.monthlyCredit({ psn_no: p.psn, months: 3 }); // 307.80 current
      await refused(c.agency.yearEndRollover({ year: 2024, psn_no: p.psn }), /2024 年度尚未结束/);
      c.agency.clock.set('2025-01-02 09:00:00'); // domain.md §3: the year is closed once it has ended
      const r = await c.agency.yearEndRollover({ year: 2024, psn_no: p.psn });
      assert.deepEqual([r.people[0].interest, r.people[0].balc], ['12.08', '1319.88']); // 11.00 + 1.08
      const b = await c.agency.balance(p.psn);
      assert.deepEqual([b.carried, b.current], ['1319.88', '0.00']);
      await refused(c.agency.yearEndRollover({ year: 2024, psn_no: p.psn }), /已结转/);
      c.agency.clock.set('2024-03-15 09:00:00');
    });

    it('the business date is inf_time (near the business clock the control API sets), never the wall clock', async () => {
      const p = await person(c.agency, {});
      c.h1.clock.set('2036-01-01 09:00:00');
      await refused(c.h1.lookupByCard(p.card), /inf_time=2036-01-01 09:00:00 与业务时钟相差/);
      await c.agency.setClock(['H50000000001'], '2036-01-01 09:00:00');
      await refused(c.h1.lookupByCard(p.card), /已过有效期（有效期至 2035-07-01）/);
      c.h1.clock.set('2024-03-15 09:00:00');
      await c.agency.setClock(['H50000000001'], '2024-03-15 09:00:00');
      assert.equal((await c.h1.lookupByCard(p.card)).baseinfo.age, 34);
    });
  });
}
