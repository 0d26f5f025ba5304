// The step vocabulary: every step ONCE, with its zh-CN and English phrasing side by side,
// so the two languages cannot drift. steps/index.ts registers both phrasings with cucumber;
// `medcard steps` prints this table. Steps check results only through the platform API
// (the engine client) and the card, never engine internals (architecture.md).
import type { DataTable } from '@cucumber/cucumber';
import { fmtFen, parseYuan, type BalanceOutput, type ClaimInput, type ClaimReason, type FeeLine, type Receipt } from '../platform';
import type { CardProfile, EmulatedCard } from '../emulator';
import { formatTrace, type CardSlot } from '../rigs';
import { refusalByText, REFUSALS, Terminal, TerminalRefusal, type LineItem, type Settlement, type VisitKind, type VisitOutcome, type VisitRequest } from '../terminal';
import { MED_TYPE_OF_VISIT } from '../spec';
import { cardNumber, cardSn, catalogueCode, employerNo, idNumber, institutionCode, psnNo } from './ids';
import type { MedWorld, PersonCtx, InstitutionCtx } from './world';
import { CASH_REASON_WORDS, INSUTYPES, REGIONS } from './parameters';
import { cardFixture, personFixture, personFixtureOrFail, type WorldPerson } from './fixtures';

type Fn = (this: MedWorld, ...args: any[]) => Promise<void>;
export interface StepSpec {
  kind: 'Given' | 'When' | 'Then';
  zh: string;
  en: string;
  /** Examples for `medcard steps`; derived from the expression when absent. */
  example?: { zh: string; en: string };
  /** The step takes a data table (shown in `medcard steps`). */
  table?: string;
  /** A rig capability the step needs; scenarios using it must carry the matching @needs-… tag. */
  needs?: 'card-state';
  fn: Fn;
}

export const VOCABULARY: StepSpec[] = [];
function step(kind: StepSpec['kind'], zh: string, en: string, fn: Fn, extra: Partial<StepSpec> = {}) {
  VOCABULARY.push({ kind, zh, en, fn, ...extra });
}

// ------------------------------------------------------------------ helpers

/** One column of a table, by any of its names (zh or en). */
function col(row: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) if (row[n] !== undefined && row[n] !== '') return row[n];
  return undefined;
}

const CLASS_WORDS: Record<string, 'A' | 'B' | 'self'> = { 甲类: 'A', 甲: 'A', A: 'A', 'class A': 'A', 乙类: 'B', 乙: 'B', B: 'B', 'class B': 'B', 自费: 'self', self: 'self', 'self-pay': 'self', 目录外: 'self' };

function classOf(text: string): 'A' | 'B' | 'self' {
  const c = CLASS_WORDS[text.trim()];
  if (!c) throw new Error(`unknown catalogue class "${text}": write 甲类, 乙类 or 自费 (class A, class B, self-pay)`);
  return c;
}

/** A catalogue item of this scenario, by name, with a fresh code. */
async function ensureCatalogue(w: MedWorld, name: string, cls: 'A' | 'B' | 'self', selfpay?: string): Promise<string> {
  const code = catalogueCode();
  await w.agency('9104', { med_list_codg: code, name, cls, ...(selfpay ? { selfpay_prop: selfpay } : {}) });
  w.catalogue.set(name, { code, cls });
  return code;
}

async function createPerson(w: MedWorld, name: string, region: string, insutype: '310' | '390', birthDate = '1980-06-15', insuredSince = '2015-01-01', sex: '1' | '2' = '1'): Promise<PersonCtx> {
  const p: PersonCtx = { name, psnNo: psnNo(region), certno: idNumber(region, birthDate), region, insutype, birthDate, sex, oldProfiles: [], cashVisits: [] };
  if (insutype === '310') {
    p.empNo = employerNo(region);
    await w.agency('9102', { emp_no: p.empNo, emp_name: `${name}的单位`, insuplc_admdvs: region });
  }
  await w.agency('9101', { psn_no: p.psnNo, psn_name: name, certno: p.certno, gend: p.sex, brdy: birthDate, insutype, insuplc_admdvs: region, psn_insu_stas: '1', psn_insu_date: insuredSince, emp_no: p.empNo ?? null });
  w.people.set(name, p);
  return p;
}

