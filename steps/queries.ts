// Then: what to check, to the fen and to the byte: the last visit's money, balances and
// the year's covered cost (control op balance), credits and interest, the receipt (receipts), the terminal's
// refusals, claims, the balance and card data the terminal showed, and the card traffic.
// Only through the platform API and the card, never engine internals (architecture.md).
import type { DataTable } from '@cucumber/cucumber';
import { fmtFen, parseYuan, type BalanceOutput, type ClaimOutput, type CreditOutput, type Receipt, type SetlInfo } from '../platform';
import { CERTIFICATE_NAMES, refusalByText, REFUSALS, type Settlement, type VisitOutcome } from '../terminal';
import { stepsOf } from './registry';
import type { MedWorld } from './world';

const step = stepsOf('queries');

/**
 * The language `medcard run` chose for the reader (cli/lang.ts decides; MEDCARD_LANG carries it
 * to the workers). In Chinese a failure says only the Chinese of a "中文 / English" label.
 */
const ZH = process.env.MEDCARD_LANG === 'zh';
const say = (zh: string, en: string) => (ZH ? zh : en);
const label = (what: string) => (ZH ? what.split(' / ')[0]! : what);

/** Money to the fen; the failure says both figures in yuan (cli/run.ts's Allure category matches it), then what they were read from. */
function eq(what: string, actual: number, expected: number, context = ''): void {
  if (actual === expected) return;
  throw new Error(say(`${label(what)}：应为 ${fmtFen(expected)} 元，实际 ${fmtFen(actual)} 元${context}`, `${what}: expected ${fmtFen(expected)} 元, got ${fmtFen(actual)} 元${context}`));
}

/**
 * Which visit a step about "the last visit" read, for its failure message: after a claim the
 * last visit is still the one paid in cash, so say so and name the steps that check the claim.
 */
function lastVisit(w: MedWorld): { o: VisitOutcome; context: string } {
  const o = w.need('visit');
  const r = o.receipt;
  const how = o.settlement ? say('持卡结算', 'settled with the card') : o.refusal ? say(`未能用卡结算：${o.refusal.message}`, `the card did not settle: ${o.refusal.message}`) : say('全额现金支付，未用卡结算', 'paid in full in cash, no card settlement');
  const claimed = w.latest.claimedVisit?.outcome !== o ? '' : say(
    '；此后已申请报销：报销结果请用 如持卡就医应付：… 和 报销后实际现金支出 … 检查',
    '; it was claimed since: 如持卡就医应付：… / had the card been used, it would have paid: … and 报销后实际现金支出 … / after the claim, the net cash paid is … check the claim');
  const day = r.date.slice(0, 10);
  return { o, context: say(
    ` — 读自上一次就诊："${w.latest.visitor}" ${day} 在 "${r.institution}"，${r.visitType}，${fmtFen(r.totalFen)} 元，${how}${claimed}`,
    ` — read from the last visit: "${w.latest.visitor}" at "${r.institution}" on ${day}, ${r.visitType}, ${fmtFen(r.totalFen)} 元, ${how}${claimed}`) };
}

/** The last claim, accepted: its adjudication is what the card would have settled (domain.md §5). */
function acceptedClaim(w: MedWorld): { claim: ClaimOutput; setl: SetlInfo; context: string } {
  const claim = w.need('claim');
  const v = w.need('claimedVisit');
  const who = [...w.people.values()].find((p) => p.psnNo === claim.psn_no)?.name ?? claim.psn_no;
  const context = say(
    ` — 读自报销 ${claim.claim_id}："${who}" ${v.request.date} 在 "${v.institution.name}" 现金支付 ${fmtFen(v.outcome.cashPaidFen)} 元的就诊`,
    ` — read from claim ${claim.claim_id} for "${who}"'s visit to "${v.institution.name}" on ${v.request.date}, ${fmtFen(v.outcome.cashPaidFen)} 元 paid in cash`);
  if (claim.status !== 'accepted' || !claim.setlinfo) throw new Error(say(`报销被拒绝（${claim.err_msg ?? '未说明原因'}），没有退还${context}`, `the claim was rejected (${claim.err_msg ?? 'no reason given'}): a rejected claim pays nothing back${context}`));
  return { claim, setl: claim.setlinfo, context };
}

