// The settlement core shared by outpatient and inpatient settlement and by reimbursement
// claims: adjudicate (domain.md §4), book (one journal), describe (setlinfo), receipt (§8).
import { isMedType, MED_TYPES } from '../spec';
import type { Sql } from './db';
import { num } from './db';
import type { Ctx, InstRow, PersonRow } from './context';
import type { Policy } from './policy';
import { splitVisit, levelExtraBp, type Split } from './rules';
import { balances, accountDebit, post, PA, journalLines, journalParams, INSERT_JOURNAL_AT, type Balances, type Line } from './ledger';
import { INSERT_MESSAGE, messageParams } from './messages';
import { clrTypeOf, psnTypeOf } from './dictionaries';
import { fmtFen, fmtRatio, toFen } from '../platform';
import type { SetlInfo, SetlDetail, Receipt, ClaimReason, MedType } from '../platform';

export interface FeeRow {
  feedetl_sn: string; code: string; name: string; amount: number; cls: string;
  fulamt: number; overlmt: number; preselfpay: number; inscp: number;
}
export interface Totals { total: number; fulamt: number; overlmt: number; preselfpay: number; inscp: number }

export function totalsOf(lines: FeeRow[]): Totals {
  const t = { total: 0, fulamt: 0, overlmt: 0, preselfpay: 0, inscp: 0 };
  for (const l of lines) {
    t.total += l.amount; t.fulamt += l.fulamt; t.overlmt += l.overlmt; t.preselfpay += l.preselfpay; t.inscp += l.inscp;
  }
  return t;
}

export async function feeRows(q: Sql, mdtrtId: string): Promise<FeeRow[]> {
  const rows = await q.query(`SELECT feedetl_sn, code, name, amount, cls, fulamt, overlmt, preselfpay, inscp FROM fee_lines WHERE mdtrt_id = $1 ORDER BY feedetl_sn`, [mdtrtId]);
  return rows.map((r) => ({
    feedetl_sn: String(r.feedetl_sn), code: String(r.code), name: String(r.name), cls: String(r.cls),
    amount: num(r.amount), fulamt: num(r.fulamt), overlmt: num(r.overlmt), preselfpay: num(r.preselfpay), inscp: num(r.inscp),
  }));
}

/** Covered cost already settled for the person in the calendar year (domain.md §4.2 `A`). */
export async function cumulativeCovered(q: Sql, psn: string, year: number): Promise<number> {
  const [r] = await q.query<{ s: unknown }>(`SELECT COALESCE(SUM(inscp), 0)::bigint AS s FROM settlements WHERE psn_no = $1 AND year = $2 AND stas = 'settled'`, [psn, year]);
  return num(r.s);
}

export interface Adjudication { totals: Totals; split: Split; bal: Balances; cumBefore: number; extraBp: number; policy: Policy }

/** The person's row must be locked by the caller (FOR UPDATE): balance and A are read here. */
export async function adjudicate(q: Sql, a: { policy: Policy; person: PersonRow; inst: InstRow; year: number; lines: FeeRow[]; useAccount: boolean; unfiled?: boolean }): Promise<Adjudication> {
  const bal = await balances(q, a.person.psn_no);
  const cumBefore = await cumulativeCovered(q, a.person.psn_no, a.year);
  return adjudicateWith(a, bal, cumBefore);
}

/** adjudicate with the balance and A already read (under the person's lock). */
export function adjudicateWith(a: { policy: Policy; inst: InstRow; lines: FeeRow[]; useAccount: boolean; unfiled?: boolean }, bal: Balances, cumBefore: number): Adjudication {
  const totals = totalsOf(a.lines);
  const extraBp = levelExtraBp(a.policy, a.inst.level) + (a.unfiled ? a.policy.unfiledExtraBp : 0);
  const split = splitVisit({
    policy: a.policy, covered: totals.inscp, uncovered: totals.fulamt + totals.overlmt + totals.preselfpay,
    cumBefore, balance: bal.total, useAccount: a.useAccount, extraBp,
  });
  return { totals, split, bal, cumBefore, extraBp, policy: a.policy };
}

const medTypeName = (t: string) => (isMedType(t) ? MED_TYPES[t].zh : t);

