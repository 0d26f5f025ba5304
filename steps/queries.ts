// Then: what to check, to the fen and to the byte: the last visit's money, balances and
// the year's covered cost (control op balance), credits and interest, the receipt (receipts), the terminal's
// refusals, claims, the balance and card data the terminal showed, and the card traffic.
// Only through the platform API and the card, never engine internals (architecture.md).
import type { DataTable } from '@cucumber/cucumber';
import { fmtFen, parseYuan, type BalanceOutput, type ClaimOutput, type CreditOutput, type Receipt, type SetlInfo } from '../platform';
import { CERTIFICATE_NAMES, refusalByText, REFUSALS, type Settlement, type VisitOutcome } from '../terminal';
import { stepsOf } from './registry';
import { fail, joined, refusalSaid } from './said';
import type { Lang, Said } from './types';
import type { MedWorld } from './world';

const step = stepsOf('queries');

const NONE: Said = { zh: '', en: '' };

/** Money to the fen; the failure says both figures in yuan (cli/run.ts's Allure category matches it), then what they were read from. */
function eq(what: Said, actual: number, expected: number, context: Said = NONE): void {
  if (actual === expected) return;
  throw fail({
    zh: `${what.zh}：应为 ${fmtFen(expected)} 元，实际 ${fmtFen(actual)} 元${context.zh}`,
    en: `${what.en}: expected ${fmtFen(expected)} 元, got ${fmtFen(actual)} 元${context.en}`,
  });
}

/** The kind of visit as the receipt names it (a terminal code), in words. */
const VISIT_TYPES: Record<string, Said> = {
  outpatient: { zh: '门诊', en: 'outpatient' }, inpatient: { zh: '住院', en: 'inpatient' },
  pharmacy: { zh: '药店购药', en: 'pharmacy' }, 'family-planning': { zh: '计划生育手术', en: 'family-planning surgery' },
};
const visitType = (t: string): Said => VISIT_TYPES[t] ?? { zh: t, en: t };

/**
 * Which visit a step about "the last visit" read, for its failure message: after a claim the
 * last visit is still the one paid in cash, so say so and name the steps that check the claim.
 */
function lastVisit(w: MedWorld): { o: VisitOutcome; context: Said } {
  const o = w.need('visit');
  const r = o.receipt;
  const refused = o.refusal ? refusalSaid(o.refusal) : undefined;
  const how: Said = o.settlement ? { zh: '持卡结算', en: 'settled with the card' }
    : refused ? { zh: `未能用卡结算：${refused.zh}`, en: `the card did not settle: ${refused.en}` }
    : { zh: '全额现金支付，未用卡结算', en: 'paid in full in cash, no card settlement' };
  const claimed: Said = w.latest.claimedVisit?.outcome !== o ? NONE : {
    zh: '；此后已申请报销：报销结果请用 如持卡就医应付：… 和 报销后实际现金支出 … 检查',
    en: '; it was claimed since: had the card been used, it would have paid: … and after the claim, the net cash paid is … check the claim',
  };
  const day = r.date.slice(0, 10);
  const kind = visitType(r.visitType);
  return { o, context: {
    zh: ` — 读自上一次就诊："${w.latest.visitor}" ${day} 在 "${r.institution}"，${kind.zh}，${fmtFen(r.totalFen)} 元，${how.zh}${claimed.zh}`,
    en: ` — read from the last visit: "${w.latest.visitor}" at "${r.institution}" on ${day}, ${kind.en}, ${fmtFen(r.totalFen)} 元, ${how.en}${claimed.en}`,
  } };
}

/** The last claim, accepted: its adjudication is what the card would have settled (domain.md §5). */
function acceptedClaim(w: MedWorld): { claim: ClaimOutput; setl: SetlInfo; context: Said } {
  const claim = w.need('claim');
  const v = w.need('claimedVisit');
  const who = [...w.people.values()].find((p) => p.psnNo === claim.psn_no)?.name ?? claim.psn_no;
  const context: Said = {
    zh: ` — 读自报销 ${claim.claim_id}："${who}" ${v.request.date} 在 "${v.institution.name}" 现金支付 ${fmtFen(v.outcome.cashPaidFen)} 元的就诊`,
    en: ` — read from claim ${claim.claim_id} for "${who}"'s visit to "${v.institution.name}" on ${v.request.date}, ${fmtFen(v.outcome.cashPaidFen)} 元 paid in cash`,
  };
  if (claim.status !== 'accepted' || !claim.setlinfo) throw fail({ zh: `报销被拒绝（${claim.err_msg ?? '未说明原因'}），没有退还${context.zh}`, en: `the claim was rejected (${claim.err_msg ?? 'no reason given'}): a rejected claim pays nothing back${context.en}` });
  return { claim, setl: claim.setlinfo, context };
}

