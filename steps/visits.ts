// When: visits at a designated institution through the reference terminal: with the
// person's card (or an old card, or someone else's), with the e-voucher or the ID card, paid
// in cash without the card (for a later claim), the reversal of the last settlement, the
// refused cash withdrawal, and the balance query at the terminal; the e-voucher shown and
// scanned, time passing at the counter. Each visit step attaches its card traffic and receipt.
import type { DataTable } from '@cucumber/cucumber';
import { fmtFen, parseYuan, type ClaimReason, type PlatformClient } from '../platform';
import { formatTrace, type CardSlot } from '../rigs';
import { Terminal, TerminalRefusal, type LineItem, type VisitKind, type VisitOutcome, type VisitRequest } from '../terminal';
import type { InstitutionCtx } from './types';
import { classOf, ensureCatalogue } from './catalogue';
import { holdsNoCard, insertCard, terminalPsam } from './cards';
import { CASH_REASON_WORDS } from './parameters';
import { col, stepsOf } from './registry';
import { fail, refusalSaid, said } from './said';
import type { MedWorld } from './world';

const step = stepsOf('visits');

function oneItem(w: MedWorld, fen: number): LineItem[] {
  return [{ code: w.item('甲类').code, name: '诊疗费', priceFen: fen, count: 1 }];
}

export async function itemsFromTable(w: MedWorld, table: DataTable): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for (const row of table.hashes()) {
    const name = col(row, '名称', '项目', 'name', 'item');
    if (!name) throw fail({ zh: '每一行费用明细都需要 名称 列', en: 'each line item needs a name column' });
    const clsText = col(row, '类别', 'class');
    if (!w.catalogue.has(name)) {
      if (!clsText) throw fail({ zh: `费用明细 "${name}" 不在医保目录中：加一列 类别（甲类 / 乙类 / 自费）`, en: `line item "${name}" is not in the catalogue: add a class column (class A / class B / self-pay)` });
      await ensureCatalogue(w, name, classOf(clsText), col(row, '先行自付比例', 'class B self-pay'));
    }
    const price = col(row, '单价', '金额', 'price', 'amount');
    if (!price) throw fail({ zh: `费用明细 "${name}" 需要 单价`, en: `line item "${name}" needs a price` });
    out.push({ code: w.item(name).code, name, priceFen: parseYuan(price), count: Number(col(row, '数量', 'count') ?? '1') });
  }
  return out;
}

/** The claim reason of a visit the terminal refused and that was paid in cash instead. */
const REASON_OF_REFUSAL: Partial<Record<string, ClaimReason>> = {
  'employer-arrears': 'employer_arrears', 'card-blocked': 'card_replacement', 'cross-region-unfiled': 'cross_region_unfiled',
};

interface VisitOpts {
  kind?: VisitKind; withCard: boolean; cardOwner?: string; useOldCard?: boolean; reason?: ClaimReason; emergency?: boolean; certificate?: 'evoucher' | 'id-card';
  /** The card is tapped on the contactless reader (a third-generation card). */
  contactless?: boolean;
  /** The terminal's platform client, when not the institution's own (steps/his.ts cuts an answer through one). */
  platform?: PlatformClient;
}

/** The institution's reference terminal: its platform client (or `platform`), its e-voucher component, its PSAM, the scenario's time of day. */
async function terminalAt(w: MedWorld, inst: InstitutionCtx, platform?: PlatformClient): Promise<Terminal> {
  return new Terminal({ platform: platform ?? await w.platformFor(inst), institution: inst, evoucher: w.shared.evoucherFor(inst), psam: terminalPsam(w), clockTime: w.clockTime });
}

/** The e-voucher held up (a step before) is shown at this institution's counter now: its component's next scan reads it. */
async function showEvoucherAt(w: MedWorld, inst: InstitutionCtx): Promise<void> {
  if (!w.shownEvoucher) return;
  await w.control('ec-show', { psn_no: w.person(w.shownEvoucher).psnNo, fixmedins_code: inst.code });
  w.shownEvoucher = undefined;
}