export function setlInfo(x: {
  setlId: string; mdtrtId: string; person: PersonRow; inst: InstRow; certType: string; medType: string; time: string; msgid: string;
  adj: Adjudication; stas: SetlInfo['setl_stas']; mdtrtarea: string; age: number;
}): { setlinfo: SetlInfo; setldetail: SetlDetail[] } {
  const { adj, person } = x;
  const t = adj.totals;
  const s = adj.split;
  const f = fmtFen;
  const setlinfo: SetlInfo = {
    setl_id: x.setlId, mdtrt_id: x.mdtrtId, psn_no: person.psn_no, psn_name: person.name, psn_cert_type: '01', certno: person.certno,
    gend: person.gend, naty: person.naty, brdy: person.brdy, age: x.age, insutype: person.insutype, psn_type: psnTypeOf(person.retired),
    cvlserv_flag: '0', setl_time: x.time, mdtrt_cert_type: x.certType as SetlInfo['mdtrt_cert_type'], med_type: x.medType as MedType,
    medfee_sumamt: f(t.total), fulamt_ownpay_amt: f(t.fulamt), overlmt_selfpay: f(t.overlmt), preselfpay_amt: f(t.preselfpay), inscp_scp_amt: f(t.inscp),
    act_pay_dedc: f(s.deductiblePaid), hifp_pay: f(s.fund), pool_prop_selfpay: fmtRatio(s.poolPropBp), cvlserv_pay: '0.00', hifes_pay: '0.00',
    hifmi_pay: '0.00', hifob_pay: '0.00', maf_pay: '0.00', oth_pay: '0.00', fund_pay_sumamt: f(s.fund), psn_part_amt: f(s.personTotal),
    acct_pay: f(s.acct), psn_cash_pay: f(s.cash), hosp_part_amt: '0.00', balc: f(s.balanceAfter), acct_mulaid_pay: '0.00',
    medins_setl_id: x.msgid, clr_optins: person.admvs, clr_way: '1', clr_type: clrTypeOf(x.medType),
    fixmedins_code: x.inst.code, fixmedins_name: x.inst.name, insuplc_admdvs: person.admvs, mdtrtarea_admvs: x.mdtrtarea, setl_stas: x.stas,
    cum_inscp_before: f(adj.cumBefore), cum_inscp_after: f(s.cumAfter),
    segments: s.pieces.map((p) => ({ segment: p.segment, from: f(p.from), to: f(p.to), amount: f(p.amount), person_rate: fmtRatio(p.personBp), person: f(p.person), fund: f(p.fund) })),
  };
  const setldetail: SetlDetail[] = s.fund > 0 ? [{
    fund_pay_type: person.insutype === '310' ? '310100' : '390100', inscp_scp_amt: f(t.inscp), crt_payb_lmt_amt: f(adj.policy.cap),
    fund_payamt: f(s.fund), fund_pay_type_name: person.insutype === '310' ? '职工基本医疗保险统筹基金' : '城乡居民基本医疗保险基金', setl_proc_info: '',
  }] : [];
  return { setlinfo, setldetail };
}

/** The ledger lines of a settlement: account debit, fund pay, cash, the institution's due. */
export function settlementLines(person: PersonRow, inst: InstRow, adj: Adjudication, memo: string): Line[] {
  const s = adj.split;
  return [
    ...accountDebit(person.psn_no, s.acct, adj.bal, memo),
    { account: `FUND:${person.admvs}`, amount: -s.fund, kind: 'fund_pay', memo },
    { account: `CASH:${person.psn_no}`, amount: -s.cash, kind: 'cash', memo },
    { account: `INST:${inst.code}`, amount: adj.totals.total, kind: 'institution', memo },
  ];
}

export async function bookSettlement(ctx: Ctx, x: {
  setlId: string; kind: 'otp' | 'ipt' | 'claim'; mdtrtId: string | null; person: PersonRow; inst: InstRow; year: number; adj: Adjudication;
  info: { setlinfo: SetlInfo; setldetail: SetlDetail[] }; extraLines?: Line[]; receipt: Receipt;
}): Promise<void> {
  const journalId = `J${x.setlId}`;
  const lines = [...settlementLines(x.person, x.inst, x.adj, x.kind === 'claim' ? '报销核定' : '结算'), ...(x.extraLines ?? [])];
  await post(ctx.q, { id: journalId, date: ctx.date, ref: x.setlId }, lines);
  const s = x.adj.split;
  await ctx.q.query(`INSERT INTO settlements (setl_id, mdtrt_id, psn_no, kind, year, setl_time, stas, inscp, total, fund, acct, cash, journal_id, info)
    VALUES ($1,$2,$3,$4,$5,$6,'settled',$7,$8,$9,$10,$11,$12,$13)`,
  [x.setlId, x.mdtrtId, x.person.psn_no, x.kind, x.year, ctx.time, x.adj.totals.inscp, x.adj.totals.total, s.fund, s.acct, s.cash, journalId, JSON.stringify(x.info)]);
  await saveReceipt(ctx.q, x.receipt);
}

export async function saveReceipt(q: Sql, r: Receipt): Promise<void> {
  await q.query(`INSERT INTO receipts (receipt_id, kind, ref_id, psn_no, body) VALUES ($1,$2,$3,$4,$5)`, [r.receipt_id, r.kind, r.ref_id, r.psn_no, JSON.stringify(r)]);
}