/** The person's balance at the agency now (control op balance); the terminal-balance step reads it too. */
async function balance(w: MedWorld, name: string): Promise<BalanceOutput> {
  const b = await w.control('balance', { psn_no: w.person(name).psnNo });
  w.latest.balance = b;
  return b;
}

/** Which visit a refusal check read, or that none was made. */
function visitContext(w: MedWorld): Said {
  return w.latest.visit ? lastVisit(w).context : { zh: '（本场景还没有就诊）', en: ' (no visit yet in this scenario)' };
}

function settlement(w: MedWorld): Settlement {
  const { o, context } = lastVisit(w);
  if (!o.settlement) throw fail({ zh: `上一次就诊没有用卡结算${context.zh}`, en: `the last visit did not settle with the card${context.en}` });
  return o.settlement;
}

/** Receipt lines a scenario may check (zh and en) → the receipt's field. */
const RECEIPT_FIELDS: Record<string, keyof Receipt> = {
  费用总额: 'medfee_sumamt', total: 'medfee_sumamt', 全自费: 'fulamt_ownpay_amt', 'not covered': 'fulamt_ownpay_amt',
  乙类先行自付: 'preselfpay_amt', 'class B self-pay': 'preselfpay_amt', 自付: 'selfpay_amt', 'self-pay': 'selfpay_amt',
  目录内: 'inscp_scp_amt', covered: 'inscp_scp_amt', 统筹支付: 'fund_pay_sumamt', fund: 'fund_pay_sumamt',
  个人账户: 'acct_pay', account: 'acct_pay', 现金: 'psn_cash_pay', cash: 'psn_cash_pay', 余额: 'balc', balance: 'balc',
};
/** The receipt lines by language, for a message naming the ones there are (the keys above alternate zh, en). */
/** A certificate's name in one language (CERTIFICATE_NAMES holds "中文 English"). */
const certName = (code: string, lang: Lang) => { const n = CERTIFICATE_NAMES[code] ?? code; const at = n.indexOf(' '); return at < 0 ? n : lang === 'zh' ? n.slice(0, at) : n.slice(at + 1); };
const certNames = (lang: Lang) => Object.keys(CERTIFICATE_NAMES).map((c) => certName(c, lang));
const isZh = (k: string) => /\p{Script=Han}/u.test(k);
const RECEIPT_LINES = { zh: Object.keys(RECEIPT_FIELDS).filter(isZh), en: Object.keys(RECEIPT_FIELDS).filter((k) => !isZh(k)) };
/** A receipt field's line in each language, whichever the scenario wrote. */
const lineName = (field: keyof Receipt): Said => {
  const names = Object.keys(RECEIPT_FIELDS).filter((k) => RECEIPT_FIELDS[k] === field);
  return { zh: names.find(isZh) ?? field, en: names.find((k) => !isZh(k)) ?? field };
};

// ------------------------------------------------------------------ Then: money, to the fen

step('Then', '个人账户支付 {money}', 'the account pays {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq({ zh: '个人账户支付', en: 'account paid' }, o.settlement?.account ?? 0, fen, context);
}, { example: { zh: '个人账户支付 120.00 元', en: 'the account pays CNY 120.00' } });

step('Then', '统筹基金支付 {money}', 'the pooled fund pays {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq({ zh: '统筹基金支付', en: 'fund paid' }, o.settlement?.fund ?? 0, fen, context);
}, { example: { zh: '统筹基金支付 450.00 元', en: 'the pooled fund pays CNY 450.00' } });

step('Then', '现金支付 {money}', 'the cash paid is {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq({ zh: '现金支付', en: 'cash paid' }, o.cashPaidFen, fen, context);
}, { example: { zh: '现金支付 250.00 元', en: 'the cash paid is CNY 250.00' } });