/** A visit through the reference terminal; a settlement goes into the institution's own record (w.his). */
export async function visit(w: MedWorld, personName: string, instName: string, items: LineItem[], o: VisitOpts): Promise<VisitOutcome> {
  const p = w.people.get(personName);
  const inst = w.institution(instName);
  const terminal = await terminalAt(w, inst, o.platform);
  const req: VisitRequest = { kind: o.kind ?? (inst.kind === 'pharmacy' ? 'pharmacy' : 'outpatient'), date: w.today, items, emergency: o.emergency };
  let slot: CardSlot | undefined;
  if (o.certificate === 'evoucher') {
    const earlier = w.scannedEvoucher;
    if (earlier && earlier.person === personName && earlier.institution === instName) {
      req.certificate = { type: 'evoucher', scanned: earlier.data };
      w.scannedEvoucher = undefined;
    } else {
      await showEvoucherAt(w, inst);
      req.certificate = { type: 'evoucher' };
    }
  } else if (o.certificate === 'id-card') {
    req.certificate = { type: 'id-card', idNumber: w.person(personName).certno };
  } else if (o.withCard) {
    const owner = w.person(o.cardOwner ?? personName);
    const profile = o.useOldCard ? owner.oldProfiles[owner.oldProfiles.length - 1] : owner.profile;
    if (!profile) {
      throw fail(o.useOldCard
        ? { zh: `"${owner.name}" 没有旧卡可出示：先要有 "${owner.name}" 挂失了社保卡`, en: `"${owner.name}" has no old card to present: "${owner.name}" reports the card lost comes first` }
        : holdsNoCard(owner.name));
    }
    slot = await insertCard(w, profile, { interface: o.contactless ? 'contactless' : 'contact' });
    slot.clearTrace();
    w.psam.channel?.clearTrace();
    const presenter = p ?? { name: personName, certno: undefined };
    req.card = { channel: slot.channel, pin: (p ?? owner).typedPin ?? profile.pin.value, presented: { idNumber: presenter.certno, name: presenter.name } };
  } else {
    req.cashReason = o.reason;
    req.idNumber = p?.certno;
  }
  const outcome = await terminal.visit(req);
  w.latest.visit = outcome;
  w.latest.visitor = personName;
  w.latest.refusal = outcome.refusal;
  if (outcome.settlement && outcome.person) {
    w.his.settlements.push({ institution: inst.code, insutype: outcome.person.insutype, clrType: req.kind === 'inpatient' ? '21' : '11', region: outcome.person.region, settlement: outcome.settlement, reversed: false });
  }
  if (outcome.vendorLine) w.latest.vendorLine = outcome.vendorLine;
  if (slot) await w.attach(formatTrace(slot.trace()), { mediaType: 'text/plain', fileName: '读卡报文 APDU trace.txt' });
  const psamTrace = w.psam.channel?.trace() ?? [];
  if (psamTrace.length) await w.attach(formatTrace(psamTrace), { mediaType: 'text/plain', fileName: 'PSAM报文 PSAM trace.txt' });
  if (outcome.receipt.html) await w.attach(outcome.receipt.html, { mediaType: 'text/html', fileName: '结算单 receipt.html' });
  if (outcome.refusal) w.log(said({ zh: `终端拒绝：${refusalSaid(outcome.refusal).zh}`, en: `the terminal refused: ${refusalSaid(outcome.refusal).en}` }));
  if (outcome.cashAdvance && p) {
    const reason = o.reason ?? REASON_OF_REFUSAL[outcome.refusal?.code ?? ''] ?? 'none';
    p.cashVisits.push({ request: req, institution: inst, reason, mdtrtId: outcome.mdtrtId, outcome });
  }
  return outcome;
}

// ------------------------------------------------------------------ When: visits

step('When', '{string} 持卡在 {string} 门诊就诊，费用 {money}', '{string} visits {string} as an outpatient with the card, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 门诊就诊，费用 120.00 元', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the card, costing CNY 120.00' } });

step('When', '{string} 以非接触方式持卡在 {string} 门诊就诊，费用 {money}', '{string} taps the card at {string} for an outpatient visit costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, contactless: true });
}, { example: { zh: '"张三" 以非接触方式持卡在 "市人民医院" 门诊就诊，费用 120.00 元', en: '"Zhang San" taps the card at "City People\'s Hospital" for an outpatient visit costing CNY 120.00' }, needs: 'card-swap' });

step('When', '{string} 持卡在 {string} 门诊就诊，费用明细：', '{string} visits {string} as an outpatient with the card, with these items:', async function (name: string, inst: string, table: DataTable) {
  await visit(this, name, inst, await itemsFromTable(this, table), { withCard: true });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 门诊就诊，费用明细：', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the card, with these items:' }, table: '| 名称 | 类别 | 单价 | 数量 |  (name, class, price, count)' });