/** The person's balance at the agency now (control op balance); the terminal-balance step reads it too. */
async function balance(w: MedWorld, name: string): Promise<BalanceOutput> {
  const b = await w.control('balance', { psn_no: w.person(name).psnNo });
  w.latest.balance = b;
  return b;
}

function settlement(w: MedWorld): Settlement {
  const { o, context } = lastVisit(w);
  if (!o.settlement) throw new Error(say(`上一次就诊没有用卡结算${context}`, `the last visit did not settle with the card${context}`));
  return o.settlement;
}

/** Receipt lines a scenario may check (zh and en) → the receipt's field. */
const RECEIPT_FIELDS: Record<string, keyof Receipt> = {
  费用总额: 'medfee_sumamt', total: 'medfee_sumamt', 全自费: 'fulamt_ownpay_amt', 'not covered': 'fulamt_ownpay_amt',
  乙类先行自付: 'preselfpay_amt', 'class B self-pay': 'preselfpay_amt', 自付: 'selfpay_amt', 'self-pay': 'selfpay_amt',
  目录内: 'inscp_scp_amt', covered: 'inscp_scp_amt', 统筹支付: 'fund_pay_sumamt', fund: 'fund_pay_sumamt',
  个人账户: 'acct_pay', account: 'acct_pay', 现金: 'psn_cash_pay', cash: 'psn_cash_pay', 余额: 'balc', balance: 'balc',
};

// ------------------------------------------------------------------ Then: money, to the fen

step('Then', '个人账户支付 {money}', 'the account pays {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq('个人账户支付 / account paid', o.settlement?.account ?? 0, fen, context);
}, { example: { zh: '个人账户支付 120.00 元', en: 'the account pays CNY 120.00' } });

step('Then', '统筹基金支付 {money}', 'the pooled fund pays {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq('统筹基金支付 / fund paid', o.settlement?.fund ?? 0, fen, context);
}, { example: { zh: '统筹基金支付 450.00 元', en: 'the pooled fund pays CNY 450.00' } });

step('Then', '现金支付 {money}', 'the cash paid is {money}', async function (fen: number) {
  const { o, context } = lastVisit(this);
  eq('现金支付 / cash paid', o.cashPaidFen, fen, context);
}, { example: { zh: '现金支付 250.00 元', en: 'the cash paid is CNY 250.00' } });

step('Then', '结算后账户余额为 {money}', 'the account balance after settlement is {money}', async function (fen: number) {
  eq('结算后余额 / balance after', settlement(this).balance, fen, lastVisit(this).context);
}, { example: { zh: '结算后账户余额为 680.00 元', en: 'the account balance after settlement is CNY 680.00' } });

step('Then', '{string} 的个人账户余额为 {money}', '{string}\'s account balance is {money}', async function (name: string, fen: number) {
  eq(`"${name}" 账户余额 / balance`, parseYuan((await balance(this, name)).balc), fen);
}, { example: { zh: '"张三" 的个人账户余额为 680.00 元', en: '"Zhang San"\'s account balance is CNY 680.00' } });

step('Then', '{string} 本年累计目录内费用为 {money}', '{string}\'s covered cost this year is {money}', async function (name: string, fen: number) {
  eq(`"${name}" 本年累计 / covered cost this year`, parseYuan((await balance(this, name)).cum_inscp), fen);
}, { example: { zh: '"张三" 本年累计目录内费用为 1000.00 元', en: '"Zhang San"\'s covered cost this year is CNY 1000.00' } });

/** The rule the engine applied to a credit (its `rule`, e.g. 退休：养老金×6%), so a mismatch says which one. */
const creditRule = (c: CreditOutput) => say(` — 引擎采用的规则：${c.rule}（${c.months} 个月）`, ` — the engine applied the rule ${c.rule} (${c.months} month(s))`);

step('Then', '每月划入 {money}', 'each monthly credit is {money}', async function (fen: number) {
  const c = this.need('credit');
  eq('每月划入 / monthly credit', parseYuan(c.credit_per_month), fen, creditRule(c));
}, { example: { zh: '每月划入 102.60 元', en: 'each monthly credit is CNY 102.60' } });