step('Then', '结算后账户余额为 {money}', 'the account balance after settlement is {money}', async function (fen: number) {
  eq({ zh: '结算后余额', en: 'balance after' }, settlement(this).balance, fen, lastVisit(this).context);
}, { example: { zh: '结算后账户余额为 680.00 元', en: 'the account balance after settlement is CNY 680.00' } });

step('Then', '{string} 的个人账户余额为 {money}', '{string}\'s account balance is {money}', async function (name: string, fen: number) {
  eq({ zh: `"${name}" 的个人账户余额`, en: `"${name}"'s account balance` }, parseYuan((await balance(this, name)).balc), fen);
}, { example: { zh: '"张三" 的个人账户余额为 680.00 元', en: '"Zhang San"\'s account balance is CNY 680.00' } });

step('Then', '{string} 本年累计目录内费用为 {money}', '{string}\'s covered cost this year is {money}', async function (name: string, fen: number) {
  eq({ zh: `"${name}" 本年累计目录内费用`, en: `"${name}"'s covered cost this year` }, parseYuan((await balance(this, name)).cum_inscp), fen);
}, { example: { zh: '"张三" 本年累计目录内费用为 1000.00 元', en: '"Zhang San"\'s covered cost this year is CNY 1000.00' } });

/** The rule the engine applied to a credit (its `rule`, e.g. 退休：养老金×6%), so a mismatch says which one. */
const creditRule = (c: CreditOutput): Said => ({ zh: ` — 引擎采用的规则：${c.rule}（${c.months} 个月）`, en: ` — the engine applied the rule ${c.rule} (${c.months} month(s))` });

step('Then', '每月划入 {money}', 'each monthly credit is {money}', async function (fen: number) {
  const c = this.need('credit');
  eq({ zh: '每月划入', en: 'monthly credit' }, parseYuan(c.credit_per_month), fen, creditRule(c));
}, { example: { zh: '每月划入 102.60 元', en: 'each monthly credit is CNY 102.60' } });

step('Then', '共划入 {money}', 'the credits total {money}', async function (fen: number) {
  const c = this.need('credit');
  eq({ zh: '共划入', en: 'credited' }, parseYuan(c.credited), fen, creditRule(c));
}, { example: { zh: '共划入 307.80 元', en: 'the credits total CNY 307.80' } });

step('Then', '结息 {money}', 'the interest is {money}', async function (fen: number) {
  eq({ zh: '结息', en: 'interest' }, parseYuan(this.need('rollover').people[0]?.interest ?? '0'), fen);
}, { example: { zh: '结息 8.80 元', en: 'the interest is CNY 8.80' } });

step('Then', '结算单显示：', 'the receipt shows:', async function (table: DataTable) {
  const s = settlement(this);
  const { receipts } = await this.control('receipts', { setl_id: s.setlId });
  const r = receipts[0];
  if (!r) throw fail({ zh: `结算引擎没有结算 ${s.setlId} 的结算单`, en: `the engine has no receipt for settlement ${s.setlId}` });
  await this.attach(JSON.stringify(r, null, 2), { mediaType: 'application/json', fileName: '结算单 receipt.json' });
  const errors: Said[] = [];
  for (const [k, v] of table.raw()) {
    const field = RECEIPT_FIELDS[k!.trim()];
    if (!field) {
      errors.push({ zh: `结算单上没有 "${k}" 这一行：请用 ${RECEIPT_LINES.zh.join('、')}`, en: `unknown receipt line "${k}": use one of ${RECEIPT_LINES.en.join(', ')}` });
      continue;
    }
    const got = parseYuan(String(r[field]));
    const want = parseYuan(v!);
    const line = lineName(field);
    if (got !== want) errors.push({ zh: `结算单 ${line.zh}（${field}）：应为 ${fmtFen(want)} 元，实际 ${fmtFen(got)} 元`, en: `receipt ${line.en} (${field}): expected ${fmtFen(want)} 元, got ${fmtFen(got)} 元` });
  }
  if (errors.length) throw fail(joined(errors, { zh: '\n', en: '\n' }));
}, { example: { zh: '结算单显示：', en: 'the receipt shows:' }, table: '| 统筹支付 | 712.50 |  (rows: 费用总额 total, 全自费 not covered, 乙类先行自付 class B self-pay, 目录内 covered, 统筹支付 fund, 个人账户 account, 现金 cash, 余额 balance)' });