step('When', '{string} 持卡在 {string} 住院，费用 {money}', '{string} is admitted to {string} with the card, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, kind: 'inpatient' });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 住院，费用 8000.00 元', en: '"Zhang San" is admitted to "City People\'s Hospital" with the card, costing CNY 8000.00' } });

step('When', '{string} 持卡在 {string} 购药，费用 {money}', '{string} buys drugs at {string} with the card for {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, kind: 'pharmacy' });
}, { example: { zh: '"张三" 持卡在 "和平大药房" 购药，费用 36.50 元', en: '"Zhang San" buys drugs at "Heping Pharmacy" with the card for CNY 36.50' } });

step('When', '{string} 凭医保电子凭证在 {string} 门诊就诊，费用 {money}', '{string} visits {string} as an outpatient with the medical insurance e-voucher, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: false, certificate: 'evoucher' });
}, { example: { zh: '"张三" 凭医保电子凭证在 "市人民医院" 门诊就诊，费用 600.00 元', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the medical insurance e-voucher, costing CNY 600.00' } });

step('When', '{string} 凭身份证在 {string} 门诊就诊，费用 {money}', '{string} visits {string} as an outpatient with the ID card, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: false, certificate: 'id-card' });
}, { example: { zh: '"李四" 凭身份证在 "市人民医院" 门诊就诊，费用 1000.00 元', en: '"Li Si" visits "City People\'s Hospital" as an outpatient with the ID card, costing CNY 1000.00' } });

step('When', '{string} 持旧卡在 {string} 门诊就诊，费用 {money}', '{string} presents the old card at {string} for an outpatient visit costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, useOldCard: true });
}, { example: { zh: '"陈七" 持旧卡在 "市人民医院" 门诊就诊，费用 120.00 元', en: '"Chen Qi" presents the old card at "City People\'s Hospital" for an outpatient visit costing CNY 120.00' } });

step('When', '{string} 持 {string} 的社保卡在 {string} 门诊就诊，费用 {money}', '{string} presents {string}\'s card at {string} for an outpatient visit costing {money}', async function (presenter: string, owner: string, inst: string, fen: number) {
  await visit(this, presenter, inst, oneItem(this, fen), { withCard: true, cardOwner: owner });
}, { example: { zh: '"李四" 持 "张三" 的社保卡在 "市人民医院" 门诊就诊，费用 120.00 元', en: '"Li Si" presents "Zhang San"\'s card at "City People\'s Hospital" for an outpatient visit costing CNY 120.00' } });

const CASH_REASONS: Record<(typeof CASH_REASON_WORDS)[number], { reason: ClaimReason; kind?: VisitKind; emergency?: boolean }> = {
  急诊没带卡: { reason: 'emergency', emergency: true }, 'an emergency without the card': { reason: 'emergency', emergency: true },
  计划生育手术: { reason: 'family_planning', kind: 'family-planning' }, 'family-planning surgery': { reason: 'family_planning', kind: 'family-planning' },
  尚未发卡: { reason: 'no_card_issued' }, 'no card issued yet': { reason: 'no_card_issued' },
  补换卡期间: { reason: 'card_replacement' }, 'the card replacement period': { reason: 'card_replacement' },
  未出示社保卡: { reason: 'none' }, 'no card presented': { reason: 'none' },
};

step('When', '{string} 因{cashreason}在 {string} 现金支付 {money}', '{string} pays {money} in cash at {string} because of {cashreason}', async function (name: string, a: unknown, b: unknown, c: unknown) {
  // zh: (name, reason, inst, money); en: (name, money, inst, reason)
  const [reason, inst, fen] = typeof a === 'number' ? [c as string, b as string, a] : [a as string, b as string, c as number];
  const r = CASH_REASONS[reason as (typeof CASH_REASON_WORDS)[number]];
  await visit(this, name, inst, oneItem(this, fen), { withCard: false, reason: r.reason, kind: r.kind, emergency: r.emergency });
}, { example: { zh: '"张三" 因急诊没带卡在 "市人民医院" 现金支付 120.00 元', en: '"Zhang San" pays CNY 120.00 in cash at "City People\'s Hospital" because of an emergency without the card' } });

