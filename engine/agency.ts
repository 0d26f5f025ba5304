// The harness's control API (platform-api.md §3: not platform transactions): what the
// insurance agency does behind the platform — reference data, card life cycle, account
// credits and the year-end rollover, employer arrears, cross-region filing, reimbursement
// claims, queries — and the business clock. Documented with examples in engine/README.md.
import { randomBytes } from 'node:crypto';
import { num } from './db';
import { type Ctx, type Handler, type PersonRow, type InstRow, hasFiling, loadPerson, nextId, policyOf, show } from './context';
import { BizError, req, str, id, en, money, date, dt, int, arr, strs, CODE } from './validate';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, PERSON_NUMBER, REGION_CODE, MED_TYPE_CODES } from '../spec';
import { EMPLOYER, INSTITUTION, CATALOGUE, PERSON, CARD, insertEmployer, insertInstitution, insertCatalogue, insertPerson, insertCard, openingBalance, personOut } from './world';
import { balances, post, ledgerCheck, PA } from './ledger';
import { monthlyCredit, yearEndInterest, ageOn } from './rules';
import { adjudicate, bookSettlement, buildReceipt, cumulativeCovered, feeRows, setlInfo, type FeeRow } from './settle';
import { classifyLines } from './platform';
import { fmtFen, parseBizTime } from '../platform';
import type { ClaimOutput, ClaimReason, SetlInfo } from '../platform';

const psnNo = () => req(id('人员编号', PERSON_NUMBER));
const cardNo = (label = '社保卡号') => req(id(label, CARD_NUMBER));

const created = (key: string, fn: (ctx: Ctx, r: Record<string, unknown>) => Promise<void>) => async (ctx: Ctx, r: Record<string, unknown>) => {
  await fn(ctx, r);
  return { [key]: r[key] };
};

async function loadCard(ctx: Ctx, no: string) {
  const rows = await ctx.q.query(`SELECT * FROM cards WHERE card_no = $1 FOR UPDATE`, [no]);
  if (!rows.length) throw new BizError(`社保卡号 ${show(no)} 不存在`);
  return rows[0];
}

function cardOut(c: Record<string, unknown>) {
  return { card_no: c.card_no, card_sn: c.card_sn, psn_no: c.psn_no, issue_date: c.issue_date, expiry_date: c.expiry_date, admvs: c.admvs, card_stas: c.stas, activated_date: c.activated_date ?? null, lost_date: c.lost_date ?? null, replaced_by: c.replaced_by ?? null };
}

async function balanceOut(ctx: Ctx, psn: string, year?: number) {
  const b = await balances(ctx.q, psn);
  const y = year ?? Number(ctx.date.slice(0, 4));
  return { psn_no: psn, balc: fmtFen(b.total), carried: fmtFen(b.carried), current: fmtFen(b.current), year: y, cum_inscp: fmtFen(await cumulativeCovered(ctx.q, psn, y)) };
}

// ------------------------------------------------------------------ claims (domain.md §5, §6)

const CLAIM_LINE = {
  feedetl_sn: req(str('费用明细流水号', 30, { re: CODE })), med_list_codg: req(str('医疗目录编码', 50, { re: CODE })), det_item_fee_sumamt: money('明细项目费用总额', true),
  cnt: { k: 'cnt', label: '数量', req: true } as const, pric: money('单价', true), fee_ocur_time: { k: 'datetime', label: '费用发生时间', req: true } as const,
  mdtrt_id: str('就诊ID', 30, { re: CODE }), psn_no: id('人员编号', PERSON_NUMBER), medins_list_codg: str('医药机构目录编码', 50),
};

const REASONS: readonly ClaimReason[] = ['emergency', 'family_planning', 'employer_arrears', 'card_replacement', 'no_card_issued', 'cross_region_unfiled', 'none'];

/** What identifies a fee line across claims and invoice numbers (claim_lines' key, with the person and the institution). */
interface ClaimLine { sn: string; code: string; time: string; amount: number; nth: number }