step('Then', '结算单上的就诊凭证为 {string}', 'the receipt names the certificate {string}', async function (name: string) {
  const r = this.need('visit').receipt;
  const want = Object.entries(CERTIFICATE_NAMES).find(([code, n]) => code === name.trim() || n.split(' ')[0] === name.trim() || n.slice(n.indexOf(' ') + 1) === name.trim())?.[0];
  if (!want) throw fail({ zh: `没有叫 "${name}" 的就诊凭证：请用 ${certNames('zh').join('、')}`, en: `unknown certificate "${name}": use one of ${certNames('en').join(', ')}` });
  const shown = (code: string | undefined, lang: 'zh' | 'en') => (code ? certName(code, lang) : lang === 'zh' ? '没有就诊凭证' : 'no certificate');
  if (r.certificate !== want) throw fail({ zh: `结算单上的就诊凭证为${shown(r.certificate, 'zh')}，应为${shown(want, 'zh')}`, en: `the receipt names ${shown(r.certificate, 'en')}, expected ${shown(want, 'en')}` });
  await this.attach(r.text ?? '', { mediaType: 'text/plain', fileName: '终端结算单 terminal receipt.txt' });
}, { example: { zh: '结算单上的就诊凭证为 "医保电子凭证"', en: 'the receipt names the certificate "e-voucher"' } });

step('Then', '结算单上的参保人姓名为 {string}', 'the receipt names the insured {string}', async function (name: string) {
  const r = this.need('visit').receipt;
  await this.attach(r.text ?? '', { mediaType: 'text/plain', fileName: '终端结算单 terminal receipt.txt' });
  if (r.holder !== name) throw fail({ zh: `结算单上的参保人姓名为 ${JSON.stringify(r.holder ?? '（无）')}，应为 ${JSON.stringify(name)}`, en: `the receipt names the insured ${JSON.stringify(r.holder ?? '(none)')}, expected ${JSON.stringify(name)}` });
}, { example: { zh: '结算单上的参保人姓名为 "张三"', en: 'the receipt names the insured "Zhang San"' } });

// ------------------------------------------------------------------ Then: refusals and claims

step('Then', '终端拒绝，原因为 {string}', 'the terminal refuses because {string}', async function (reason: string) {
  const code = refusalByText(reason);
  if (!code) throw fail({ zh: `没有 "${reason}" 这种拒绝原因：请用 ${Object.values(REFUSALS).map((r) => r.zh).join('、')}`, en: `unknown refusal "${reason}": use one of ${Object.values(REFUSALS).map((r) => `"${r.en}"`).join(', ')}` });
  const want = REFUSALS[code];
  const r = this.latest.refusal;
  if (!r) throw fail({ zh: `终端应拒绝（${want.zh}），但没有拒绝${visitContext(this).zh}`, en: `expected the terminal to refuse (${want.en}), but it did not${visitContext(this).en}` });
  const got = refusalSaid(r);
  if (r.code !== code) throw fail({ zh: `终端应以 "${want.zh}"（${code}）拒绝，实际拒绝原因：${got.zh}（${r.code}）`, en: `expected the refusal "${want.en}" (${code}), got: ${got.en} (${r.code})` });
}, { example: { zh: '终端拒绝，原因为 "卡片已过有效期"', en: 'the terminal refuses because "the card has expired"' } });

step('Then', '密码剩余 {int} 次', '{int} PIN tries are left', async function (n: number) {
  const r = this.latest.refusal;
  if (r?.triesLeft !== n) {
    const got = r ? refusalSaid(r) : { zh: '终端没有拒绝', en: 'no refusal' };
    throw fail({ zh: `终端应报告密码剩余 ${n} 次，实际：${got.zh}`, en: `expected the terminal to report ${n} tries left, got: ${got.en}` });
  }
}, { example: { zh: '密码剩余 2 次', en: '2 PIN tries are left' } });

step('Then', '全额现金支付，医保不支付', 'everything is paid in cash and insurance pays nothing', async function () {
  const { o, context } = lastVisit(this);
  if (!o.cashAdvance) throw fail({ zh: `应全额现金支付，但卡已结算：统筹基金 ${fmtFen(o.settlement?.fund ?? 0)} 元，个人账户 ${fmtFen(o.settlement?.account ?? 0)} 元${context.zh}`, en: `expected a full cash payment, but the card settled: fund ${fmtFen(o.settlement?.fund ?? 0)} 元, account ${fmtFen(o.settlement?.account ?? 0)} 元${context.en}` });
}, { example: { zh: '全额现金支付，医保不支付', en: 'everything is paid in cash and insurance pays nothing' } });