/** A person of fixtures/world/people.yaml, with fresh numbers (steps/fixtures.ts). */
async function createPersonFromFixture(w: MedWorld, name: string, f: WorldPerson): Promise<PersonCtx> {
  if (f.insutype !== '310' && f.insutype !== '390') throw new Error(`fixture person ${f.psn_name}: insutype ${f.insutype} is not 310 or 390`);
  const p = await createPerson(w, name, f.insuplc_admdvs, f.insutype, f.brdy, f.psn_insu_date, f.gend === '2' ? '2' : '1');
  if (f.contribution_base) p.base = parseYuan(f.contribution_base);
  if (f.opening_balance && parseYuan(f.opening_balance) > 0) await w.agency('9109', { psn_no: p.psnNo, amount: fmtFen(parseYuan(f.opening_balance)), bucket: 'carried' });
  return p;
}

/** A card made from a profile of fixtures/cards/: its dates, PIN, PIN state, activation and loss; fresh numbers. */
async function issueFixtureCard(w: MedWorld, name: string, ref: string): Promise<void> {
  const src = cardFixture(ref);
  let p = w.people.get(name);
  if (!p) {
    // The holder, by the card's ID number, from the world fixtures; else from the card itself.
    const f = personFixture(src.holder.idNumber);
    p = f ? await createPersonFromFixture(w, name, f) : await createPerson(w, name, src.card.region, '310', src.holder.birthDate, undefined, src.holder.sex);
  }
  const profile: CardProfile = {
    ...src, id: `${src.id}@${p.psnNo}`,
    holder: { ...src.holder, name: p.name, idNumber: p.certno, birthDate: p.birthDate, sex: p.sex },
    card: { ...src.card, number: cardNumber(), identificationCode: cardSn(p.region), region: p.region },
  };
  await registerCard(w, p, profile);
}

/**
 * Institutions are created once per worker and engine, by everything that defines them:
 * no step changes an institution, and scenarios check people's money, never an
 * institution's, so sharing one saves a call per scenario (bench/suite.ts) and hides nothing.
 */
const institutionsMade = new WeakMap<object, Map<string, Promise<string>>>();
async function addInstitution(w: MedWorld, name: string, region: string, kind: InstitutionCtx['kind'], designated: boolean, level: 1 | 2 | 3 = 2): Promise<void> {
  const key = JSON.stringify([name, region, kind, designated, level]);
  let mine = institutionsMade.get(w.client);
  if (!mine) institutionsMade.set(w.client, (mine = new Map()));
  let made = mine.get(key);
  if (!made) {
    const code = institutionCode(kind, region);
    made = w.agency('9103', { fixmedins_code: code, fixmedins_name: name, admvs: region, hosp_lv: level, fixmedins_type: kind, designated }).then(() => code);
    const m = mine;
    made.catch(() => m.delete(key));
    mine.set(key, made);
  }
  w.institutions.set(name, { code: await made, name, region, kind, designated, level });
}

/** The person's employer (employee insurance only). */
function employer(w: MedWorld, name: string): string {
  const p = w.person(name);
  if (!p.empNo) throw new Error(`"${name}" has no employer (resident insurance)`);
  return p.empNo;
}

// ------------------------------------------------------------------ Given: the clock and the world

step('Given', '今天是 {date}', 'today is {date}', async function (date: string) {
  this.today = date;
});

step('Given', '参保人 {string} 在{region}参加{insutype}', '{string} is insured in {region} under {insutype}', async function (name: string, region: string, insutype: '310' | '390') {
  await createPerson(this, name, region, insutype);
}, { example: { zh: '参保人 "张三" 在重庆参加职工医保', en: '"Zhang San" is insured in Chongqing under employee insurance' } });

step('Given', '参保人 {string} 出生于 {date}，在{region}参加{insutype}', '{string}, born on {date}, is insured in {region} under {insutype}', async function (name: string, birth: string, region: string, insutype: '310' | '390') {
  await createPerson(this, name, region, insutype, birth);
});

step('Given', '参保人 {string} 自 {date} 起在{region}参加{insutype}', '{string} is insured in {region} under {insutype} since {date}', async function (name: string, a: string, b: string, c: string) {
  // zh: (name, date, region, insutype); en: (name, region, insutype, date)
  const [date, region, insutype] = /^\d{4}-/.test(a) ? [a, b, c] : [c, a, b];
  await createPerson(this, name, region, insutype as '310' | '390', undefined, date);
});