step('Then', '共划入 {money}', 'the credits total {money}', async function (fen: number) {
  const c = this.need('credit');
  eq('共划入 / credited', parseYuan(c.credited), fen, creditRule(c));
}, { example: { zh: '共划入 307.80 元', en: 'the credits total CNY 307.80' } });

step('Then', '结息 {money}', 'the interest is {money}', async function (fen: number) {
  eq('结息 / interest', parseYuan(this.need('rollover').people[0]?.interest ?? '0'), fen);
}, { example: { zh: '结息 8.80 元', en: 'the interest is CNY 8.80' } });

step('Then', '结算单显示：', 'the receipt shows:', async function (table: DataTable) {
  const s = settlement(this);
  const { receipts } = await this.control('receipts', { setl_id: s.setlId });
  const r = receipts[0];
  if (!r) throw new Error(`the engine has no receipt for settlement ${s.setlId}`);
  await this.attach(JSON.stringify(r, null, 2), { mediaType: 'application/json', fileName: '结算单 receipt.json' });
  const errors: string[] = [];
  for (const [k, v] of table.raw()) {
    const field = RECEIPT_FIELDS[k!.trim()];
    if (!field) { errors.push(`unknown receipt line "${k}": use one of ${Object.keys(RECEIPT_FIELDS).join(', ')}`); continue; }
    const got = parseYuan(String(r[field]));
    const want = parseYuan(v!);
    if (got !== want) errors.push(`${k}: expected ${fmtFen(want)}, receipt shows ${fmtFen(got)}`);
  }
  if (errors.length) throw new Error(errors.join('\n'));
}, { example: { zh: '结算单显示：', en: 'the receipt shows:' }, table: '| 统筹支付 | 712.50 |  (rows: 费用总额 total, 全自费 not covered, 乙类先行自付 class B self-pay, 目录内 covered, 统筹支付 fund, 个人账户 account, 现金 cash, 余额 balance)' });

step('Then', '结算单上的就诊凭证为 {string}', 'the receipt names the certificate {string}', async function (name: string) {
  const r = this.need('visit').receipt;
  const want = Object.entries(CERTIFICATE_NAMES).find(([code, n]) => code === name.trim() || n.split(' ')[0] === name.trim() || n.slice(n.indexOf(' ') + 1) === name.trim())?.[0];
  if (!want) throw new Error(`unknown certificate "${name}": use one of ${Object.values(CERTIFICATE_NAMES).join('、')}`);
  if (r.certificate !== want) throw new Error(`the receipt names ${r.certificate ? CERTIFICATE_NAMES[r.certificate] : 'no certificate'}, expected ${CERTIFICATE_NAMES[want]}`);
  await this.attach(r.text ?? '', { mediaType: 'text/plain', fileName: '终端结算单 terminal receipt.txt' });
}, { example: { zh: '结算单上的就诊凭证为 "医保电子凭证"', en: 'the receipt names the certificate "e-voucher"' } });

step('Then', '结算单上的参保人姓名为 {string}', 'the receipt names the insured {string}', async function (name: string) {
  const r = this.need('visit').receipt;
  await this.attach(r.text ?? '', { mediaType: 'text/plain', fileName: '终端结算单 terminal receipt.txt' });
  if (r.holder !== name) throw new Error(say(`结算单上的参保人姓名为 ${JSON.stringify(r.holder ?? '（无）')}，应为 ${JSON.stringify(name)}`, `the receipt names the insured ${JSON.stringify(r.holder ?? '(none)')}, expected ${JSON.stringify(name)}`));
}, { example: { zh: '结算单上的参保人姓名为 "张三"', en: 'the receipt names the insured "Zhang San"' } });

// ------------------------------------------------------------------ Then: refusals and claims