step('Then', '报销被受理，退还 {money}', 'the claim is accepted and pays back {money}', async function (fen: number) {
  const c = this.need('claim');
  if (c.status !== 'accepted') throw fail({ zh: `报销被拒绝：${c.err_msg ?? '未说明原因'}`, en: `the claim was rejected: ${c.err_msg ?? 'no reason given'}` });
  eq({ zh: '退还', en: 'payout' }, parseYuan(c.payout), fen);
}, { example: { zh: '报销被受理，退还 550.00 元', en: 'the claim is accepted and pays back CNY 550.00' } });

step('Then', '如持卡就医应付：个人账户 {money}，统筹基金 {money}，现金 {money}', 'had the card been used, it would have paid: account {money}, fund {money}, cash {money}', async function (account: number, fund: number, cash: number) {
  // The agency reckons a claim as the visit would have settled with the card (domain.md §5): this is that split.
  const { setl, context } = acceptedClaim(this);
  const parts: [Said, number, number][] = [
    [{ zh: '个人账户', en: 'account' }, parseYuan(setl.acct_pay), account],
    [{ zh: '统筹基金', en: 'fund' }, parseYuan(setl.fund_pay_sumamt), fund],
    [{ zh: '现金', en: 'cash' }, parseYuan(setl.psn_cash_pay), cash]];
  const wrong = parts.filter(([, got, want]) => got !== want)
    .map(([what, got, want]): Said => ({ zh: `${what.zh}应为 ${fmtFen(want)} 元，实际 ${fmtFen(got)} 元`, en: `${what.en}: expected ${fmtFen(want)} 元, got ${fmtFen(got)} 元` }));
  if (wrong.length) {
    const all = joined(wrong, { zh: '；', en: '; ' });
    throw fail({ zh: `如持卡就医应付：${all.zh}${context.zh}`, en: `the card-equivalent split: ${all.en}${context.en}` });
  }
}, { example: { zh: '如持卡就医应付：个人账户 100.00 元，统筹基金 450.00 元，现金 450.00 元', en: 'had the card been used, it would have paid: account CNY 100.00, fund CNY 450.00, cash CNY 450.00' } });

step('Then', '报销后实际现金支出 {money}', 'after the claim, the net cash paid is {money}', async function (fen: number) {
  // What the person is out of pocket in the end: the cash paid at the visit less what the claim paid back.
  const { claim, context } = acceptedClaim(this);
  const v = this.need('claimedVisit');
  eq({ zh: '报销后实际现金支出', en: 'net cash paid' }, v.outcome.cashPaidFen - parseYuan(claim.payout), fen, { zh: `${context.zh}，退还 ${claim.payout} 元`, en: `${context.en}, ${claim.payout} 元 paid back` });
}, { example: { zh: '报销后实际现金支出 450.00 元', en: 'after the claim, the net cash paid is CNY 450.00' } });

step('Then', '报销被拒绝，原因包含 {string}', 'the claim is rejected with a reason containing {string}', async function (text: string) {
  const c = this.need('claim');
  if (c.status !== 'rejected') throw fail({ zh: `报销应被拒绝，但已受理，退还 ${c.payout} 元`, en: `expected a rejection, but the claim was accepted with payout ${c.payout} 元` });
  if (!(c.err_msg ?? '').includes(text)) throw fail({ zh: `拒绝原因为 "${c.err_msg ?? ''}"，其中没有 "${text}"`, en: `the rejection says "${c.err_msg ?? ''}", which does not contain "${text}"` });
}, { example: { zh: '报销被拒绝，原因包含 "缺少计划生育手术证明"', en: 'the claim is rejected with a reason containing "缺少计划生育手术证明"' } });

// ------------------------------------------------------------------ Then: what the terminal showed, card traffic

step('Then', '终端显示余额 {money}', 'the terminal shows a balance of {money}', async function (fen: number) {
  eq({ zh: '终端余额', en: 'balance shown' }, parseYuan(this.need('balance').balc), fen);
}, { example: { zh: '终端显示余额 800.00 元', en: 'the terminal shows a balance of CNY 800.00' } });