step('Given', '参保人如下：', 'these insured people:', async function (table: DataTable) {
  for (const row of table.hashes()) {
    const name = col(row, '姓名', 'name');
    if (!name) throw new Error('the people table needs a 姓名 / name column');
    const regionText = col(row, '参保地', '地区', 'region') ?? '500000';
    const region = REGIONS[regionText] ?? regionText;
    const insText = col(row, '险种', 'insurance') ?? '职工医保';
    const insutype = INSUTYPES[insText] ?? (insText as '310' | '390');
    const p = await createPerson(this, name, region, insutype, col(row, '出生日期', 'born'), col(row, '参保日期', 'insured since'));
    const base = col(row, '缴费基数', 'contribution base');
    if (base) p.base = parseYuan(base);
    const card = col(row, '社保卡', 'card');
    if (card && !/^(无|否|no|none)$/i.test(card)) await issueCard(this, name);
  }
}, { table: '| 姓名 | 参保地 | 险种 | 出生日期 | 缴费基数 | 社保卡 |  (name, region, insurance, born, contribution base, card)' });

step('Given', '参保人 {string} 取自 {fixture}', '{string} is insured as in {fixture}', async function (name: string, ref: string) {
  await createPersonFromFixture(this, name, personFixtureOrFail(name, ref));
}, { example: { zh: '参保人 "王小明" 取自 fixtures/world/people.yaml', en: '"王小明" is insured as in fixtures/world/people.yaml' } });

step('Given', '参保人 {string} 持有卡 {fixture}', '{string} holds the card {fixture}', async function (name: string, ref: string) {
  await issueFixtureCard(this, name, ref);
}, { example: { zh: '参保人 "张三" 持有卡 fixtures/cards/zhang-san.yaml', en: '"Zhang San" holds the card zhang-san' } });

step('Given', '{string} 的缴费基数为 {money}', '{string} has a contribution base of {money}', async function (name: string, fen: number) {
  this.person(name).base = fen;
});

step('Given', '{string} 持有社保卡', '{string} holds a card', async function (name: string) {
  await issueCard(this, name);
});

step('Given', '{string} 持有社保卡，有效期至 {date}', '{string} holds a card valid until {date}', async function (name: string, expiry: string) {
  await issueCardValidUntil(this, name, expiry);
}, { needs: 'card-state' });

step('Given', '{string} 上年结转个人账户 {money}', '{string} carried {money} over from last year', async function (name: string, fen: number) {
  await this.agency('9109', { psn_no: this.person(name).psnNo, amount: fmtFen(fen), bucket: 'carried' });
});

step('Given', '{string} 的个人账户存入 {money}', '{string}\'s account is credited {money}', async function (name: string, fen: number) {
  await this.agency('9109', { psn_no: this.person(name).psnNo, amount: fmtFen(fen), bucket: 'current' });
});

step('Given', '定点医院 {string} 位于{region}', 'a designated hospital {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'hospital', true);
}, { example: { zh: '定点医院 "市人民医院" 位于重庆', en: 'a designated hospital "City People\'s Hospital" in Chongqing' } });

step('Given', '{int}级定点医院 {string} 位于{region}', 'a level {int} designated hospital {string} in {region}', async function (level: number, name: string, region: string) {
  if (![1, 2, 3].includes(level)) throw new Error(`hospital level must be 1, 2 or 3, not ${level}`);
  await addInstitution(this, name, region, 'hospital', true, level as 1 | 2 | 3);
});

step('Given', '定点药店 {string} 位于{region}', 'a designated pharmacy {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'pharmacy', true, 1);
});

step('Given', '非定点医院 {string} 位于{region}', 'a non-designated hospital {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'hospital', false);
});

step('Given', '医保目录如下：', 'the catalogue lists:', async function (table: DataTable) {
  for (const row of table.hashes()) {
    const name = col(row, '名称', 'name');
    const cls = col(row, '类别', 'class');
    if (!name || !cls) throw new Error('the catalogue table needs 名称 / name and 类别 / class columns');
    await ensureCatalogue(this, name, classOf(cls), col(row, '先行自付比例', 'class B self-pay'));
  }
}, { table: '| 名称 | 类别 | 先行自付比例 |  (name, class, class B self-pay)' });

step('Given', '{string} 的单位欠缴医保费', '{string}\'s employer is in arrears', async function (name: string) {
  await this.agency('9112', { emp_no: employer(this, name) });
});

step('When', '{string} 的单位补缴了欠费', '{string}\'s employer pays its arrears', async function (name: string) {
  await this.agency('9113', { emp_no: employer(this, name) });
});

step('Given', '{string} 已办理到{region}的异地就医备案', '{string} has filed for visits in {region}', async function (name: string, region: string) {
  await this.agency('9114', { psn_no: this.person(name).psnNo, mdtrtarea_admvs: region, begndate: `${this.today.slice(0, 4)}-01-01`, filing_type: 'move' });
});