step('When', '撤销 {string} 的上一笔结算', '{string}\'s last settlement is reversed', async function (_name: string) {
  const o = this.need('visit');
  if (!o.settlement) throw fail({ zh: '上一次就诊没有可撤销的结算', en: 'the last visit has no settlement to reverse' });
  const inst = [...this.institutions.values()].find((i) => i.name === o.receipt.institution)!;
  const terminal = await terminalAt(this, inst);
  const out = await terminal.reverse(o.settlement, this.today);
  const recorded = this.his.settlements.find((r) => r.settlement.setlId === o.settlement!.setlId);
  if (recorded) recorded.reversed = true;
  await this.attach(JSON.stringify(out, null, 2), { mediaType: 'application/json', fileName: '撤销结果 reversal.json' });
}, { example: { zh: '撤销 "张三" 的上一笔结算', en: '"Zhang San"\'s last settlement is reversed' } });

step('When', '{string} 在 {string} 要求从个人账户提取现金 {money}', '{string} asks {string} to pay {money} out of the account in cash', async function (name: string, inst: string, _fen: number) {
  this.person(name);
  const terminal = await terminalAt(this, this.institution(inst));
  try {
    terminal.refuseCashWithdrawal();
  } catch (err) {
    if (!(err instanceof TerminalRefusal)) throw err;
    this.latest.refusal = err;
    this.log(said(refusalSaid(err)));
  }
}, { example: { zh: '"张三" 在 "和平大药房" 要求从个人账户提取现金 200.00 元', en: '"Zhang San" asks "Heping Pharmacy" to pay CNY 200.00 out of the account in cash' } });

step('When', '{string} 在 {string} 的终端上查询余额', '{string} checks the balance on the terminal at {string}', async function (name: string, inst: string) {
  const p = this.person(name);
  if (!p.profile) throw fail(holdsNoCard(name));
  const slot = await insertCard(this, p.profile);
  slot.clearTrace();
  const terminal = await terminalAt(this, this.institution(inst));
  const { person, card } = await terminal.queryBalance({ channel: slot.channel }, this.today);
  this.latest.vendorLine = terminal.vendorLine(card);
  this.latest.balance = { psn_no: person.psnNo, balc: fmtFen(person.balanceFen ?? 0) };
  await this.attach(formatTrace(slot.trace()), { mediaType: 'text/plain', fileName: '读卡报文 APDU trace.txt' });
}, { example: { zh: '"张三" 在 "市人民医院" 的终端上查询余额', en: '"Zhang San" checks the balance on the terminal at "City People\'s Hospital"' } });

// ------------------------------------------------------------------ the e-voucher at the counter, time passing

step('Given', '{string} 出示医保电子凭证', '{string} shows the medical insurance e-voucher', async function (name: string) {
  this.person(name);
  this.shownEvoucher = name;
}, { example: { zh: '"张三" 出示医保电子凭证', en: '"Zhang San" shows the medical insurance e-voucher' } });

step('Given', '{string} 的收费终端扫描医保电子凭证', 'the terminal at {string} scans the medical insurance e-voucher', async function (instName: string) {
  const inst = this.institution(instName);
  const shown = this.shownEvoucher;
  if (!shown) throw fail({ zh: '没有人出示医保电子凭证：先要有 "张三" 出示医保电子凭证 这样的步骤', en: 'nobody shows an e-voucher: a step like "Zhang San" shows the medical insurance e-voucher comes first' });
  await showEvoucherAt(this, inst);
  const data = await (await terminalAt(this, inst)).scanEvoucher();
  this.scannedEvoucher = { person: shown, institution: instName, data };
  this.log(said({ zh: `已扫码：ecToken ${data.ecToken}，有效期至 ${data.expires}`, en: `scanned: ecToken ${data.ecToken}, valid until ${data.expires}` }));
}, { example: { zh: '"市人民医院" 的收费终端扫描医保电子凭证', en: 'the terminal at "City People\'s Hospital" scans the medical insurance e-voucher' } });

step('Given', '过了 {int} 分钟', '{int} minutes pass', async function (minutes: number) {
  const [h, m, s] = this.clockTime.split(':').map(Number);
  const total = h * 60 + m + minutes;
  if (minutes < 0 || total >= 24 * 60) throw fail({ zh: `${this.clockTime} 之后 ${minutes} 分钟已不在同一天：场景的时间只能在 ${this.today} 之内`, en: `${minutes} minutes after ${this.clockTime} is not on the same day: a scenario's time of day stays within ${this.today}` });
  this.clockTime = `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}, { example: { zh: '过了 31 分钟', en: '31 minutes pass' } });
