// Given: the clock and the world at the agency. People (by hand, by table, from
// fixtures/world), the cards they hold, lose and replace (card code: cards.ts), their
// accounts and contribution base, the institutions, the catalogue, employers' arrears and
// cross-region filings. Everything goes through the control API (engine/README.md), never the platform endpoint.
import type { DataTable } from '@cucumber/cucumber';
import { fmtFen, parseYuan } from '../platform';
import type { CardProfile } from '../emulator';
import { cardFixture, personFixture, personFixtureOrFail, type WorldPerson } from './fixtures';
import { cardNumber, cardSn, employerNo, idNumber, institutionCode, psnNo } from './ids';
import { INSUTYPES, REGIONS } from './parameters';
import { col, stepsOf } from './registry';
import { fail } from './said';
import { classOf, ensureCatalogue } from './catalogue';
import { issueCard, issueCardValidUntil, registerCard, reportCardLost, replaceLostCard } from './cards';
import type { MedWorld } from './world';
import type { InstitutionCtx, PersonCtx } from './types';

const step = stepsOf('people');

/** A person at the agency. On a rig whose own cards stand in, the person is a card's holder (its ID number and name); birth date, insurance and money stay the scenario's. */
export async function createPerson(w: MedWorld, name: string, region: string, insutype: '310' | '390', birthDate = '1980-06-15', insuredSince = '2015-01-01', sex: '1' | '2' = '1', retiree?: { pensionFen: number }): Promise<PersonCtx> {
  const holder = w.dealer?.holderForNewPerson();
  const p: PersonCtx = { name, psnNo: psnNo(region), certno: holder?.idNumber ?? idNumber(region, birthDate), region, insutype, birthDate, sex, oldProfiles: [], cashVisits: [] };
  if (insutype === '310') {
    p.empNo = employerNo(region);
    await w.control('employer', { emp_no: p.empNo, emp_name: `${name}的单位`, insuplc_admdvs: region });
  }
  await w.control('person', { psn_no: p.psnNo, psn_name: holder?.name ?? name, certno: p.certno, gend: p.sex, brdy: birthDate, insutype, insuplc_admdvs: region, psn_insu_stas: '1', psn_insu_date: insuredSince, emp_no: p.empNo ?? null,
    ...(retiree ? { retired: true, pension: fmtFen(retiree.pensionFen) } : {}) });
  w.people.set(name, p);
  return p;
}