step('Then', '终端拒绝，原因为 {string}', 'the terminal refuses because {string}', async function (reason: string) {
  const code = refusalByText(reason);
  if (!code) throw new Error(`unknown refusal "${reason}": use one of ${Object.values(REFUSALS).map((r) => r.zh).join('、')}`);
  const r = this.latest.refusal;
  if (!r) throw new Error(`expected the terminal to refuse (${REFUSALS[code].zh}), but it did not`);
  if (r.code !== code) throw new Error(`expected refusal "${REFUSALS[code].zh}" (${code}), got: ${r.message}`);
}, { example: { zh: '终端拒绝，原因为 "卡片已过有效期"', en: 'the terminal refuses because "the card has expired"' } });

step('Then', '密码剩余 {int} 次', '{int} PIN tries are left', async function (n: number) {
  const r = this.latest.refusal;
  if (r?.triesLeft !== n) throw new Error(`expected the terminal to report ${n} tries left, got ${r ? r.message : 'no refusal'}`);
}, { example: { zh: '密码剩余 2 次', en: '2 PIN tries are left' } });

step('Then', '全额现金支付，医保不支付', 'everything is paid in cash and insurance pays nothing', async function () {
  const { o, context } = lastVisit(this);
  if (!o.cashAdvance) throw new Error(`expected a full cash payment, but the card settled: fund ${fmtFen(o.settlement!.fund)}, account ${fmtFen(o.settlement!.account)}${context}`);
}, { example: { zh: '全额现金支付，医保不支付', en: 'everything is paid in cash and insurance pays nothing' } });

step('Then', '报销被受理，退还 {money}', 'the claim is accepted and pays back {money}', async function (fen: number) {
  const c = this.need('claim');
  if (c.status !== 'accepted') throw new Error(`the claim was rejected: ${c.err_msg}`);
  eq('退还 / payout', parseYuan(c.payout), fen);
}, { example: { zh: '报销被受理，退还 550.00 元', en: 'the claim is accepted and pays back CNY 550.00' } });

step('Then', '如持卡就医应付：个人账户 {money}，统筹基金 {money}，现金 {money}', 'had the card been used, it would have paid: account {money}, fund {money}, cash {money}', async function (account: number, fund: number, cash: number) {
  // The agency reckons a claim as the visit would have settled with the card (domain.md §5): this is that split.
  const { setl, context } = acceptedClaim(this);
  const wrong = ([['个人账户 / account', parseYuan(setl.acct_pay), account], ['统筹基金 / fund', parseYuan(setl.fund_pay_sumamt), fund], ['现金 / cash', parseYuan(setl.psn_cash_pay), cash]] as const)
    .filter(([, got, want]) => got !== want)
    .map(([what, got, want]) => say(`${label(what)}应为 ${fmtFen(want)} 元，实际 ${fmtFen(got)} 元`, `${what}: expected ${fmtFen(want)} 元, got ${fmtFen(got)} 元`));
  if (wrong.length) throw new Error(say(`如持卡就医应付：${wrong.join('；')}${context}`, `如持卡就医应付 / the card-equivalent split: ${wrong.join('; ')}${context}`));
}, { example: { zh: '如持卡就医应付：个人账户 100.00 元，统筹基金 450.00 元，现金 450.00 元', en: 'had the card been used, it would have paid: account CNY 100.00, fund CNY 450.00, cash CNY 450.00' } });

step('Then', '报销后实际现金支出 {money}', 'after the claim, the net cash paid is {money}', async function (fen: number) {
  // What the person is out of pocket in the end: the cash paid at the visit less what the claim paid back.
  const { claim, context } = acceptedClaim(this);
  const v = this.need('claimedVisit');
  eq('报销后实际现金支出 / net cash paid', v.outcome.cashPaidFen - parseYuan(claim.payout), fen, say(`${context}，退还 ${claim.payout} 元`, `${context}, ${claim.payout} 元 paid back`));
}, { example: { zh: '报销后实际现金支出 450.00 元', en: 'after the claim, the net cash paid is CNY 450.00' } });

step('Then', '报销被拒绝，原因包含 {string}', 'the claim is rejected with a reason containing {string}', async function (text: string) {
  const c = this.need('claim');
  if (c.status !== 'rejected') throw new Error(`expected a rejection, but the claim was accepted with payout ${c.payout}`);
  if (!(c.err_msg ?? '').includes(text)) throw new Error(`the rejection says "${c.err_msg}", which does not contain "${text}"`);
}, { example: { zh: '报销被拒绝，原因包含 "缺少计划生育手术证明"', en: 'the claim is rejected with a reason containing "缺少计划生育手术证明"' } });