step('When', '{string} 挂失了社保卡', '{string} reports the card lost', async function (name: string) {
  await reportCardLost(this, name);
});

step('When', '{string} 领取并启用了新社保卡', '{string} collects and activates a new card', async function (name: string) {
  await replaceLostCard(this, name);
});

const ATR = '3B08' + Buffer.from('MEDCARD1').toString('hex').toUpperCase();

function newProfile(p: PersonCtx, issueDate: string, expiryDate: string): CardProfile {
  return {
    id: `${p.name}-${p.psnNo}`,
    holder: { name: p.name, idNumber: p.certno, sex: p.sex, nation: '01', birthplace: p.region, birthDate: p.birthDate },
    card: {
      number: cardNumber(), identificationCode: cardSn(p.region), type: '01', specVersion: '3.00',
      issuerCode: `${p.region}D15600000000000000`.slice(0, 24), issueDate, expiryDate, region: p.region,
    },
    pin: { value: '246810', tries: 3, isInitial: false },
    atr: ATR, activated: true,
    auth: { algorithm: 'SM4', key: '0123456789ABCDEFFEDCBA9876543210' },
  };
}

function plusYears(date: string, years: number): string { return `${Number(date.slice(0, 4)) + years}${date.slice(4)}`; }

/** The agency issues this card to the person (and activates it, reports it lost, as the profile says); it becomes the card they hold. */
async function registerCard(w: MedWorld, p: PersonCtx, profile: CardProfile): Promise<void> {
  await w.agency('9105', { card_no: profile.card.number, card_sn: profile.card.identificationCode, psn_no: p.psnNo, issue_date: profile.card.issueDate, expiry_date: profile.card.expiryDate, admvs: p.region });
  if (profile.activated) await w.agency('9106', { card_no: profile.card.number });
  if (p.profile) p.oldProfiles.push(p.profile);
  p.profile = profile;
  if (profile.reportedLost) {
    await w.agency('9107', { card_no: profile.card.number, channel: 'counter' });
    p.oldProfiles.push(profile);
    p.profile = undefined;
  }
}

/** A new, activated card for the person: issued two years before today (or on issueDate), valid ten years (or until expiry). */
async function issueCard(w: MedWorld, name: string, issueDate?: string, expiry?: string): Promise<void> {
  const p = w.person(name);
  const issued = issueDate ?? `${Number(w.today.slice(0, 4)) - 2}-01-10`;
  await registerCard(w, p, newProfile(p, issued, expiry ?? plusYears(issued, 10)));
}

/** A card valid until `expiry`: issued ten years before it, or, when that is not before today, on 01-10 of last year. */
async function issueCardValidUntil(w: MedWorld, name: string, expiry: string): Promise<void> {
  const issued = plusYears(expiry, -10);
  await issueCard(w, name, issued < w.today ? issued : `${Number(w.today.slice(0, 4)) - 1}-01-10`, expiry);
}

async function reportCardLost(w: MedWorld, name: string): Promise<void> {
  const p = w.person(name);
  if (!p.profile) throw new Error(`"${name}" holds no card to report lost`);
  await w.agency('9107', { card_no: p.profile.card.number, channel: 'phone' });
  p.oldProfiles.push(p.profile);
  p.profile = undefined;
}

/** The new card for the last card the person lost: issued today, valid ten years, activated. */
async function replaceLostCard(w: MedWorld, name: string): Promise<void> {
  const p = w.person(name);
  const old = p.oldProfiles[p.oldProfiles.length - 1];
  if (!old) throw new Error(`"${name}" has no lost card to replace`);
  const profile = newProfile(p, w.today, plusYears(w.today, 10));
  await w.agency('9108', { old_card_no: old.card.number, card_no: profile.card.number, card_sn: profile.card.identificationCode, issue_date: w.today, expiry_date: profile.card.expiryDate });
  await w.agency('9106', { card_no: profile.card.number });
  p.profile = profile;
}

/** Puts the card into the rig's reader, unless it is there already. */
async function insertCard(w: MedWorld, profile: CardProfile): Promise<CardSlot> {
  if (w.inserted && w.inserted.cardNo === profile.card.number) return w.inserted.slot;
  const slot = await w.shared.rig.insertCard(profile);
  w.inserted = { owner: profile.holder.name, cardNo: profile.card.number, slot };
  return slot;
}