/**
 * A settlement's writes and the answer under its msgid, in one statement that also commits:
 * the journal, the settlement, the receipt, the visit (settled) and the message. A msgid
 * already taken fails the statement (before COMMIT), the transaction rolls back and the
 * engine answers with the first answer (messages.ts).
 */
const WRITE_SETTLEMENT = `WITH le AS (${INSERT_JOURNAL_AT(1)}),
  st AS (INSERT INTO settlements (setl_id, mdtrt_id, psn_no, kind, year, setl_time, stas, inscp, total, fund, acct, cash, journal_id, info)
    VALUES ($9, $10, $11, $12, $13, $14, 'settled', $15, $16, $17, $18, $19, $1, $20)),
  rc AS (INSERT INTO receipts (receipt_id, kind, ref_id, psn_no, body) VALUES ($21, $22, $9, $11, $23)),
  vu AS (UPDATE visits SET stas = 'settled', med_type = $24 WHERE mdtrt_id = $10),
  m AS (${INSERT_MESSAGE.replace(/\$(\d)/g, (_, d: string) => `$${Number(d) + 24}`)} RETURNING 1)
  SELECT count(*)::int AS stored FROM m`;

export async function writeSettlement(ctx: Ctx, x: {
  setlId: string; kind: 'otp' | 'ipt'; mdtrtId: string; person: PersonRow; inst: InstRow; year: number; adj: Adjudication;
  info: { setlinfo: SetlInfo; setldetail: SetlDetail[] }; receipt: Receipt; medType: string;
}): Promise<void> {
  const j = { id: `J${x.setlId}`, date: ctx.date, ref: x.setlId };
  const lines = journalLines(j, settlementLines(x.person, x.inst, x.adj, '结算'));
  const s = x.adj.split;
  const infoText = JSON.stringify(x.info);
  const res = ctx.answer(x.info);
  const { output: _, ...head } = res;
  const resText = `${JSON.stringify(head).slice(0, -1)},"output":${infoText}}`;
  await ctx.q.query(WRITE_SETTLEMENT, [
    ...journalParams(j, lines),
    x.setlId, x.mdtrtId, x.person.psn_no, x.kind, x.year, ctx.time, x.adj.totals.inscp, x.adj.totals.total, s.fund, s.acct, s.cash, infoText,
    x.receipt.receipt_id, x.receipt.kind, JSON.stringify(x.receipt),
    x.medType,
    ...messageParams(ctx.env, ctx.hash, res, resText),
  ], { commit: true });
  ctx.stored = res;
}

export function buildReceipt(x: {
  receiptId: string; kind: Receipt['kind']; refId: string; person: PersonRow; inst: InstRow; mdtrtarea: string; time: string; visitDate: string;
  medType: string; setlinfo: SetlInfo; lines: FeeRow[]; payout: number; reason: ClaimReason | null;
}): Receipt {
  const s = x.setlinfo;
  const selfpay = ['fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt'] as const;
  const selfpayFen = selfpay.reduce((a, k) => a + toFen(s[k], { allowNegative: true }), 0);
  return {
    receipt_id: x.receiptId, kind: x.kind, ref_id: x.refId, psn_no: x.person.psn_no, psn_name: x.person.name, certno: x.person.certno,
    insutype: x.person.insutype, insuplc_admdvs: x.person.admvs, fixmedins_code: x.inst.code, fixmedins_name: x.inst.name, hosp_lv: x.inst.level,
    mdtrtarea_admvs: x.mdtrtarea, date: x.time, visit_date: x.visitDate, med_type: x.medType as MedType, med_type_name: medTypeName(x.medType),
    medfee_sumamt: s.medfee_sumamt, fulamt_ownpay_amt: s.fulamt_ownpay_amt, overlmt_selfpay: s.overlmt_selfpay, preselfpay_amt: s.preselfpay_amt,
    selfpay_amt: fmtFen(selfpayFen), inscp_scp_amt: s.inscp_scp_amt, fund_pay_sumamt: s.fund_pay_sumamt, acct_pay: s.acct_pay,
    psn_cash_pay: s.psn_cash_pay, payout: fmtFen(x.payout), balc: s.balc, cross_region: x.mdtrtarea !== x.person.admvs,
    cash_advance_reason: x.reason,
    lines: x.lines.map((l) => ({
      feedetl_sn: l.feedetl_sn, med_list_codg: l.code, name: l.name, cls: l.cls, amount: fmtFen(l.amount), covered: fmtFen(l.inscp),
      selfpay: fmtFen(l.fulamt + l.overlmt + l.preselfpay),
    })),
    segments: s.segments,
  };
}

export { PA };