/** Identical lines (same item, time and amount) are told apart by their order; the serial number is the claimant's to choose, so it is not part of the key. */
function claimLines(lines: Array<Omit<ClaimLine, 'nth'>>): ClaimLine[] {
  const seen = new Map<string, number>();
  return lines.map((l) => {
    const k = `${l.code}|${l.time}|${l.amount}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
    return { ...l, nth: seen.get(k)! };
  });
}

/** `emergency`: the visit was registered as an emergency by the institution (2201/2401 emergency_flag); a claim by invoice has no such record. */
interface ClaimVisit { key: string; inst: InstRow; medType: string; visitDate: string; begntime: string; emergency: boolean; lines: FeeRow[]; fees: ClaimLine[]; mdtrtId: string | null }

async function claimVisit(ctx: Ctx, person: PersonRow, input: Record<string, unknown>): Promise<ClaimVisit> {
  let inst: InstRow;
  if (input.mdtrt_id) {
    const rows = await ctx.q.query(`SELECT * FROM visits WHERE mdtrt_id = $1 FOR UPDATE`, [input.mdtrt_id]);
    if (!rows.length) throw new BizError(`就诊ID mdtrt_id=${show(input.mdtrt_id)} 不存在`);
    const v = rows[0];
    if (v.psn_no !== person.psn_no) throw new BizError('就诊ID 与人员编号不符');
    if (v.stas === 'settled') {
      const reimbursed = await ctx.q.query(`SELECT 1 FROM claims WHERE visit_key = $1 AND status = 'accepted'`, [`V:${v.mdtrt_id}`]);
      if (!reimbursed.length) throw new BizError(`就诊ID ${v.mdtrt_id} 已刷卡结算，不能再申请报销`);
    }
    if (v.stas === 'cancelled') throw new BizError(`就诊ID ${v.mdtrt_id} 已撤销挂号`);
    inst = (await ctx.q.query<InstRow & Record<string, unknown>>(`SELECT * FROM institutions WHERE code = $1`, [v.fixmedins_code]))[0];
    const lines = await feeRows(ctx.q, String(v.mdtrt_id));
    if (!lines.length) throw new BizError(`就诊ID ${v.mdtrt_id} 没有费用明细`);
    const fees = await ctx.q.query(`SELECT feedetl_sn, code, fee_time, amount FROM fee_lines WHERE mdtrt_id = $1 ORDER BY feedetl_sn`, [v.mdtrt_id]);
    return {
      key: `V:${v.mdtrt_id}`, inst, medType: String(v.med_type), begntime: String(v.begntime), visitDate: String(v.begntime).slice(0, 10), emergency: !!v.emergency, lines,
      fees: claimLines(fees.map((f) => ({ sn: String(f.feedetl_sn), code: String(f.code), time: String(f.fee_time), amount: num(f.amount) }))), mdtrtId: String(v.mdtrt_id),
    };
  }
  for (const k of ['fixmedins_code', 'invono', 'med_type', 'begntime', 'feedetail'] as const) {
    if (input[k] === undefined) throw new BizError(`未提供就诊ID mdtrt_id 时，必须填写 ${k}（按发票申报就诊信息）`);
  }
  const rows = await ctx.q.query<InstRow & Record<string, unknown>>(`SELECT * FROM institutions WHERE code = $1`, [input.fixmedins_code]);
  if (!rows.length) throw new BizError(`定点医药机构编号 fixmedins_code=${show(input.fixmedins_code)} 不存在`);
  inst = rows[0];
  if (!inst.designated) throw new BizError(`${inst.name} 不是定点医药机构，费用不予报销`);
  const classified = await classifyLines(ctx, input.feedetail as Array<Record<string, unknown>>, person.admvs);
  const lines: FeeRow[] = classified.map((c) => ({
    feedetl_sn: String(c.line.feedetl_sn), code: String(c.line.med_list_codg), name: c.item?.name ?? '目录外项目', amount: c.amount, cls: c.split.cls,
    fulamt: c.split.fulamt, overlmt: c.split.overlmt, preselfpay: c.split.preselfpay, inscp: c.split.inscp,
  }));
  const fees = claimLines(classified.map((c) => ({ sn: String(c.line.feedetl_sn), code: String(c.line.med_list_codg), time: String(c.line.fee_ocur_time), amount: c.amount })));
  return { key: `I:${inst.code}:${input.invono}`, inst, medType: String(input.med_type), begntime: String(input.begntime), visitDate: String(input.begntime).slice(0, 10), emergency: false, lines, fees, mdtrtId: null };
}

const lineKey = (code: unknown, time: unknown, amount: unknown) => `${code}|${time}|${num(amount)}`;
const lineText = (l: ClaimLine) => `第 ${l.sn} 条（${l.code}，${l.time}，${fmtFen(l.amount)} 元）`;
const listed = (items: string[]) => (items.length > 5 ? `${items.slice(0, 5).join('；')} 等 ${items.length} 条` : items.join('；'));

/**
 * Fee lines of the claim already settled with the card at the same institution (domain.md §5:
 * a visit is reimbursed once). Read under the person's lock, which a settlement takes too.
 */
async function settledLines(ctx: Ctx, p: PersonRow, v: ClaimVisit): Promise<string | null> {
  const rows = await ctx.q.query(`SELECT f.code, f.fee_time, f.amount, s.setl_id FROM fee_lines f JOIN visits vi ON vi.mdtrt_id = f.mdtrt_id
    JOIN settlements s ON s.mdtrt_id = f.mdtrt_id AND s.stas = 'settled' AND s.kind <> 'claim'
    WHERE vi.psn_no = $1 AND vi.fixmedins_code = $2 AND f.fee_time = ANY($3::text[])`, [p.psn_no, v.inst.code, v.fees.map((l) => l.time)]);
  const settled = new Map(rows.map((r) => [lineKey(r.code, r.fee_time, r.amount), String(r.setl_id)]));
  const hits = v.fees.filter((l) => settled.has(lineKey(l.code, l.time, l.amount)));
  return hits.length ? `费用明细已刷卡结算，不能再申请报销：${listed(hits.map((l) => `${lineText(l)}已在结算 ${settled.get(lineKey(l.code, l.time, l.amount))} 中结算`))}（domain.md §5）` : null;
}

/**
 * Takes the claim's fee lines in claim_lines, whose primary key lets each line be reimbursed
 * once: the refusal naming the lines an earlier claim has (its own rows removed), or null.
 */
async function reserveLines(ctx: Ctx, p: PersonRow, v: ClaimVisit, claimId: string): Promise<string | null> {
  const f = v.fees;
  const got = await ctx.q.query(`INSERT INTO claim_lines (psn_no, fixmedins_code, code, fee_time, amount, nth, claim_id, feedetl_sn)
    SELECT $1, $2, l.code, l.fee_time, l.amount, l.nth, $3, l.sn FROM unnest($4::text[], $5::text[], $6::bigint[], $7::int[], $8::text[]) AS l(code, fee_time, amount, nth, sn)
    ON CONFLICT DO NOTHING RETURNING feedetl_sn`,
  [p.psn_no, v.inst.code, claimId, f.map((l) => l.code), f.map((l) => l.time), f.map((l) => l.amount), f.map((l) => l.nth), f.map((l) => l.sn)]);
  if (got.length === f.length) return null;
  const mine = new Set(got.map((r) => String(r.feedetl_sn)));
  const taken = f.filter((l) => !mine.has(l.sn));
  const rows = await ctx.q.query(`SELECT code, fee_time, amount, nth, claim_id FROM claim_lines WHERE psn_no = $1 AND fixmedins_code = $2 AND claim_id <> $3 AND fee_time = ANY($4::text[])`,
    [p.psn_no, v.inst.code, claimId, taken.map((l) => l.time)]);
  const earlier = new Map(rows.map((r) => [`${lineKey(r.code, r.fee_time, r.amount)}|${r.nth}`, String(r.claim_id)]));
  await ctx.q.query(`DELETE FROM claim_lines WHERE claim_id = $1`, [claimId]);
  return `费用明细已报销，不能换发票号重复报销：${listed(taken.map((l) => `${lineText(l)}已由报销申请 ${earlier.get(`${lineKey(l.code, l.time, l.amount)}|${l.nth}`)} 报销`))}（domain.md §5）`;
}

/** Is the reason proven? Returns the refusal, or null (domain.md §5 table). */
async function claimRefusal(ctx: Ctx, p: PersonRow, reason: ClaimReason, v: ClaimVisit, input: Record<string, unknown>): Promise<string | null> {
  const date = v.visitDate;
  if (date > ctx.date) return `就诊日期 ${date} 晚于申请日期`;
  if (date < p.insu_date) return `就诊日期 ${date} 早于参保日期 ${p.insu_date}，不予报销`;
  if (p.stas === '3') return '参保已终止，不予报销';
  switch (reason) {
    case 'none': return '未持卡就医，不予报销';
    // domain.md §5: the emergency is the institution's record of the visit, not the claim's word.
    case 'emergency':
      if (!v.mdtrtId) return '以急诊为由报销，须填写定点医疗机构按急诊登记的就诊ID mdtrt_id；按发票申报的就诊没有急诊记录（申请中的 emergency_flag 不能证明急诊），不予报销';
      return v.emergency ? null : `就诊ID ${v.mdtrtId} 挂号/入院时未登记为急诊（emergency_flag），与报销原因「急诊」不符，不予报销`;
    case 'family_planning': return input.surgery_cert_no ? null : '缺少计划生育手术证明（surgery_cert_no），不予报销';
    case 'employer_arrears': {
      if (!p.emp_no) return '该人员无参保单位，不属于单位欠费情形';
      const e = (await ctx.q.query(`SELECT arrears FROM employers WHERE emp_no = $1`, [p.emp_no]))[0];
      return e?.arrears ? '参保单位尚未补缴欠费，暂不能报销' : null;
    }
    case 'card_replacement': {
      const lost = await ctx.q.query(`SELECT card_no, lost_date, replaced_by FROM cards WHERE psn_no = $1 AND lost_date IS NOT NULL AND lost_date <= $2 ORDER BY lost_date DESC LIMIT 1`, [p.psn_no, date]);
      if (!lost.length) return '就诊日期前没有挂失记录，不属于补换卡期间';
      const repl = lost[0].replaced_by ? (await ctx.q.query(`SELECT activated_date FROM cards WHERE card_no = $1`, [lost[0].replaced_by]))[0] : null;
      const activated = repl?.activated_date as string | null | undefined;
      return activated && activated <= date ? `新卡已于 ${activated} 激活，就诊日期不在补换卡期间` : null;
    }
    case 'no_card_issued': {
      const cards = await ctx.q.query(`SELECT 1 FROM cards WHERE psn_no = $1 AND issue_date <= $2`, [p.psn_no, date]);
      return cards.length ? '就诊时已发卡，不属于参保后未发卡情形' : null;
    }
    case 'cross_region_unfiled': {
      if (v.inst.admvs === p.admvs) return '就诊机构在参保地，不属于异地就医';
      if (await hasFiling(ctx.q, p.psn_no, v.inst.admvs, date)) return '就诊时已办理异地就医备案，应直接结算';
      const invoices = input.invoice_nos as string[] | undefined;
      if (!invoices?.length) return '缺少发票（invoice_nos），不予报销';
      if (!input.referral_no) return '缺少异地就医备案或转诊证明（referral_no），不予报销';
      return null;
    }
  }
}

async function claim(ctx: Ctx, input: Record<string, unknown>): Promise<ClaimOutput> {
  const person = await loadPerson(ctx.q, String(input.psn_no), true);
  const reason = input.reason as ClaimReason;
  const v = await claimVisit(ctx, person, input);
  const claimId = await nextId(ctx.q, 'CL', ctx.date);
  const already = await ctx.q.query(`SELECT claim_id FROM claims WHERE visit_key = $1 AND status = 'accepted'`, [v.key]);
  const refusal = already.length ? `该次就诊已报销（申请号 ${already[0].claim_id}），不能重复报销`
    : (await claimRefusal(ctx, person, reason, v, input)) ?? (await settledLines(ctx, person, v)) ?? (await reserveLines(ctx, person, v, claimId));
  const base = { claim_id: claimId, psn_no: person.psn_no, reason };
  if (refusal) {
    const out: ClaimOutput = { ...base, status: 'rejected', err_msg: refusal, setlinfo: null, payout: '0.00', receipt_id: null };
    await ctx.q.query(`INSERT INTO claims (claim_id, psn_no, reason, visit_key, status, info) VALUES ($1,$2,$3,$4,'rejected',$5)`, [claimId, person.psn_no, reason, v.key, JSON.stringify(out)]);
    return out;
  }
  // The reimbursement invariant (domain.md §5): adjudicate as if the card had been presented.
  const policy = policyOf(ctx, person.admvs);
  const year = Number(v.visitDate.slice(0, 4));
  const adj = await adjudicate(ctx.q, { policy, person, inst: v.inst, year, lines: v.lines, useAccount: true, unfiled: reason === 'cross_region_unfiled' });
  const setlId = claimId.replace(/^CL/, 'SC');
  const info = setlInfo({ setlId, mdtrtId: v.mdtrtId ?? v.key, person, inst: v.inst, certType: '02', medType: v.medType, time: ctx.time, msgid: ctx.env.msgid,
    adj, stas: 'settled', mdtrtarea: v.inst.admvs, age: ageOn(person.brdy, v.visitDate) });
  const payout = adj.split.fund + adj.split.acct;
  const receiptId = `R${claimId}`;
  const receipt = buildReceipt({ receiptId, kind: 'reimbursement', refId: claimId, person, inst: v.inst, mdtrtarea: v.inst.admvs, time: ctx.time, visitDate: v.visitDate,
    medType: v.medType, setlinfo: info.setlinfo, lines: v.lines, payout, reason });
  // The person paid everything in cash at the institution; the agency pays back fund + account shares.
  const total = adj.totals.total;
  await bookSettlement(ctx, {
    setlId, kind: 'claim', mdtrtId: v.mdtrtId, person, inst: v.inst, year, adj, info, receipt,
    extraLines: [
      { account: `CASH:${person.psn_no}`, amount: -(total - adj.split.cash), kind: 'cash', memo: '现金垫付' },
      { account: `CASH:${person.psn_no}`, amount: payout, kind: 'reimbursement', memo: '报销支付' },
    ],
  });
  if (v.mdtrtId) await ctx.q.query(`UPDATE visits SET stas = 'settled' WHERE mdtrt_id = $1`, [v.mdtrtId]);
  const out: ClaimOutput = { ...base, status: 'accepted', err_msg: null, setlinfo: info.setlinfo, payout: fmtFen(payout), receipt_id: receiptId };
  await ctx.q.query(`INSERT INTO claims (claim_id, psn_no, reason, visit_key, status, setl_id, info) VALUES ($1,$2,$3,$4,'accepted',$5,$6)`, [claimId, person.psn_no, reason, v.key, setlId, JSON.stringify(out)]);
  return out;
}

// ------------------------------------------------------------------ the table

const h = (spec: Handler['spec'], run: Handler['run']): Handler => ({ spec, run, platform: false });

/** The harness's control API by op (POST /medcard/control/<op>; engine/README.md "Control API"). */
export const CONTROL: Record<string, Handler> = {
  // The business clock of institutions: their inf_time must lie near it (context.ts checkInstitution).
  'clock': h({ fixmedins_code: req(strs('定点医药机构编号', 1000, 30)), time: dt('业务时间', true) }, async (ctx, r) => {
    const offset = parseBizTime(String(r.time)).getTime() - Date.now();
    for (const code of r.fixmedins_code as string[]) {
      await ctx.q.query(`INSERT INTO clocks (code, offset_ms) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET offset_ms = EXCLUDED.offset_ms`, [code, offset]);
    }
    return { time: r.time };
  }),
  'person': h(PERSON, created('psn_no', (ctx, r) => insertPerson(ctx.q, r))),
  'employer': h(EMPLOYER, created('emp_no', (ctx, r) => insertEmployer(ctx.q, r))),
  // Every institution has a signing key: the one given, or a new random one, answered once here.
  'institution': h(INSTITUTION, async (ctx, r) => {
    const key = (r.key as string | undefined) ?? randomBytes(16).toString('hex');
    await insertInstitution(ctx.q, { ...r, key });
    return { fixmedins_code: r.fixmedins_code, key };
  }),
  'catalogue-item': h(CATALOGUE, created('med_list_codg', (ctx, r) => insertCatalogue(ctx.q, r, ctx.time))),
  'card': h(CARD, async (ctx, r) => {
    await insertCard(ctx.q, r);
    return { card_no: r.card_no, card_stas: r.card_stas ?? 'issued' };
  }),
  // Activation (domain.md §7): an issued card becomes usable from the business date.
  'card-activation': h({ card_no: cardNo() }, async (ctx, r) => {
    const c = await loadCard(ctx, String(r.card_no));
    if (c.stas === 'active') throw new BizError(`社保卡 ${c.card_no} 已激活`);
    if (c.stas !== 'issued') throw new BizError(`社保卡 ${c.card_no} 状态为 ${c.stas}，不能激活`);
    const other = await ctx.q.query(`SELECT card_no FROM cards WHERE psn_no = $1 AND stas = 'active' AND card_no <> $2`, [c.psn_no, c.card_no]);
    if (other.length) throw new BizError(`该人员已有有效社保卡 ${other[0].card_no}`);
    await ctx.q.query(`UPDATE cards SET stas = 'active', activated_date = $2 WHERE card_no = $1`, [c.card_no, ctx.date]);
    return { card_no: c.card_no, card_stas: 'active' };
  }),
  // Loss report: blocks the card at once.
  'card-loss': h({ card_no: cardNo(), channel: en('挂失渠道', ['phone', 'web', 'counter']) }, async (ctx, r) => {
    const c = await loadCard(ctx, String(r.card_no));
    if (c.stas === 'lost') throw new BizError(`社保卡 ${c.card_no} 已挂失`);
    if (c.stas !== 'active' && c.stas !== 'issued') throw new BizError(`社保卡 ${c.card_no} 状态为 ${c.stas}，不能挂失`);
    await ctx.q.query(`UPDATE cards SET stas = 'lost', lost_date = $2 WHERE card_no = $1`, [c.card_no, ctx.date]);
    return { card_no: c.card_no, card_stas: 'lost' };
  }),
  // Replacement: a new card number for the same person, to be activated; the account is untouched.
  'card-replacement': h({ old_card_no: cardNo('原社保卡号'), card_no: cardNo(), card_sn: req(id('卡识别码', CARD_SN)), issue_date: date('发卡日期'), expiry_date: date('有效期至', true) }, async (ctx, r) => {
    const old = await loadCard(ctx, String(r.old_card_no));
    if (old.stas !== 'lost') throw new BizError(`原社保卡 ${old.card_no} 未挂失，请先挂失再补办`);
    await ctx.q.query(`UPDATE cards SET stas = 'replaced', replaced_by = $2 WHERE card_no = $1`, [old.card_no, r.card_no]);
    await insertCard(ctx.q, { card_no: r.card_no, card_sn: r.card_sn, psn_no: old.psn_no, issue_date: r.issue_date ?? ctx.date, expiry_date: r.expiry_date, admvs: old.admvs, card_stas: 'issued' });
    return { card_no: r.card_no, card_stas: 'issued', old_card_no: old.card_no };
  }),
  'opening-balance': h({ psn_no: psnNo(), amount: money('金额', true), bucket: en('资金类别（carried 历年结转 / current 当年）', ['carried', 'current']), memo: str('备注', 100) }, async (ctx, r) => {
    const p = await loadPerson(ctx.q, String(r.psn_no), true);
    if (r.amount === 0) throw new BizError('金额 amount 必须大于 0');
    await openingBalance(ctx.q, p.psn_no, r.amount as number, (r.bucket as 'carried' | 'current') ?? 'carried', ctx.date, await nextId(ctx.q, 'JO', ctx.date), (r.memo as string) ?? '期初余额');
    return balanceOut(ctx, p.psn_no);
  }),
  // Monthly account credit (domain.md §3), `months` months at once; `period` (yyyy-MM) makes it idempotent.
  'monthly-credit': h({ psn_no: psnNo(), months: int('月数', 1, 12), contribution_base: money('缴费基数（月）'), pension: money('基本养老金（月）'), period: str('所属期', 7, { re: /^\d{4}-(0[1-9]|1[0-2])$/, what: 'yyyy-MM' }) }, async (ctx, r) => {
    const p = await loadPerson(ctx.q, String(r.psn_no), true);
    if (p.insutype !== '310') throw new BizError('城乡居民医保（390）不设个人账户划入');
    if (p.stas !== '1') throw new BizError('参保状态非正常，不能划入个人账户');
    const policy = policyOf(ctx, p.admvs);
    const months = (r.months as number | undefined) ?? 1;
    const credit = monthlyCredit(policy, { baseFen: (r.contribution_base as number | undefined) ?? p.base_fen, pensionFen: (r.pension as number | undefined) ?? p.pension_fen, retired: p.retired, birth: p.brdy, date: ctx.date });
    const journalId = await nextId(ctx.q, 'JC', ctx.date);
    if (r.period) {
      const ok = await ctx.q.query(`INSERT INTO period_credits (psn_no, period, journal_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING RETURNING period`, [p.psn_no, r.period, journalId]);
      if (!ok.length) throw new BizError(`所属期 ${r.period} 已划入，不能重复划入`);
    }
    const total = credit.perMonth * months;
    await post(ctx.q, { id: journalId, date: ctx.date, ref: p.psn_no }, [
      { account: `CONTRIB:${p.admvs}`, amount: -total, kind: 'account_credit', memo: `个人账户划入 ${months} 个月` },
      { account: PA(p.psn_no), bucket: 'current', amount: total, kind: 'account_credit', memo: credit.rule },
    ]);
    const b = await balances(ctx.q, p.psn_no);
    return { psn_no: p.psn_no, months, credit_per_month: fmtFen(credit.perMonth), credited: fmtFen(total), balc: fmtFen(b.total), rule: credit.rule };
  }),
  // Year-end rollover with interest (domain.md §3 Decision). Interest is worked out on the
  // balances as they stand when the close runs, so only the year that has just ended on the
  // business clock may be closed (an older year would earn interest on later money), and each
  // year once: per person (rollovers), and per region or for all regions (year_closes).
  'year-end-close': h({ year: int('年度', 1990, 2200, true), insuplc_admdvs: id('参保地', REGION_CODE), psn_no: id('人员编号', PERSON_NUMBER) }, async (ctx, r) => {
    const year = r.year as number;
    const thisYear = Number(ctx.date.slice(0, 4));
    if (year >= thisYear) throw new BizError(`${year} 年度尚未结束（业务日期 ${ctx.date}），不能年终结转；${year + 1}-01-01 起方可办理（domain.md §3）`);
    if (year < thisYear - 1) throw new BizError(`${year} 年度不是刚结束的年度（业务日期 ${ctx.date}）：年终结转只在次年办理，补办往年会按现在的余额重复计息（domain.md §3）`);
    if (r.psn_no) {
      const p = await loadPerson(ctx.q, String(r.psn_no), true);
      if (p.insutype !== '310') throw new BizError(`人员 ${p.psn_no} 参加城乡居民医保，不设个人账户，无需年终结转`);
      const done = await ctx.q.query(`SELECT year, closed_at FROM rollovers WHERE psn_no = $1 AND year >= $2 ORDER BY year DESC LIMIT 1`, [p.psn_no, year]);
      if (done.length && Number(done[0].year) === year) throw new BizError(`人员 ${p.psn_no} 的 ${year} 年度已结转（${done[0].closed_at}），不能重复结转`);
      if (done.length) throw new BizError(`人员 ${p.psn_no} 已办理 ${done[0].year} 年度结转（${done[0].closed_at}），不能再结转更早的 ${year} 年度`);
    } else {
      const scope = r.insuplc_admdvs ? `参保地 ${r.insuplc_admdvs}` : '全部参保地';
      const taken = await ctx.q.query(`INSERT INTO year_closes (year, scope, closed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING year`, [year, scope, ctx.time]);
      if (!taken.length) {
        const [first] = await ctx.q.query(`SELECT closed_at FROM year_closes WHERE year = $1 AND scope = $2`, [year, scope]);
        throw new BizError(`${year} 年度（${scope}）已结转（${first.closed_at}），不能重复结转`);
      }
    }
    const params: unknown[] = [year];
    let where = `p.insutype = '310'`;
    if (r.insuplc_admdvs) { params.push(r.insuplc_admdvs); where += ` AND p.admvs = $${params.length}`; }
    if (r.psn_no) { params.push(r.psn_no); where += ` AND p.psn_no = $${params.length}`; }
    // People already closed for this year (or, after the clock went back, a later one) are left alone.
    const people = await ctx.q.query<PersonRow & Record<string, unknown>>(
      `SELECT p.* FROM persons p WHERE ${where} AND NOT EXISTS (SELECT 1 FROM rollovers r WHERE r.psn_no = p.psn_no AND r.year >= $1) ORDER BY p.psn_no FOR UPDATE`, params);
    let interestTotal = 0;
    const out = [];
    for (const p of people) {
      const policy = policyOf(ctx, p.admvs);
      const b = await balances(ctx.q, p.psn_no);
      const i = yearEndInterest(policy, b.carried, b.current);
      const journalId = `JY${year}-${p.psn_no}`;
      await post(ctx.q, { id: journalId, date: ctx.date, ref: p.psn_no }, [
        { account: `INTEREST:${p.admvs}`, amount: -i.total, kind: 'interest', memo: `${year} 年度利息` },
        { account: PA(p.psn_no), bucket: 'carried', amount: i.total, kind: 'interest', memo: `结转×${policy.threeMonthBp}bp + 当年×${policy.demandBp}bp` },
        { account: PA(p.psn_no), bucket: 'current', amount: -b.current, kind: 'carry_over', memo: `${year} 年度结转` },
        { account: PA(p.psn_no), bucket: 'carried', amount: b.current, kind: 'carry_over', memo: `${year} 年度结转` },
      ]);
      await ctx.q.query(`INSERT INTO rollovers (psn_no, year, journal_id, closed_at) VALUES ($1,$2,$3,$4)`, [p.psn_no, year, journalId, ctx.time]);
      interestTotal += i.total;
      out.push({ psn_no: p.psn_no, carried_before: fmtFen(b.carried), current_before: fmtFen(b.current), interest: fmtFen(i.total), balc: fmtFen(b.total + i.total) });
    }
    return { year, accounts: out.length, interest_total: fmtFen(interestTotal), people: out };
  }),
  'employer-arrears': h({ emp_no: req(str('单位编号', 30, { re: CODE })) }, async (ctx, r) => {
    const rows = await ctx.q.query(`UPDATE employers SET arrears = true, arrears_since = $2, paid_date = NULL WHERE emp_no = $1 RETURNING arrears_since`, [r.emp_no, ctx.date]);
    if (!rows.length) throw new BizError(`单位编号 emp_no=${show(r.emp_no)} 不存在`);
    return { emp_no: r.emp_no, arrears: true };
  }),
  'arrears-paid': h({ emp_no: req(str('单位编号', 30, { re: CODE })), amount: money('补缴金额') }, async (ctx, r) => {
    const rows = await ctx.q.query(`SELECT arrears FROM employers WHERE emp_no = $1 FOR UPDATE`, [r.emp_no]);
    if (!rows.length) throw new BizError(`单位编号 emp_no=${show(r.emp_no)} 不存在`);
    if (!rows[0].arrears) throw new BizError(`单位 ${r.emp_no} 没有欠费，无需补缴`);
    await ctx.q.query(`UPDATE employers SET arrears = false, paid_date = $2 WHERE emp_no = $1`, [r.emp_no, ctx.date]);
    return { emp_no: r.emp_no, arrears: false };
  }),
  'cross-region-filing': h({ psn_no: psnNo(), mdtrtarea_admvs: req(id('就医地医保区划', REGION_CODE)), begndate: date('开始日期', true), enddate: date('结束日期'), filing_type: en('备案类型', ['move', 'referral', 'temporary']) }, async (ctx, r) => {
    const p = await loadPerson(ctx.q, String(r.psn_no));
    if (r.mdtrtarea_admvs === p.admvs) throw new BizError('备案就医地与参保地相同，无需办理异地就医备案');
    if (r.enddate && String(r.enddate) < String(r.begndate)) throw new BizError('结束日期 enddate 早于开始日期 begndate');
    const id = await nextId(ctx.q, 'FL', ctx.date);
    await ctx.q.query(`INSERT INTO filings (filing_id, psn_no, admvs, begndate, enddate, type) VALUES ($1,$2,$3,$4,$5,$6)`, [id, p.psn_no, r.mdtrtarea_admvs, r.begndate, r.enddate ?? null, r.filing_type ?? 'move']);
    return { filing_id: id };
  }),
  'cash-claim': h({
    psn_no: psnNo(), reason: en('垫付原因', REASONS, true), mdtrt_id: str('就诊ID', 30, { re: CODE }), fixmedins_code: str('定点医药机构编号', 30, { re: CODE }),
    invono: str('发票号', 30, { re: CODE }), med_type: en('医疗类别', MED_TYPE_CODES), begntime: { k: 'datetime', label: '就诊时间' },
    emergency_flag: en('急诊标志', ['0', '1']), feedetail: arr('费用明细', CLAIM_LINE, 500, false, 1), surgery_cert_no: str('计划生育手术证明编号', 50),
    referral_no: str('备案或转诊证明编号', 50), invoice_nos: strs('发票号列表', 50, 30),
  }, (ctx, r) => claim(ctx, r)),
  'claim': h({ claim_id: req(str('报销申请号', 30, { re: CODE })) }, async (ctx, r) => {
    const rows = await ctx.q.query(`SELECT info FROM claims WHERE claim_id = $1`, [r.claim_id]);
    if (!rows.length) throw new BizError(`报销申请号 claim_id=${show(r.claim_id)} 不存在`);
    return typeof rows[0].info === 'string' ? JSON.parse(rows[0].info) : rows[0].info;
  }),
  'balance': h({ psn_no: psnNo(), year: int('年度', 1990, 2200) }, async (ctx, r) => {
    await loadPerson(ctx.q, String(r.psn_no));
    return balanceOut(ctx, String(r.psn_no), r.year as number | undefined);
  }),
  'history': h({ psn_no: psnNo(), limit: int('条数', 1, 1000) }, async (ctx, r) => {
    const p = await loadPerson(ctx.q, String(r.psn_no));
    const limit = (r.limit as number | undefined) ?? 200;
    const entries = await ctx.q.query(`SELECT * FROM ledger_entries WHERE account IN ($1, $2) ORDER BY entry_id DESC LIMIT $3`, [PA(p.psn_no), `CASH:${p.psn_no}`, limit]);
    const setl = await ctx.q.query(`SELECT info, stas FROM settlements WHERE psn_no = $1 ORDER BY setl_id DESC LIMIT $2`, [p.psn_no, limit]);
    const claims = await ctx.q.query(`SELECT info FROM claims WHERE psn_no = $1 ORDER BY claim_id DESC LIMIT $2`, [p.psn_no, limit]);
    const js = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    return {
      entries: entries.map((e) => ({ entry_id: String(e.entry_id), journal_id: e.journal_id, kind: e.kind, account: e.account, bucket: e.bucket, amount: fmtFen(num(e.amount)), biz_date: e.biz_date, ref: e.ref, memo: e.memo })),
      settlements: setl.map((s) => ({ ...(js(s.info) as { setlinfo: SetlInfo }).setlinfo, setl_stas: s.stas })),
      claims: claims.map((c) => js(c.info)),
    };
  }),
  'receipts': h({ receipt_id: str('收据号', 40, { re: CODE }), setl_id: str('结算ID', 30, { re: CODE }), claim_id: str('报销申请号', 30, { re: CODE }), psn_no: id('人员编号', PERSON_NUMBER) }, async (ctx, r) => {
    let rows;
    if (r.receipt_id) rows = await ctx.q.query(`SELECT body FROM receipts WHERE receipt_id = $1`, [r.receipt_id]);
    else if (r.setl_id || r.claim_id) rows = await ctx.q.query(`SELECT body FROM receipts WHERE ref_id = $1 ORDER BY receipt_id`, [r.setl_id ?? r.claim_id]);
    else if (r.psn_no) rows = await ctx.q.query(`SELECT body FROM receipts WHERE psn_no = $1 ORDER BY receipt_id`, [r.psn_no]);
    else throw new BizError('receipt_id、setl_id、claim_id、psn_no 至少填写一项');
    if (!rows.length) throw new BizError('没有找到收据');
    return { receipts: rows.map((x) => (typeof x.body === 'string' ? JSON.parse(x.body) : x.body)) };
  }),
  'ledger-check': h({}, async (ctx) => {
    const c = await ledgerCheck(ctx.q);
    return { entries: c.entries, journals: c.journals, sum: fmtFen(c.sum), unbalanced_journals: c.unbalanced, digest: c.digest, accounts_negative: c.negative };
  }),
  'person-query': h({ certno: id('身份证号', ID_NUMBER), psn_no: id('人员编号', PERSON_NUMBER), card_no: id('社保卡号', CARD_NUMBER) }, async (ctx, r) => {
    let psn = r.psn_no as string | undefined;
    if (!psn && r.card_no) psn = (await ctx.q.query<{ psn_no: string }>(`SELECT psn_no FROM cards WHERE card_no = $1`, [r.card_no]))[0]?.psn_no;
    if (!psn && r.certno) psn = (await ctx.q.query<{ psn_no: string }>(`SELECT psn_no FROM persons WHERE certno = $1`, [r.certno]))[0]?.psn_no;
    if (!r.psn_no && !r.card_no && !r.certno) throw new BizError('certno、psn_no、card_no 至少填写一项');
    if (!psn) return { person: null, cards: [] };
    const p = await ctx.q.query(`SELECT * FROM persons WHERE psn_no = $1`, [psn]);
    const cards = await ctx.q.query(`SELECT * FROM cards WHERE psn_no = $1 ORDER BY issue_date, card_no`, [psn]);
    return { person: p.length ? personOut(p[0]) : null, cards: cards.map(cardOut) };
  }),
};