/** The person's card itself, in the reader, to change its state (a rig with card-state). */
async function liveCard(w: MedWorld, name: string): Promise<EmulatedCard> {
  const p = w.person(name);
  if (!p.profile) throw new Error(`"${name}" holds no card`);
  const slot = await insertCard(w, p.profile);
  if (!slot.card) throw new Error(`rig "${w.shared.rig.name}" cannot change card state: tag the scenario @needs-card-state so rigs without it skip it`);
  return slot.card;
}

// ------------------------------------------------------------------ Given: card state (needs a rig that controls the card)

step('Given', '{string} 的社保卡密码只剩 {int} 次重试机会', '{string}\'s card has {int} PIN tries left', async function (name: string, n: number) {
  (await liveCard(this, name)).setPinTriesLeft(n);
}, { needs: 'card-state' });

step('Given', '{string} 的社保卡密码已锁定', '{string}\'s card PIN is locked', async function (name: string) {
  (await liveCard(this, name)).lockPin();
}, { needs: 'card-state' });

step('Given', '{string} 的社保卡仍是初始密码', '{string}\'s card still has the issuing default PIN', async function (name: string) {
  const p = this.person(name);
  (await liveCard(this, name)).setPin('123456', true);
  p.profile!.pin = { ...p.profile!.pin, value: '123456', isInitial: true };
}, { needs: 'card-state' });

step('Given', '{string} 的社保卡尚未启用', '{string}\'s card is not activated', async function (name: string) {
  (await liveCard(this, name)).setActivated(false);
}, { needs: 'card-state' });

step('Given', '{string} 输入密码 {string}', '{string} types the PIN {string}', async function (name: string, pin: string) {
  this.person(name).typedPin = pin;
});

function oneItem(w: MedWorld, fen: number): LineItem[] {
  return [{ code: w.item('甲类').code, name: '诊疗费', priceFen: fen, count: 1 }];
}

async function itemsFromTable(w: MedWorld, table: DataTable): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for (const row of table.hashes()) {
    const name = col(row, '名称', '项目', 'name', 'item');
    if (!name) throw new Error('each line item needs a 名称 / name column');
    const clsText = col(row, '类别', 'class');
    if (!w.catalogue.has(name)) {
      if (!clsText) throw new Error(`line item "${name}" is not in the catalogue: add a 类别 / class column (甲类 / 乙类 / 自费)`);
      await ensureCatalogue(w, name, classOf(clsText), col(row, '先行自付比例', 'class B self-pay'));
    }
    const price = col(row, '单价', '金额', 'price', 'amount');
    if (!price) throw new Error(`line item "${name}" needs a 单价 / price`);
    out.push({ code: w.item(name).code, name, priceFen: parseYuan(price), count: Number(col(row, '数量', 'count') ?? '1') });
  }
  return out;
}

/** The claim reason of a visit the terminal refused and that was paid in cash instead. */
const REASON_OF_REFUSAL: Partial<Record<string, ClaimReason>> = {
  'employer-arrears': 'employer_arrears', 'card-blocked': 'card_replacement', 'cross-region-unfiled': 'cross_region_unfiled',
};

interface VisitOpts { kind?: VisitKind; withCard: boolean; cardOwner?: string; useOldCard?: boolean; reason?: ClaimReason; emergency?: boolean }

async function visit(w: MedWorld, personName: string, instName: string, items: LineItem[], o: VisitOpts): Promise<VisitOutcome> {
  const p = w.people.get(personName);
  const inst = w.institution(instName);
  const terminal = new Terminal({ platform: w.client, institution: inst });
  const req: VisitRequest = { kind: o.kind ?? (inst.kind === 'pharmacy' ? 'pharmacy' : 'outpatient'), date: w.today, items, emergency: o.emergency };
  let slot: CardSlot | undefined;
  if (o.withCard) {
    const owner = w.person(o.cardOwner ?? personName);
    const profile = o.useOldCard ? owner.oldProfiles[owner.oldProfiles.length - 1] : owner.profile;
    if (!profile) throw new Error(`"${owner.name}" has no ${o.useOldCard ? 'old ' : ''}card to present: issue one with "${owner.name}" 持有社保卡 / "${owner.name}" holds a card`);
    slot = await insertCard(w, profile);
    slot.clearTrace();
    const presenter = p ?? { name: personName, certno: undefined };
    req.card = { channel: slot.channel, pin: (p ?? owner).typedPin ?? profile.pin.value, presented: { idNumber: presenter.certno, name: presenter.name } };
  } else {
    req.cashReason = o.reason;
  }
  const outcome = await terminal.visit(req);
  w.latest.visit = outcome;
  w.latest.refusal = outcome.refusal;
  if (outcome.vendorLine) w.latest.vendorLine = outcome.vendorLine;
  if (slot) await w.attach(formatTrace(slot.trace()), { mediaType: 'text/plain', fileName: '读卡报文 APDU trace.txt' });
  if (outcome.receipt.html) await w.attach(outcome.receipt.html, { mediaType: 'text/html', fileName: '结算单 receipt.html' });
  if (outcome.refusal) w.log(`终端拒绝 / refused: ${outcome.refusal.message}`);
  if (outcome.cashAdvance && p) {
    const reason = o.reason ?? REASON_OF_REFUSAL[outcome.refusal?.code ?? ''] ?? 'none';
    p.cashVisits.push({ request: req, institution: inst, reason, outcome });
  }
  return outcome;
}