// ------------------------------------------------------------------ Then: what the terminal showed, card traffic

step('Then', '终端显示余额 {money}', 'the terminal shows a balance of {money}', async function (fen: number) {
  eq('终端余额 / balance shown', parseYuan(this.need('balance').balc), fen);
}, { example: { zh: '终端显示余额 800.00 元', en: 'the terminal shows a balance of CNY 800.00' } });

step('Then', '终端读出 {string} 的卡号和社会保障号码', 'the terminal reads {string}\'s card number and social security number', async function (name: string) {
  const p = this.person(name);
  const line = this.need('vendorLine');
  const f = line.split('|');
  if (f.length !== 11) throw new Error(`the vendor line has ${f.length} fields, expected 11: ${line}`);
  if (f[1] !== p.certno || f[2] !== p.profile?.card.number) throw new Error(`vendor line ${line} does not carry ${p.certno} / ${p.profile?.card.number}`);
}, { example: { zh: '终端读出 "张三" 的卡号和社会保障号码', en: 'the terminal reads "Zhang San"\'s card number and social security number' } });

step('Then', '读卡报文中有 {string} 命令', 'the card traffic includes a {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (!t.some((e) => e.name === name)) throw new Error(`no ${name} in the card traffic: ${t.map((e) => e.name).join(', ') || '(none)'}`);
}, { example: { zh: '读卡报文中有 "VERIFY" 命令', en: 'the card traffic includes a "VERIFY" command' } });

step('Then', '读卡报文中没有 {string} 命令', 'the card traffic has no {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (t.some((e) => e.name === name)) throw new Error(`unexpected ${name} in the card traffic`);
}, { example: { zh: '读卡报文中没有 "VERIFY" 命令', en: 'the card traffic has no "VERIFY" command' } });

step('Then', '读卡报文中没有访问银行应用', 'the card traffic never selects the bank application', async function () {
  const t = this.inserted?.slot.trace() ?? [];
  if (!t.length) throw new Error(say('还没有读卡报文：先持卡就诊', 'no card traffic yet: a visit with the card comes first'));
  const bank = t.filter((e) => e.name === 'SELECT' && /PPSE|UnionPay|银联/.test(e.detail));
  if (bank.length) throw new Error(say(`读卡报文中选择了银行应用：${bank.map((e) => e.detail).join('；')}`, `the card traffic selects the bank application: ${bank.map((e) => e.detail).join('; ')}`));
}, { example: { zh: '读卡报文中没有访问银行应用', en: 'the card traffic never selects the bank application' } });

step('Then', '终端经PSAM外部认证后读取持卡人信息', 'the terminal read the holder data after external authentication through its PSAM', async function () {
  const t = this.inserted?.slot.trace() ?? [];
  const psam = this.psam.channel?.trace() ?? [];
  const auth = t.findIndex((e) => e.name === 'EXTERNAL AUTHENTICATE' && e.sw === '9000');
  const holder = t.findIndex((e) => e.name === 'READ RECORD' && /EF06|SFI 6/.test(e.detail) && e.sw === '9000');
  if (auth < 0) throw new Error(say('读卡报文中没有成功的外部认证（EXTERNAL AUTHENTICATE 9000）', 'no successful EXTERNAL AUTHENTICATE (9000) in the card traffic'));
  if (holder >= 0 && holder < auth) throw new Error(say('持卡人信息（EF06）在外部认证之前就读出了', 'the holder data (EF06) was read before the external authentication'));
  if (!psam.some((e) => e.name === 'CIPHER DATA' && /^(9000|61..)$/.test(e.sw))) {
    throw new Error(say('PSAM报文中没有计算认证数据（CIPHER DATA）', 'the PSAM computed no cryptogram (no CIPHER DATA in its traffic)'));
  }
}, { example: { zh: '终端经PSAM外部认证后读取持卡人信息', en: 'the terminal read the holder data after external authentication through its PSAM' } });