/** A person of fixtures/world/people.yaml, with fresh numbers (steps/fixtures.ts). */
async function createPersonFromFixture(w: MedWorld, name: string, f: WorldPerson): Promise<PersonCtx> {
  if (f.insutype !== '310' && f.insutype !== '390') throw fail({ zh: `夹具中的人员 ${f.psn_name}：insutype ${f.insutype} 不是 310 或 390`, en: `fixture person ${f.psn_name}: insutype ${f.insutype} is not 310 or 390` });
  const p = await createPerson(w, name, f.insuplc_admdvs, f.insutype, f.brdy, f.psn_insu_date, f.gend === '2' ? '2' : '1');
  if (f.contribution_base) p.base = parseYuan(f.contribution_base);
  if (f.opening_balance && parseYuan(f.opening_balance) > 0) await w.control('opening-balance', { psn_no: p.psnNo, amount: fmtFen(parseYuan(f.opening_balance)), bucket: 'carried' });
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
  if (w.dealer) {
    // The rig's own card stands in; the agency's side of the fixture (a card reported lost) still holds.
    await registerCard(w, p, { ...w.dealer.cardFor(p), reportedLost: src.reportedLost });
    return;
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
const institutionsMade = new WeakMap<object, Map<string, Promise<{ code: string; key: string }>>>();
async function addInstitution(w: MedWorld, name: string, region: string, kind: InstitutionCtx['kind'], designated: boolean, level: 1 | 2 | 3 = 2): Promise<void> {
  const key = JSON.stringify([name, region, kind, designated, level]);
  let mine = institutionsMade.get(w.shared.control);
  if (!mine) institutionsMade.set(w.shared.control, (mine = new Map()));
  let made = mine.get(key);
  if (!made) {
    const code = institutionCode(kind, region);
    made = w.control('institution', { fixmedins_code: code, fixmedins_name: name, admvs: region, hosp_lv: level, fixmedins_type: kind, designated }).then((out) => ({ code, key: out.key }));
    const m = mine;
    made.catch(() => m.delete(key));
    mine.set(key, made);
  }
  w.institutions.set(name, { ...(await made), name, region, kind, designated, level });
}

/** The person's employer (employee insurance only). */
function employer(w: MedWorld, name: string): string {
  const p = w.person(name);
  if (!p.empNo) throw fail({ zh: `"${name}" 没有参保单位（居民医保）`, en: `"${name}" has no employer (resident insurance)` });
  return p.empNo;
}

// ------------------------------------------------------------------ Given: the clock and the world

step('Given', '今天是 {date}', 'today is {date}', async function (date: string) {
  this.today = date;
}, { example: { zh: '今天是 2024-03-15', en: 'today is 2024-03-15' } });

step('Given', '参保人 {string} 在{region}参加{insutype}', '{string} is insured in {region} under {insutype}', async function (name: string, region: string, insutype: '310' | '390') {
  await createPerson(this, name, region, insutype);
}, { example: { zh: '参保人 "张三" 在重庆参加职工医保', en: '"Zhang San" is insured in Chongqing under employee insurance' } });

step('Given', '参保人 {string} 出生于 {date}，在{region}参加{insutype}', '{string}, born on {date}, is insured in {region} under {insutype}', async function (name: string, birth: string, region: string, insutype: '310' | '390') {
  await createPerson(this, name, region, insutype, birth);
}, { example: { zh: '参保人 "老周" 出生于 1958-05-20，在北京参加职工医保', en: '"Lao Zhou", born on 1958-05-20, is insured in Beijing under employee insurance' } });

step('Given', '参保人 {string} 自 {date} 起在{region}参加{insutype}', '{string} is insured in {region} under {insutype} since {date}', async function (name: string, a: string, b: string, c: string) {
  // zh: (name, date, region, insutype); en: (name, region, insutype, date)
  const [date, region, insutype] = /^\d{4}-/.test(a) ? [a, b, c] : [c, a, b];
  await createPerson(this, name, region, insutype as '310' | '390', undefined, date);
}, { example: { zh: '参保人 "小钱" 自 2024-02-01 起在重庆参加职工医保', en: '"Xiao Qian" is insured in Chongqing under employee insurance since 2024-02-01' } });

step('Given', '参保人 {string} 已退休，在{region}参加职工医保，基本养老金每月 {money}', '{string} is retired, insured in {region} under employee insurance, with a basic pension of {money} a month', async function (name: string, region: string, pensionFen: number) {
  // Only the person: how a retiree's account is credited (a share of the pension, domain.md §3)
  // is the region's policy, applied by the engine (engine/rules.ts monthlyCredit). Born 65
  // years before the scenario's day, so the person is of retirement age whatever the date.
  await createPerson(this, name, region, '310', `${Number(this.today.slice(0, 4)) - 65}-06-15`, undefined, '1', { pensionFen });
}, { example: { zh: '参保人 "老周" 已退休，在北京参加职工医保，基本养老金每月 4000.00 元', en: '"Lao Zhou" is retired, insured in Beijing under employee insurance, with a basic pension of CNY 4000.00 a month' } });

step('Given', '参保人如下：', 'these insured people:', async function (table: DataTable) {
  for (const row of table.hashes()) {
    const name = col(row, '姓名', 'name');
    if (!name) throw fail({ zh: '参保人表格需要 姓名 列', en: 'the people table needs a name column' });
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
}, { example: { zh: '参保人如下：', en: 'these insured people:' }, table: '| 姓名 | 参保地 | 险种 | 出生日期 | 缴费基数 | 社保卡 |  (name, region, insurance, born, contribution base, card)' });

step('Given', '参保人 {string} 取自 {fixture}', '{string} is insured as in {fixture}', async function (name: string, ref: string) {
  await createPersonFromFixture(this, name, personFixtureOrFail(name, ref));
}, { example: { zh: '参保人 "王小明" 取自 fixtures/world/people.yaml', en: '"王小明" is insured as in fixtures/world/people.yaml' } });

step('Given', '参保人 {string} 持有卡 {fixture}', '{string} holds the card {fixture}', async function (name: string, ref: string) {
  await issueFixtureCard(this, name, ref);
}, { example: { zh: '参保人 "张三" 持有卡 fixtures/cards/zhang-san.yaml', en: '"Zhang San" holds the card zhang-san' } });

step('Given', '{string} 的缴费基数为 {money}', '{string} has a contribution base of {money}', async function (name: string, fen: number) {
  this.person(name).base = fen;
}, { example: { zh: '"张三" 的缴费基数为 5000.00 元', en: '"Zhang San" has a contribution base of CNY 5000.00' } });

step('Given', '{string} 持有社保卡', '{string} holds a card', async function (name: string) {
  await issueCard(this, name);
}, { example: { zh: '"张三" 持有社保卡', en: '"Zhang San" holds a card' } });

step('Given', '{string} 持有第三代社保卡', '{string} holds a third-generation card', async function (name: string) {
  await issueCard(this, name, undefined, undefined, 3);
}, { example: { zh: '"张三" 持有第三代社保卡', en: '"Zhang San" holds a third-generation card' }, needs: 'card-swap' });

step('Given', '{string} 持有社保卡，有效期至 {date}', '{string} holds a card valid until {date}', async function (name: string, expiry: string) {
  await issueCardValidUntil(this, name, expiry);
}, { example: { zh: '"王五" 持有社保卡，有效期至 2023-05-20', en: '"Wang Wu" holds a card valid until 2023-05-20' }, needs: 'card-state' });

step('Given', '{string} 上年结转个人账户 {money}', '{string} carried {money} over from last year', async function (name: string, fen: number) {
  await this.control('opening-balance', { psn_no: this.person(name).psnNo, amount: fmtFen(fen), bucket: 'carried' });
}, { example: { zh: '"张三" 上年结转个人账户 800.00 元', en: '"Zhang San" carried CNY 800.00 over from last year' } });

step('Given', '{string} 的个人账户存入 {money}', '{string}\'s account is credited {money}', async function (name: string, fen: number) {
  await this.control('opening-balance', { psn_no: this.person(name).psnNo, amount: fmtFen(fen), bucket: 'current' });
}, { example: { zh: '"小赵" 的个人账户存入 100.00 元', en: '"Xiao Zhao"\'s account is credited CNY 100.00' } });

step('Given', '定点医院 {string} 位于{region}', 'a designated hospital {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'hospital', true);
}, { example: { zh: '定点医院 "市人民医院" 位于重庆', en: 'a designated hospital "City People\'s Hospital" in Chongqing' } });

step('Given', '{int}级定点医院 {string} 位于{region}', 'a level {int} designated hospital {string} in {region}', async function (level: number, name: string, region: string) {
  if (![1, 2, 3].includes(level)) throw fail({ zh: `医院级别只能是 1、2 或 3，而不是 ${level}`, en: `hospital level must be 1, 2 or 3, not ${level}` });
  await addInstitution(this, name, region, 'hospital', true, level as 1 | 2 | 3);
}, { example: { zh: '3级定点医院 "市第一人民医院" 位于北京', en: 'a level 3 designated hospital "First People\'s Hospital" in Beijing' } });

step('Given', '定点药店 {string} 位于{region}', 'a designated pharmacy {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'pharmacy', true, 1);
}, { example: { zh: '定点药店 "和平大药房" 位于重庆', en: 'a designated pharmacy "Heping Pharmacy" in Chongqing' } });

step('Given', '非定点医院 {string} 位于{region}', 'a non-designated hospital {string} in {region}', async function (name: string, region: string) {
  await addInstitution(this, name, region, 'hospital', false);
}, { example: { zh: '非定点医院 "康美诊所" 位于重庆', en: 'a non-designated hospital "Kangmei Clinic" in Chongqing' } });

step('Given', '医保目录如下：', 'the catalogue lists:', async function (table: DataTable) {
  for (const row of table.hashes()) {
    const name = col(row, '名称', 'name');
    const cls = col(row, '类别', 'class');
    if (!name || !cls) throw fail({ zh: '医保目录表格需要 名称 和 类别 两列', en: 'the catalogue table needs name and class columns' });
    await ensureCatalogue(this, name, classOf(cls), col(row, '先行自付比例', 'class B self-pay'));
  }
}, { example: { zh: '医保目录如下：', en: 'the catalogue lists:' }, table: '| 名称 | 类别 | 先行自付比例 |  (name, class, class B self-pay)' });

step('Given', '{string} 的单位欠缴医保费', '{string}\'s employer is in arrears', async function (name: string) {
  await this.control('employer-arrears', { emp_no: employer(this, name) });
}, { example: { zh: '"小赵" 的单位欠缴医保费', en: '"Xiao Zhao"\'s employer is in arrears' } });

step('When', '{string} 的单位补缴了欠费', '{string}\'s employer pays its arrears', async function (name: string) {
  await this.control('arrears-paid', { emp_no: employer(this, name) });
}, { example: { zh: '"小赵" 的单位补缴了欠费', en: '"Xiao Zhao"\'s employer pays its arrears' } });

step('Given', '{string} 已办理到{region}的异地就医备案', '{string} has filed for visits in {region}', async function (name: string, region: string) {
  await this.control('cross-region-filing', { psn_no: this.person(name).psnNo, mdtrtarea_admvs: region, begndate: `${this.today.slice(0, 4)}-01-01`, filing_type: 'move' });
}, { example: { zh: '"张三" 已办理到北京的异地就医备案', en: '"Zhang San" has filed for visits in Beijing' } });

step('When', '{string} 挂失了社保卡', '{string} reports the card lost', async function (name: string) {
  await reportCardLost(this, name);
}, { example: { zh: '"陈七" 挂失了社保卡', en: '"Chen Qi" reports the card lost' } });

step('When', '{string} 领取并启用了新社保卡', '{string} collects and activates a new card', async function (name: string) {
  await replaceLostCard(this, name);
}, { example: { zh: '"陈七" 领取并启用了新社保卡', en: '"Chen Qi" collects and activates a new card' } });