// ------------------------------------------------------------------ When: visits

step('When', '{string} 持卡在 {string} 门诊就诊，费用 {money}', '{string} visits {string} as an outpatient with the card, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 门诊就诊，费用 120.00 元', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the card, costing CNY 120.00' } });

step('When', '{string} 持卡在 {string} 门诊就诊，费用明细：', '{string} visits {string} as an outpatient with the card, with these items:', async function (name: string, inst: string, table: DataTable) {
  await visit(this, name, inst, await itemsFromTable(this, table), { withCard: true });
}, { table: '| 名称 | 类别 | 单价 | 数量 |  (name, class, price, count)' });

step('When', '{string} 持卡在 {string} 住院，费用 {money}', '{string} is admitted to {string} with the card, costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, kind: 'inpatient' });
});

step('When', '{string} 持卡在 {string} 购药，费用 {money}', '{string} buys drugs at {string} with the card for {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, kind: 'pharmacy' });
});

step('When', '{string} 持旧卡在 {string} 门诊就诊，费用 {money}', '{string} presents the old card at {string} for an outpatient visit costing {money}', async function (name: string, inst: string, fen: number) {
  await visit(this, name, inst, oneItem(this, fen), { withCard: true, useOldCard: true });
});

step('When', '{string} 持 {string} 的社保卡在 {string} 门诊就诊，费用 {money}', '{string} presents {string}\'s card at {string} for an outpatient visit costing {money}', async function (presenter: string, owner: string, inst: string, fen: number) {
  await visit(this, presenter, inst, oneItem(this, fen), { withCard: true, cardOwner: owner });
});

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
  if (!o.settlement) throw new Error('the last visit has no settlement to reverse');
  const inst = [...this.institutions.values()].find((i) => i.name === o.receipt.institution)!;
  const terminal = new Terminal({ platform: this.client, institution: inst });
  const out = await terminal.reverse(o.settlement, this.today);
  await this.attach(JSON.stringify(out, null, 2), { mediaType: 'application/json', fileName: '撤销结果 reversal.json' });
});

step('When', '{string} 在 {string} 要求从个人账户提取现金 {money}', '{string} asks {string} to pay {money} out of the account in cash', async function (name: string, inst: string, _fen: number) {
  this.person(name);
  const terminal = new Terminal({ platform: this.client, institution: this.institution(inst) });
  try {
    terminal.refuseCashWithdrawal();
  } catch (err) {
    if (!(err instanceof TerminalRefusal)) throw err;
    this.latest.refusal = err;
    this.log(err.message);
  }
});

step('When', '{string} 在 {string} 的终端上查询余额', '{string} checks the balance on the terminal at {string}', async function (name: string, inst: string) {
  const p = this.person(name);
  if (!p.profile) throw new Error(`"${name}" holds no card`);
  const slot = await insertCard(this, p.profile);
  slot.clearTrace();
  const terminal = new Terminal({ platform: this.client, institution: this.institution(inst) });
  const { person, card } = await terminal.queryBalance({ channel: slot.channel }, this.today);
  this.latest.vendorLine = terminal.vendorLine(card);
  this.latest.balance = { psn_no: person.psnNo, balc: fmtFen(person.balanceFen ?? 0) };
  await this.attach(formatTrace(slot.trace()), { mediaType: 'text/plain', fileName: '读卡报文 APDU trace.txt' });
});

function feeLines(items: LineItem[], date: string): FeeLine[] {
  return items.map((it, n) => ({ feedetl_sn: String(n + 1), med_list_codg: it.code, det_item_fee_sumamt: fmtFen(it.priceFen * it.count), cnt: it.count, pric: fmtFen(it.priceFen), fee_ocur_time: `${date} 09:00:00` }));
}