step('Then', '终端读出 {string} 的卡号和社会保障号码', 'the terminal reads {string}\'s card number and social security number', async function (name: string) {
  const p = this.person(name);
  const line = this.need('vendorLine');
  const f = line.split('|');
  if (f.length !== 11) throw fail({ zh: `终端输出的读卡信息有 ${f.length} 项，应为 11 项：${line}`, en: `the vendor line has ${f.length} fields, expected 11: ${line}` });
  if (f[1] !== p.certno || f[2] !== p.profile?.card.number) throw fail({ zh: `终端输出的读卡信息 ${line} 中没有 "${name}" 的社会保障号码 ${p.certno} 和卡号 ${p.profile?.card.number ?? '（无卡）'}`, en: `vendor line ${line} does not carry "${name}"'s social security number ${p.certno} and card number ${p.profile?.card.number ?? '(no card)'}` });
}, { example: { zh: '终端读出 "张三" 的卡号和社会保障号码', en: 'the terminal reads "Zhang San"\'s card number and social security number' } });

step('Then', '读卡报文中有 {string} 命令', 'the card traffic includes a {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (!t.some((e) => e.name === name)) throw fail({ zh: `读卡报文中没有 ${name} 命令，只有：${t.map((e) => e.name).join(', ') || '（没有报文）'}`, en: `no ${name} in the card traffic: ${t.map((e) => e.name).join(', ') || '(none)'}` });
}, { example: { zh: '读卡报文中有 "VERIFY" 命令', en: 'the card traffic includes a "VERIFY" command' } });

step('Then', '读卡报文中没有 {string} 命令', 'the card traffic has no {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (t.some((e) => e.name === name)) throw fail({ zh: `读卡报文中不应有 ${name} 命令，却有 ${t.filter((e) => e.name === name).length} 条`, en: `unexpected ${name} in the card traffic (${t.filter((e) => e.name === name).length} of them)` });
}, { example: { zh: '读卡报文中没有 "VERIFY" 命令', en: 'the card traffic has no "VERIFY" command' } });

step('Then', '读卡报文中没有访问银行应用', 'the card traffic never selects the bank application', async function () {
  const t = this.inserted?.slot.trace() ?? [];
  if (!t.length) throw fail({ zh: '还没有读卡报文：先持卡就诊', en: 'no card traffic yet: a visit with the card comes first' });
  const bank = t.filter((e) => e.name === 'SELECT' && /PPSE|UnionPay|银联/.test(e.detail));
  if (bank.length) throw fail({ zh: `读卡报文中选择了银行应用：${bank.map((e) => e.detail).join('；')}`, en: `the card traffic selects the bank application: ${bank.map((e) => e.detail).join('; ')}` });
}, { example: { zh: '读卡报文中没有访问银行应用', en: 'the card traffic never selects the bank application' } });

step('Then', '终端经PSAM外部认证后读取持卡人信息', 'the terminal read the holder data after external authentication through its PSAM', async function () {
  const t = this.inserted?.slot.trace() ?? [];
  const psam = this.psam.channel?.trace() ?? [];
  const auth = t.findIndex((e) => e.name === 'EXTERNAL AUTHENTICATE' && e.sw === '9000');
  const holder = t.findIndex((e) => e.name === 'READ RECORD' && /EF06|SFI 6/.test(e.detail) && e.sw === '9000');
  if (auth < 0) throw fail({ zh: '读卡报文中没有成功的外部认证（EXTERNAL AUTHENTICATE 9000）', en: 'no successful EXTERNAL AUTHENTICATE (9000) in the card traffic' });
  if (holder >= 0 && holder < auth) throw fail({ zh: '持卡人信息（EF06）在外部认证之前就读出了', en: 'the holder data (EF06) was read before the external authentication' });
  if (!psam.some((e) => e.name === 'CIPHER DATA' && /^(9000|61..)$/.test(e.sw))) {
    throw fail({ zh: 'PSAM报文中没有计算认证数据（CIPHER DATA）', en: 'the PSAM computed no cryptogram (no CIPHER DATA in its traffic)' });
  }
}, { example: { zh: '终端经PSAM外部认证后读取持卡人信息', en: 'the terminal read the holder data after external authentication through its PSAM' } });