async function claim(w: MedWorld, name: string, evidence: { surgery?: boolean; noReferral?: boolean }): Promise<void> {
  const p = w.person(name);
  const v = p.cashVisits[p.cashVisits.length - 1];
  if (!v) throw new Error(`"${name}" has no cash visit to claim: a claim follows a visit paid in full in cash`);
  const invono = `INV${p.psnNo.slice(-10)}${p.cashVisits.length}`;
  const input: ClaimInput = {
    psn_no: p.psnNo, reason: v.reason, fixmedins_code: v.institution.code, med_type: MED_TYPE_OF_VISIT[v.request.kind],
    begntime: `${v.request.date} 09:00:00`, emergency_flag: v.request.emergency ? '1' : '0',
    feedetail: feeLines(v.request.items, v.request.date), invono, invoice_nos: [invono],
  };
  if (evidence.surgery) input.surgery_cert_no = `JS${p.psnNo.slice(-10)}`;
  // domain.md §6: a claim for an unfiled cross-region visit carries the referral with the invoices.
  if (v.reason === 'cross_region_unfiled' && !evidence.noReferral) input.referral_no = `ZZ${p.psnNo.slice(-10)}`;
  const out = await w.agency('9115', input);
  w.latest.claim = out;
  await w.attach(JSON.stringify(out, null, 2), { mediaType: 'application/json', fileName: '报销结果 claim.json' });
}

// ------------------------------------------------------------------ When: claims

step('When', '{string} 向医保经办机构申请报销', '{string} claims reimbursement at the agency', async function (name: string) {
  await claim(this, name, {});
});

step('When', '{string} 向医保经办机构申请报销，但没有转诊证明', '{string} claims reimbursement without the referral', async function (name: string) {
  await claim(this, name, { noReferral: true });
});

step('When', '{string} 凭计划生育手术证明申请报销', '{string} claims reimbursement with the surgery certificate', async function (name: string) {
  await claim(this, name, { surgery: true });
});

step('When', '{string} 的个人账户按月划入 {int} 个月', '{string}\'s account receives {int} monthly credits', async function (name: string, months: number) {
  const p = this.person(name);
  const base = p.base;
  this.latest.credit = await this.agency('9110', { psn_no: p.psnNo, months, ...(base !== undefined ? { contribution_base: fmtFen(base) } : {}) });
});

step('When', '{string} 的个人账户在 {int} 年末结息', '{string}\'s account is closed for the year {int} with interest', async function (name: string, year: number) {
  this.latest.rollover = await this.agency('9111', { year, psn_no: this.person(name).psnNo });
});

/** Money to the fen; the failure says both figures in yuan (cli/run.ts's Allure category matches it). */
function eq(what: string, actual: number, expected: number, o?: VisitOutcome): void {
  if (actual === expected) return;
  const why = o?.refusal ? ` — the card did not settle: ${o.refusal.message}` : '';
  throw new Error(`${what}: expected ${fmtFen(expected)} 元, got ${fmtFen(actual)} 元${why}`);
}

/** The person's balance at the agency now (9120); the terminal-balance step reads it too. */
async function balance(w: MedWorld, name: string): Promise<BalanceOutput> {
  const b = await w.agency('9120', { psn_no: w.person(name).psnNo });
  w.latest.balance = b;
  return b;
}

function settlement(w: MedWorld): Settlement {
  const o = w.need('visit');
  if (!o.settlement) throw new Error(`the last visit did not settle with the card${o.refusal ? `: ${o.refusal.message}` : ' (no card presented)'}`);
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
  const o = this.need('visit');
  eq('个人账户支付 / account paid', o.settlement?.account ?? 0, fen, o);
});

step('Then', '统筹基金支付 {money}', 'the pooled fund pays {money}', async function (fen: number) {
  const o = this.need('visit');
  eq('统筹基金支付 / fund paid', o.settlement?.fund ?? 0, fen, o);
});

step('Then', '现金支付 {money}', 'the cash paid is {money}', async function (fen: number) {
  const o = this.need('visit');
  eq('现金支付 / cash paid', o.cashPaidFen, fen, o);
});

step('Then', '结算后账户余额为 {money}', 'the account balance after settlement is {money}', async function (fen: number) {
  eq('结算后余额 / balance after', settlement(this).balance, fen);
});

step('Then', '{string} 的个人账户余额为 {money}', '{string}\'s account balance is {money}', async function (name: string, fen: number) {
  eq(`"${name}" 账户余额 / balance`, parseYuan((await balance(this, name)).balc), fen);
});

step('Then', '{string} 本年累计目录内费用为 {money}', '{string}\'s covered cost this year is {money}', async function (name: string, fen: number) {
  eq(`"${name}" 本年累计 / covered cost this year`, parseYuan((await balance(this, name)).cum_inscp), fen);
});

step('Then', '每月划入 {money}', 'each monthly credit is {money}', async function (fen: number) {
  eq('每月划入 / monthly credit', parseYuan(this.need('credit').credit_per_month), fen);
});

step('Then', '共划入 {money}', 'the credits total {money}', async function (fen: number) {
  eq('共划入 / credited', parseYuan(this.need('credit').credited), fen);
});

step('Then', '结息 {money}', 'the interest is {money}', async function (fen: number) {
  eq('结息 / interest', parseYuan(this.need('rollover').people[0]?.interest ?? '0'), fen);
});

step('Then', '结算单显示：', 'the receipt shows:', async function (table: DataTable) {
  const s = settlement(this);
  const { receipts } = await this.agency('9122', { setl_id: s.setlId });
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
}, { table: '| 统筹支付 | 712.50 |  (rows: 费用总额 total, 全自费 not covered, 乙类先行自付 class B self-pay, 目录内 covered, 统筹支付 fund, 个人账户 account, 现金 cash, 余额 balance)' });

// ------------------------------------------------------------------ Then: refusals and claims

step('Then', '终端拒绝，原因为 {string}', 'the terminal refuses because {string}', async function (reason: string) {
  const code = refusalByText(reason);
  if (!code) throw new Error(`unknown refusal "${reason}": use one of ${Object.values(REFUSALS).map((r) => r.zh).join('、')}`);
  const r = this.latest.refusal;
  if (!r) throw new Error(`expected the terminal to refuse (${REFUSALS[code].zh}), but it did not`);
  if (r.code !== code) throw new Error(`expected refusal "${REFUSALS[code].zh}" (${code}), got: ${r.message}`);
});

step('Then', '密码剩余 {int} 次', '{int} PIN tries are left', async function (n: number) {
  const r = this.latest.refusal;
  if (r?.triesLeft !== n) throw new Error(`expected the terminal to report ${n} tries left, got ${r ? r.message : 'no refusal'}`);
});

step('Then', '全额现金支付，医保不支付', 'everything is paid in cash and insurance pays nothing', async function () {
  const o = this.need('visit');
  if (!o.cashAdvance) throw new Error(`expected a full cash payment, but the card settled: fund ${fmtFen(o.settlement!.fund)}, account ${fmtFen(o.settlement!.account)}`);
});

step('Then', '报销被受理，退还 {money}', 'the claim is accepted and pays back {money}', async function (fen: number) {
  const c = this.need('claim');
  if (c.status !== 'accepted') throw new Error(`the claim was rejected: ${c.err_msg}`);
  eq('退还 / payout', parseYuan(c.payout), fen);
});

step('Then', '报销被拒绝，原因包含 {string}', 'the claim is rejected with a reason containing {string}', async function (text: string) {
  const c = this.need('claim');
  if (c.status !== 'rejected') throw new Error(`expected a rejection, but the claim was accepted with payout ${c.payout}`);
  if (!(c.err_msg ?? '').includes(text)) throw new Error(`the rejection says "${c.err_msg}", which does not contain "${text}"`);
});

// ------------------------------------------------------------------ Then: what the terminal showed, card traffic

step('Then', '终端显示余额 {money}', 'the terminal shows a balance of {money}', async function (fen: number) {
  eq('终端余额 / balance shown', parseYuan(this.need('balance').balc), fen);
});

step('Then', '终端读出 {string} 的卡号和社会保障号码', 'the terminal reads {string}\'s card number and social security number', async function (name: string) {
  const p = this.person(name);
  const line = this.need('vendorLine');
  const f = line.split('|');
  if (f.length !== 11) throw new Error(`the vendor line has ${f.length} fields, expected 11: ${line}`);
  if (f[1] !== p.certno || f[2] !== p.profile?.card.number) throw new Error(`vendor line ${line} does not carry ${p.certno} / ${p.profile?.card.number}`);
});

step('Then', '读卡报文中有 {string} 命令', 'the card traffic includes a {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (!t.some((e) => e.name === name)) throw new Error(`no ${name} in the card traffic: ${t.map((e) => e.name).join(', ') || '(none)'}`);
});

step('Then', '读卡报文中没有 {string} 命令', 'the card traffic has no {string} command', async function (name: string) {
  const t = this.inserted?.slot.trace() ?? [];
  if (t.some((e) => e.name === name)) throw new Error(`unexpected ${name} in the card traffic`);
});
