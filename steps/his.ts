// What a hospital's or pharmacy's own system (HIS) does in a day besides the visits: sign in,
// download the drug catalogue and map its own items to it, reconcile the day's settlements
// (3201 totals, 3202 detail file), an inpatient stay fee by fee with a fee and a discharge
// cancelled, pharmacy stock, and a settlement whose answer is lost on the way. Every call
// goes through the institution's own PlatformClient, as its HIS would send it; the control
// API only sets the world up (the catalogue) and checks (history).
import type { DataTable } from '@cucumber/cucumber';
import { readZip, writeZip } from '../engine';
import { fmtFen, PlatformClient, PlatformError, type Envelope, type Response } from '../platform';
import { formatTrace } from '../rigs';
import { parseSetlinfo, Terminal, type VisitOutcome } from '../terminal';
import { classOf } from './catalogue';
import { holdsNoCard, insertCard } from './cards';
import { catalogueCode, institutionCode } from './ids';
import { stepsOf } from './registry';
import { fail, joined, said } from './said';
import { itemsFromTable, visit } from './visits';
import type { HisRecords, HisSettlement, HisStay, InstitutionCtx } from './types';
import type { MedWorld } from './world';

const step = stepsOf('his');

/** Where public HIS code reads a 1301 row (engine/README.md "Catalogue downloads"): code, name, class (甲类 / 乙类 / 自费), version. */
const DRUG_COLUMNS = { code: 0, name: 1, ver: 82, cls: 91 } as const;
/** The largest file the HIS unpacks (the engine sends at most 512 KiB zipped). */
const MAX_UNZIPPED = 16 * 1024 * 1024;
/** 3301 list type of the 1301 catalogue (西药中成药). */
const DRUG_LIST_TYPE = '101';

/** The 1301 file writes the class in Chinese; an English message names it in English. */
const CLASS_EN: Record<string, string> = { 甲类: 'class A', 乙类: 'class B', 自费: 'self-pay' };

let serial = 0;
/** A batch serial (fixmedins_bchno) or stay number the HIS has not used before: alphanumeric, unique in the run. */
const hisSerial = (prefix: string) => `${prefix}${Date.now()}${++serial}`;

/** The one text file inside a zip the engine sent, as rows of tab-separated cells. */
function rowsOf(zip: Buffer, what: string): string[][] {
  const entries = readZip(zip, MAX_UNZIPPED, what);
  if (entries.length !== 1) throw fail({ zh: `${what}：压缩包中应只有一个文件，实际有 ${entries.length} 个`, en: `${what}: expected one file in the zip, found ${entries.length}` });
  return entries[0]!.data.toString('utf8').split(/\r?\n/).filter((l) => l !== '').map((l) => l.split('\t'));
}

/** 9102: the file behind a file_qury_no, fetched by its sender. */
async function download(client: PlatformClient, inst: InstitutionCtx, fileQuryNo: string, filename: string): Promise<Buffer> {
  const out = await client.call('9102', { file_qury_no: fileQuryNo, filename, fixmedins_code: inst.code });
  const bytes = Buffer.from(out.content, 'base64');
  if (bytes.length !== out.size) throw fail({ zh: `9102 ${filename}：size 为 ${out.size} 字节，内容却有 ${bytes.length} 字节`, en: `9102 ${filename}: size says ${out.size} bytes, content holds ${bytes.length}` });
  return bytes;
}

// ------------------------------------------------------------------ start of day

/**
 * An institution of this scenario alone. The usual ones are shared by the worker's scenarios
 * (people.ts), which check people's money; a day's reconciliation and a pharmacy's stock are
 * the institution's own figures, so they need one no other scenario settles at.
 */
async function newInstitution(w: MedWorld, name: string, region: string, kind: 'hospital' | 'pharmacy'): Promise<void> {
  const code = institutionCode(kind, region);
  const { key } = await w.control('institution', { fixmedins_code: code, fixmedins_name: name, admvs: region, hosp_lv: 2, fixmedins_type: kind, designated: true });
  w.institutions.set(name, { code, key, name, region, kind, designated: true, level: 2 });
}

step('Given', '新开业的定点医院 {string} 位于{region}', 'a newly opened designated hospital {string} in {region}', async function (name: string, region: string) {
  await newInstitution(this, name, region, 'hospital');
}, { example: { zh: '新开业的定点医院 "市人民医院" 位于重庆', en: 'a newly opened designated hospital "City People\'s Hospital" in Chongqing' } });

step('Given', '新开业的定点药店 {string} 位于{region}', 'a newly opened designated pharmacy {string} in {region}', async function (name: string, region: string) {
  await newInstitution(this, name, region, 'pharmacy');
}, { example: { zh: '新开业的定点药店 "大药房" 位于重庆', en: 'a newly opened designated pharmacy "Great Pharmacy" in Chongqing' } });

step('Given', '医保目录中有西药中成药 {string}，类别为 {string}', 'the catalogue has the western or patent medicine {string}, class {string}', async function (name: string, cls: string) {
  // The agency's catalogue (set-up): a drug (med_chrgitm_type 09) is in the 1301 download.
  const code = catalogueCode();
  await this.control('catalogue-item', { med_list_codg: code, name, cls: classOf(cls), med_chrgitm_type: '09' });
  this.catalogue.set(name, { code, cls: classOf(cls) });
}, { example: { zh: '医保目录中有西药中成药 "阿莫西林胶囊"，类别为 "甲类"', en: 'the catalogue has the western or patent medicine "Amoxicillin capsules", class "class A"' } });

step('When', '定点医院 {string} 签到', 'the designated hospital {string} signs in', async function (instName: string) {
  const client = await this.platformFor(this.institution(instName));
  const out = await client.signIn();
  // The calls after it carry this sign_no (the client keeps it): the day's work proves the engine took it.
  if (!out.signinoutb.sign_no) throw fail({ zh: `9001 的应答中没有 sign_no：${JSON.stringify(out)}`, en: `9001 answered no sign_no: ${JSON.stringify(out)}` });
  this.log(said({ zh: `已签到：sign_no ${out.signinoutb.sign_no}`, en: `signed in: sign_no ${out.signinoutb.sign_no}` }));
}, { example: { zh: '定点医院 "市人民医院" 签到', en: 'the designated hospital "City People\'s Hospital" signs in' } });

step('When', '定点医院 {string} 下载西药中成药目录', 'the designated hospital {string} downloads the western and patent medicine catalogue', async function (instName: string) {
  const inst = this.institution(instName);
  const client = await this.platformFor(inst);
  const mine = this.his.drugCatalogue.get(inst.code) ?? { items: new Map(), ver: '0', lastCount: 0 };
  // ver: the newest version the HIS holds; the answer counts the rows newer than it.
  const out = await client.call('1301', { ver: mine.ver });
  const zip = await download(client, inst, out.file_qury_no, out.filename);
  const rows = rowsOf(zip, out.filename);
  if (out.data_cnt !== rows.length) throw fail({ zh: `1301 的 data_cnt 为 ${out.data_cnt}，其文件 ${out.filename} 却有 ${rows.length} 行`, en: `1301 said data_cnt ${out.data_cnt}, its file ${out.filename} holds ${rows.length} rows` });
  for (const r of rows) {
    mine.items.set(r[DRUG_COLUMNS.name]!, { code: r[DRUG_COLUMNS.code]!, cls: r[DRUG_COLUMNS.cls]! });
    if (BigInt(r[DRUG_COLUMNS.ver]!) > BigInt(mine.ver)) mine.ver = r[DRUG_COLUMNS.ver]!;
  }
  mine.lastCount = rows.length;
  this.his.drugCatalogue.set(inst.code, mine);
  await this.attach(rows.map((r) => [r[DRUG_COLUMNS.code], r[DRUG_COLUMNS.name], r[DRUG_COLUMNS.cls], r[DRUG_COLUMNS.ver]].join('\t')).join('\n'), { mediaType: 'text/plain', fileName: `${out.filename}.txt` });
  this.log(said({ zh: `1301：data_cnt ${out.data_cnt}，HIS 现有版本 ${mine.ver}`, en: `1301: data_cnt ${out.data_cnt}, the HIS's version now ${mine.ver}` }));
}, { example: { zh: '定点医院 "市人民医院" 下载西药中成药目录', en: 'the designated hospital "City People\'s Hospital" downloads the western and patent medicine catalogue' } });

function drugCatalogue(w: MedWorld, instName: string): NonNullable<ReturnType<HisRecords['drugCatalogue']['get']>> {
  const c = w.his.drugCatalogue.get(w.institution(instName).code);
  if (!c) throw fail({ zh: `"${instName}" 还没有下载西药中成药目录：先要有 定点医院 "${instName}" 下载西药中成药目录`, en: `"${instName}" has not downloaded the drug catalogue: the designated hospital "${instName}" downloads the western and patent medicine catalogue comes first` });
  return c;
}

step('Then', '{string} 下载的西药中成药目录中有 {string}，类别为 {string}', 'the drug catalogue {string} downloaded lists {string} as {string}', async function (instName: string, item: string, cls: string) {
  const got = drugCatalogue(this, instName).items.get(item);
  if (!got) throw fail({ zh: `下载的目录中没有 "${item}"`, en: `the downloaded catalogue has no "${item}"` });
  const want = { A: '甲类', B: '乙类', self: '自费' }[classOf(cls)];
  if (got.cls !== want) throw fail({ zh: `下载的目录中 "${item}" 为${got.cls}，应为${want}`, en: `"${item}" is ${CLASS_EN[got.cls] ?? got.cls} in the downloaded catalogue, expected ${CLASS_EN[want]}` });
}, { example: { zh: '"市人民医院" 下载的西药中成药目录中有 "阿莫西林胶囊"，类别为 "甲类"', en: 'the drug catalogue "City People\'s Hospital" downloaded lists "Amoxicillin capsules" as "class A"' } });

step('Then', '{string} 再次下载时没有更新的目录', '{string} finds nothing newer when it downloads again', async function (instName: string) {
  const n = drugCatalogue(this, instName).lastCount;
  if (n !== 0) throw fail({ zh: `从 HIS 的最新版本再次下载，仍带来 ${n} 行`, en: `the download from the HIS's newest version still brought ${n} rows` });
}, { example: { zh: '"市人民医院" 再次下载时没有更新的目录', en: '"City People\'s Hospital" finds nothing newer when it downloads again' } });

step('When', '定点医院 {string} 上传目录对照：院内项目 {string} 对照医保目录 {string}', 'the designated hospital {string} uploads a mapping of its own item {string} to the catalogue\'s {string}', async function (instName: string, own: string, item: string) {
  const inst = this.institution(instName);
  // The HIS maps to the code of the catalogue it downloaded, not to one it was told.
  const target = drugCatalogue(this, instName).items.get(item);
  if (!target) throw fail({ zh: `"${instName}" 下载的目录中没有 "${item}"`, en: `the catalogue "${instName}" downloaded has no "${item}"` });
  const client = await this.platformFor(inst);
  await client.call('3301', { fixmedins_hilist_id: hisSerial('HIS'), fixmedins_hilist_name: own, list_type: DRUG_LIST_TYPE, med_list_codg: target.code, begndate: this.today });
  this.his.mappings.set(`${inst.code}|${own}`, target.code);
}, { example: { zh: '定点医院 "市人民医院" 上传目录对照：院内项目 "阿莫西林胶囊（院内）" 对照医保目录 "阿莫西林胶囊"', en: 'the designated hospital "City People\'s Hospital" uploads a mapping of its own item "Amoxicillin (in-house)" to the catalogue\'s "Amoxicillin capsules"' } });

step('When', '{string} 持卡在 {string} 门诊就诊，院内项目 {string} {int} 盒，单价 {money}', '{string} visits {string} as an outpatient with the card, for {int} boxes of its own item {string} at {money} each', async function (name: string, instName: string, a: unknown, b: unknown, price: number) {
  // zh: (name, inst, own item, count, price); en: (name, inst, count, own item, price)
  const [own, count] = typeof a === 'string' ? [a, b as number] : [b as string, a as number];
  const code = this.his.mappings.get(`${this.institution(instName).code}|${own}`);
  if (!code) throw fail({ zh: `"${instName}" 没有院内项目 "${own}" 的对照：先上传目录对照`, en: `"${instName}" has no mapping for its item "${own}": upload one first (… uploads a mapping of its own item …)` });
  await visit(this, name, instName, [{ code, name: own, priceFen: price, count }], { withCard: true });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 门诊就诊，院内项目 "阿莫西林胶囊（院内）" 2 盒，单价 25.00 元', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the card, for 2 boxes of its own item "Amoxicillin (in-house)" at CNY 25.00 each' } });

// ------------------------------------------------------------------ day end: 3201, 3202

/** The institution's outpatient settlements of the day in its own record, grouped as 3201 reconciles them. */
function daySettlements(w: MedWorld, inst: InstitutionCtx): HisSettlement[] {
  return w.his.settlements.filter((s) => s.institution === inst.code && s.clrType === '11' && s.settlement.time.startsWith(w.today));
}
const sumOf = (l: HisSettlement[], k: 'total' | 'fundAll' | 'account') => l.reduce((t, s) => t + s.settlement[k], 0);

step('When', '定点医院 {string} 日终对账（3201）', 'the designated hospital {string} reconciles the day\'s totals by 3201', async function (instName: string) {
  const inst = this.institution(instName);
  const client = await this.platformFor(inst);
  const inForce = daySettlements(this, inst).filter((s) => !s.reversed);
  const groups = new Map<string, HisSettlement[]>();
  for (const s of inForce) groups.set(`${s.insutype}|${s.region}`, [...(groups.get(`${s.insutype}|${s.region}`) ?? []), s]);
  if (!groups.size) throw fail({ zh: `"${instName}" ${this.today} 没有门诊结算记录`, en: `"${instName}" recorded no outpatient settlement on ${this.today}` });
  this.his.statements = [];
  for (const l of groups.values()) {
    const out = await client.call('3201', {
      insutype: l[0]!.insutype, clr_type: '11', setl_optins: l[0]!.region, stmt_begndate: this.today, stmt_enddate: this.today,
      medfee_sumamt: fmtFen(sumOf(l, 'total')), fund_pay_sumamt: fmtFen(sumOf(l, 'fundAll')), acct_pay: fmtFen(sumOf(l, 'account')), fixmedins_setl_cnt: l.length,
    });
    this.his.statements.push({ what: `${l[0]!.insutype} / ${l[0]!.region}`, ...out.stmtinfo });
    this.log(`3201 (${l[0]!.insutype} / ${l[0]!.region}): ${out.stmtinfo.stmt_rslt_dscr}`); // the engine's own words
  }
}, { example: { zh: '定点医院 "市人民医院" 日终对账（3201）', en: 'the designated hospital "City People\'s Hospital" reconciles the day\'s totals by 3201' } });

step('Then', '{string} 当日在用的门诊结算 {int} 笔，医疗费总额 {money}，统筹基金支付 {money}，个人账户支付 {money}', '{string} has {int} outpatient settlements in force today, costing {money} in all, the fund paying {money} and the accounts {money}', async function (instName: string, count: number, total: number, fund: number, account: number) {
  const l = daySettlements(this, this.institution(instName)).filter((s) => !s.reversed);
  const got = [l.length, sumOf(l, 'total'), sumOf(l, 'fundAll'), sumOf(l, 'account')];
  const want = [count, total, fund, account];
  if (got.join() !== want.join()) {
    throw fail({
      zh: `HIS 当日记录：${got[0]} 笔，医疗费总额 ${fmtFen(got[1]!)} 元，统筹基金 ${fmtFen(got[2]!)} 元，个人账户 ${fmtFen(got[3]!)} 元；应为 ${count} 笔，${fmtFen(total)} / ${fmtFen(fund)} / ${fmtFen(account)} 元`,
      en: `the HIS's day: ${got[0]} settlements, ${fmtFen(got[1]!)} / fund ${fmtFen(got[2]!)} / account ${fmtFen(got[3]!)} 元; expected ${count}, ${fmtFen(total)} / ${fmtFen(fund)} / ${fmtFen(account)} 元`,
    });
  }
}, { example: { zh: '"市人民医院" 当日在用的门诊结算 2 笔，医疗费总额 720.00 元，统筹基金支付 150.00 元，个人账户支付 100.00 元', en: '"City People\'s Hospital" has 2 outpatient settlements in force today, costing CNY 720.00 in all, the fund paying CNY 150.00 and the accounts CNY 100.00' } });

step('Then', '日终对账平衡', 'the day\'s totals balance', async function () {
  const answers = this.his.statements;
  if (!answers?.length) throw fail({ zh: '本场景还没有日终对账（3201）', en: 'no day-end reconciliation (3201) yet in this scenario' });
  const off = answers.filter((a) => a.stmt_rslt !== '0');
  if (off.length) throw fail(joined(off.map((a) => ({ zh: `3201（${a.what}）对账不平：${a.stmt_rslt_dscr}`, en: `3201 (${a.what}) does not balance: ${a.stmt_rslt_dscr}` })), { zh: '\n', en: '\n' }));
}, { example: { zh: '日终对账平衡', en: 'the day\'s totals balance' } });

step('When', '定点医院 {string} 明细对账（3202），明细文件中 {string} 的医疗费总额被改为 {money}', 'the designated hospital {string} reconciles the day\'s detail by 3202, its file showing {string}\'s total as {money}', async function (instName: string, name: string, fen: number) {
  const inst = this.institution(instName);
  const client = await this.platformFor(inst);
  const day = daySettlements(this, inst);
  const psnNo = this.person(name).psnNo;
  const changed = day.find((s) => s.settlement.psnNo === psnNo && !s.reversed);
  if (!changed) throw fail({ zh: `"${instName}" 今天没有 "${name}" 的结算记录`, en: `"${instName}" recorded no settlement of "${name}" today` });
  // The HIS's detail file, one amount changed behind its back; it declares the totals of the
  // file as it reads it, as 3202 requires (the request and its file agree, the file and the engine not).
  const rows = day.map((s) => [s.settlement.setlId, s.settlement.mdtrtId, s.settlement.psnNo, s === changed ? fen : s.settlement.total, s.settlement.fundAll, s.settlement.account, s.reversed ? '1' : '0'] as const);
  const live = rows.filter((r) => r[6] === '0');
  const sum = (i: 3 | 4 | 5) => live.reduce((t, r) => t + r[i], 0);
  const text = rows.map((r) => [r[0], r[1], r[2], fmtFen(r[3]), fmtFen(r[4]), fmtFen(r[5]), r[6]].join('\t')).join('\r\n');
  const up = await client.call('9101', { in: writeZip([{ name: 'dzmx.txt', data: Buffer.from(text, 'utf8') }]).toString('base64'), filename: 'dzmx.txt.zip', fixmedins_code: inst.code });
  const out = await client.call('3202', {
    setl_optins: changed.region, clr_type: '11', file_qury_no: up.file_qury_no, stmt_begndate: this.today, stmt_enddate: this.today,
    medfee_sumamt: fmtFen(sum(3)), fund_pay_sumamt: fmtFen(sum(4)), acct_pay: fmtFen(sum(5)), cash_payamt: fmtFen(sum(3) - sum(4) - sum(5)), fixmedins_setl_cnt: rows.length,
  });
  const result = rowsOf(await download(client, inst, out.fileinfo.file_qury_no, out.fileinfo.filename), out.fileinfo.filename);
  this.his.detailCheck = { changedSetlId: changed.settlement.setlId, rows: result };
  await this.attach(result.map((r) => r.join('\t')).join('\n') || '(no differences)', { mediaType: 'text/plain', fileName: `${out.fileinfo.filename}.txt` });
}, { example: { zh: '定点医院 "市人民医院" 明细对账（3202），明细文件中 "李四" 的医疗费总额被改为 601.00 元', en: 'the designated hospital "City People\'s Hospital" reconciles the day\'s detail by 3202, its file showing "Li Si"\'s total as CNY 601.00' } });

step('Then', '明细对账只报告 {string} 的结算不一致：医药机构 {money}，中心 {money}', 'the detail reconciliation names only {string}\'s settlement: the institution says {money}, the centre {money}', async function (name: string, ours: number, theirs: number) {
  const check = this.his.detailCheck;
  if (!check) throw fail({ zh: '本场景还没有明细对账（3202）', en: 'no detail reconciliation (3202) yet in this scenario' });
  // Result row: psn_no, mdtrt_id, setl_id, msgid, refd_setl_flag, stmt_rslt, memo (engine/README.md "3202").
  const want = [this.person(name).psnNo, check.changedSetlId, `不一致：medfee_sumamt 医药机构 ${fmtFen(ours)}，中心 ${fmtFen(theirs)}`];
  const got = check.rows.map((r) => [r[0], r[2], r[6]].join(' | '));
  if (got.length !== 1 || got[0] !== want.join(' | ')) throw fail({ zh: `3202 的结果文件：应只有一行 ${want.join(' | ')}，实际${got.length ? `：${got.join('; ')}` : '没有'}`, en: `3202's result file: expected one row ${want.join(' | ')}, got ${got.length ? got.join('; ') : 'none'}` });
}, { example: { zh: '明细对账只报告 "李四" 的结算不一致：医药机构 601.00 元，中心 600.00 元', en: 'the detail reconciliation names only "Li Si"\'s settlement: the institution says CNY 601.00, the centre CNY 600.00' } });

// ------------------------------------------------------------------ an inpatient stay, step by step

function stayOf(w: MedWorld, name: string): HisStay {
  const s = w.his.stays.get(name);
  if (!s) throw fail({ zh: `"${name}" 没有在院记录：先办理入院，如 "${name}" 持卡在 "…" 办理入院`, en: `"${name}" has no open stay: admit first with "${name}" is admitted to "…" with the card` });
  return s;
}
const stayCall = async (w: MedWorld, s: HisStay) => ({ client: await w.platformFor(s.institution), env: { insuplc_admdvs: s.region } });

step('When', '{string} 持卡在 {string} 办理入院', '{string} is admitted to {string} with the card', async function (name: string, instName: string) {
  const p = this.person(name);
  if (!p.profile) throw fail(holdsNoCard(name));
  const inst = this.institution(instName);
  const client = await this.platformFor(inst);
  const slot = await insertCard(this, p.profile);
  slot.clearTrace();
  const terminal = new Terminal({ platform: client, institution: inst });
  // The PIN is typed at admission: the account will pay at the settlement.
  const card = await terminal.readCard({ channel: slot.channel, pin: p.typedPin ?? p.profile.pin.value }, this.today, true);
  const person = await terminal.lookupPerson(card, this.today);
  await this.attach(formatTrace(slot.trace()), { mediaType: 'text/plain', fileName: '读卡报文 APDU trace.txt' });
  const cert = { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNumber, card_sn: card.identificationCode } as const;
  const adm = await client.call('2401', { psn_no: person.psnNo, insutype: person.insutype, begntime: `${this.today} 09:00:00`, med_type: '21', ipt_no: hisSerial('ZY'), ...cert }, { insuplc_admdvs: person.region });
  this.his.stays.set(name, { institution: inst, mdtrtId: adm.result.mdtrt_id, psnNo: person.psnNo, insutype: person.insutype, region: person.region, cert, lines: new Map(), uploaded: 0 });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 办理入院', en: '"Zhang San" is admitted to "City People\'s Hospital" with the card' } });

step('When', '{string} 上传 {string} 的住院费用：', '{string} uploads {string}\'s inpatient fees:', async function (instName: string, name: string, table: DataTable) {
  this.institution(instName);
  const stay = stayOf(this, name);
  const items = await itemsFromTable(this, table);
  const feedetail = items.map((it) => {
    const sn = String(++stay.uploaded);
    stay.lines.set(it.name!, { sn, item: it });
    return { feedetl_sn: sn, mdtrt_id: stay.mdtrtId, psn_no: stay.psnNo, med_list_codg: it.code, medins_list_codg: it.code, det_item_fee_sumamt: fmtFen(it.priceFen * it.count), cnt: it.count, pric: fmtFen(it.priceFen), fee_ocur_time: `${this.today} 10:00:00` };
  });
  const { client, env } = await stayCall(this, stay);
  await client.call('2301', { feedetail }, env);
}, { table: '| 名称 | 类别 | 单价 | 数量 |  (name, class, price, count)', example: { zh: '"市人民医院" 上传 "张三" 的住院费用：', en: '"City People\'s Hospital" uploads "Zhang San"\'s inpatient fees:' } });

step('When', '{string} 撤销 {string} 的住院费用 {string}', '{string} cancels {string}\'s inpatient fee {string}', async function (instName: string, name: string, item: string) {
  this.institution(instName);
  const stay = stayOf(this, name);
  const line = stay.lines.get(item);
  if (!line) throw fail({ zh: `"${name}" 的住院费用中没有已上传的 "${item}"`, en: `"${name}"'s stay has no uploaded fee "${item}"` });
  const { client, env } = await stayCall(this, stay);
  await client.call('2302', { mdtrt_id: stay.mdtrtId, psn_no: stay.psnNo, feedetl_sn: line.sn }, env);
  stay.lines.delete(item);
}, { example: { zh: '"市人民医院" 撤销 "张三" 的住院费用 "头孢曲松钠"', en: '"City People\'s Hospital" cancels "Zhang San"\'s inpatient fee "Ceftriaxone"' } });

step('When', '{string} 为 {string} 办理出院', '{string} discharges {string}', async function (instName: string, name: string) {
  this.institution(instName);
  const stay = stayOf(this, name);
  const { client, env } = await stayCall(this, stay);
  await client.call('2402', { mdtrt_id: stay.mdtrtId, psn_no: stay.psnNo, endtime: `${this.today} 17:00:00` }, env);
}, { example: { zh: '"市人民医院" 为 "张三" 办理出院', en: '"City People\'s Hospital" discharges "Zhang San"' } });

step('When', '{string} 撤销 {string} 的出院', '{string} cancels {string}\'s discharge', async function (instName: string, name: string) {
  this.institution(instName);
  const stay = stayOf(this, name);
  const { client, env } = await stayCall(this, stay);
  await client.call('2405', { mdtrt_id: stay.mdtrtId, psn_no: stay.psnNo }, env);
}, { example: { zh: '"市人民医院" 撤销 "张三" 的出院', en: '"City People\'s Hospital" cancels "Zhang San"\'s discharge' } });

step('When', '{string} 为 {string} 办理住院结算', '{string} settles {string}\'s stay', async function (instName: string, name: string) {
  const inst = this.institution(instName);
  const stay = stayOf(this, name);
  const { client, env } = await stayCall(this, stay);
  // The total of the lines the HIS still holds: the engine refuses one that differs from the fees in force.
  const items = [...stay.lines.values()].map((l) => l.item);
  const total = items.reduce((t, it) => t + it.priceFen * it.count, 0);
  const setl = { psn_no: stay.psnNo, ...stay.cert, med_type: '21', medfee_sumamt: fmtFen(total), mdtrt_id: stay.mdtrtId, acct_used_flag: '1', insutype: stay.insutype } as const;
  await client.call('2303', setl, env);
  const settlement = parseSetlinfo((await client.call('2304', setl, env)).setlinfo);
  this.his.stays.delete(name);
  this.his.settlements.push({ institution: inst.code, insutype: stay.insutype, clrType: '21', region: stay.region, settlement, reversed: false });
  const receipt = new Terminal({ platform: client, institution: inst }).receipt({ kind: 'inpatient', date: this.today, items }, total, settlement);
  const outcome: VisitOutcome = { settlement, cashPaidFen: settlement.cash, totalFen: total, cashAdvance: false, receipt };
  this.latest.visit = outcome;
  this.latest.refusal = undefined;
  await this.attach(receipt.html!, { mediaType: 'text/html', fileName: '结算单 receipt.html' });
}, { example: { zh: '"市人民医院" 为 "张三" 办理住院结算', en: '"City People\'s Hospital" settles "Zhang San"\'s stay' } });

// ------------------------------------------------------------------ pharmacy stock

async function stockUpload(w: MedWorld, instName: string, item: string, infno: '3503' | '3505', count: number): Promise<void> {
  const inst = w.institution(instName);
  const client = await w.platformFor(inst);
  const codg = w.item(item).code;
  const common = { med_list_codg: codg, fixmedins_hilist_id: codg, fixmedins_hilist_name: item, fixmedins_bchno: hisSerial('B') };
  const time = `${w.today} 10:00:00`;
  const input = infno === '3503'
    ? { purcinfo: { ...common, spler_name: '重庆医药公司', purc_retn_cnt: count, purc_retn_stoin_time: time } }
    : { selinfo: { ...common, sel_retn_cnt: count, sel_retn_time: time } };
  w.his.refusal = undefined;
  try {
    const out = await client.call(infno, input as never);
    w.his.stock.set(`${inst.code}|${item}`, Number(out.data.inv_cnt));
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    w.his.refusal = err.errMsg;
    w.log(said({ zh: `${infno} 被拒绝：${err.errMsg}`, en: `${infno} refused: ${err.errMsg}` }));
  }
}

step('When', '定点药店 {string} 采购入库 {string} {int} 盒', 'the designated pharmacy {string} buys in {int} boxes of {string}', async function (instName: string, a: unknown, b: unknown) {
  const [item, count] = typeof a === 'string' ? [a, b as number] : [b as string, a as number];
  await stockUpload(this, instName, item, '3503', count);
}, { example: { zh: '定点药店 "大药房" 采购入库 "阿莫西林胶囊" 10 盒', en: 'the designated pharmacy "Great Pharmacy" buys in 10 boxes of "Amoxicillin capsules"' } });

step('When', '定点药店 {string} 售出 {string} {int} 盒', 'the designated pharmacy {string} sells {int} boxes of {string}', async function (instName: string, a: unknown, b: unknown) {
  const [item, count] = typeof a === 'string' ? [a, b as number] : [b as string, a as number];
  await stockUpload(this, instName, item, '3505', count);
}, { example: { zh: '定点药店 "大药房" 售出 "阿莫西林胶囊" 3 盒', en: 'the designated pharmacy "Great Pharmacy" sells 3 boxes of "Amoxicillin capsules"' } });

step('Then', '{string} 的 {string} 库存为 {int} 盒', '{string} has {int} boxes of {string} in stock', async function (instName: string, a: unknown, b: unknown) {
  const [item, count] = typeof a === 'string' ? [a, b as number] : [b as string, a as number];
  if (this.his.refusal) throw fail({ zh: `上一次库存上传被拒绝：${this.his.refusal}`, en: `the last stock upload was refused: ${this.his.refusal}` });
  const got = this.his.stock.get(`${this.institution(instName).code}|${item}`);
  if (got !== count) throw fail({ zh: `"${instName}" 的 "${item}" 库存应为 ${count} 盒，结算引擎上一次的应答为${got === undefined ? '：还没有应答' : ` ${got} 盒`}`, en: `"${instName}" stock of "${item}": expected ${count}, the engine's last answer says ${got ?? 'nothing yet'}` });
}, { example: { zh: '"大药房" 的 "阿莫西林胶囊" 库存为 7 盒', en: '"Great Pharmacy" has 7 boxes of "Amoxicillin capsules" in stock' } });

step('Then', '该笔上传被拒绝，原因含 {string}', 'the upload is refused, saying {string}', async function (text: string) {
  const r = this.his.refusal;
  if (!r) throw fail({ zh: `结算引擎应拒绝这笔上传（${text}），却接受了`, en: `expected the engine to refuse the upload (${text}), but it accepted it` });
  if (!r.includes(text)) throw fail({ zh: `拒绝原因 "${r}" 中没有 "${text}"`, en: `the refusal "${r}" does not say "${text}"` });
}, { example: { zh: '该笔上传被拒绝，原因含 "库存不足：现有 7，本次销售 8"', en: 'the upload is refused, saying "库存不足：现有 7，本次销售 8"' } });

// ------------------------------------------------------------------ the settlement answer lost

/**
 * The institution's client with one cut: the first 2207 reaches the engine and is booked, its
 * answer is dropped on the way back, as when the connection breaks. The terminal then must
 * send 2601 and settle again (terminal.ts settleOnce); what passes is written into `cut`.
 */
function cuttingClient(base: PlatformClient, cut: NonNullable<HisRecords['cut']>): PlatformClient {
  return new PlatformClient({
    ...base.opts, url: undefined, clock: base.clock, signNo: base.signNo, insuplcAdmdvs: base.insuplcAdmdvs,
    handle: async (body: unknown): Promise<Response> => {
      const env = body as Envelope<{ omsgid?: string }>;
      const res = await base.raw(body);
      if (env.infno === '2207' && !cut.msgid) {
        cut.msgid = env.msgid;
        throw new Error(`the connection broke after the engine answered 2207 msgid ${env.msgid} (cut by the step)`); /* internal: the reference terminal catches it and sends 2601 */
      }
      if (env.infno === '2601') cut.reversal = { ...(res.output as { data: { rvs_stas: string; omsgid: string } }).data };
      if (env.infno === '2207' && res.infcode === 0) cut.retried = env.msgid;
      return res;
    },
  });
}

step('When', '{string} 持卡在 {string} 门诊就诊，费用 {money}，结算应答在途中丢失', '{string} visits {string} as an outpatient with the card, costing {money}, and the settlement answer is lost on the way', async function (name: string, instName: string, fen: number) {
  const cut: NonNullable<HisRecords['cut']> = { msgid: '', psnNo: this.person(name).psnNo };
  this.his.cut = cut;
  const platform = cuttingClient(await this.platformFor(this.institution(instName)), cut);
  await visit(this, name, instName, [{ code: this.item('甲类').code, name: '诊疗费', priceFen: fen, count: 1 }], { withCard: true, platform });
}, { example: { zh: '"张三" 持卡在 "市人民医院" 门诊就诊，费用 120.00 元，结算应答在途中丢失', en: '"Zhang San" visits "City People\'s Hospital" as an outpatient with the card, costing CNY 120.00, and the settlement answer is lost on the way' } });

step('Then', '原结算已冲正（2601），重新结算后只有一笔结算', 'the first settlement was undone by 2601 and the retry left exactly one settlement', async function () {
  const cut = this.his.cut;
  if (!cut?.msgid) throw fail({ zh: '本场景没有被截断的结算应答', en: 'no settlement answer was cut in this scenario' });
  if (cut.reversal?.omsgid !== cut.msgid || cut.reversal.rvs_stas !== '1') {
    const got = cut.reversal ? JSON.stringify(cut.reversal) : undefined;
    throw fail({ zh: `应由 2601 冲正 msgid ${cut.msgid}（rvs_stas 1），实际：${got ?? '没有 2601'}`, en: `expected 2601 to undo msgid ${cut.msgid} (rvs_stas 1), got ${got ?? 'no 2601'}` });
  }
  if (!cut.retried || cut.retried === cut.msgid) throw fail({ zh: `结算应以新的 msgid 重新发送，实际：${cut.retried ?? '没有重发'}`, en: `expected the settlement sent again under a new msgid, got ${cut.retried ?? 'none'}` });
  const { settlements } = await this.control('history', { psn_no: cut.psnNo });
  const inForce = settlements.filter((s) => s.setl_stas === 'settled');
  const settled = this.need('visit').settlement;
  if (inForce.length !== 1 || inForce[0]!.setl_id !== settled?.setlId) throw fail({ zh: `应只有一笔有效结算，即重发的 ${settled?.setlId}；结算引擎中有：${inForce.map((s) => s.setl_id).join(', ') || '没有'}`, en: `expected one settlement in force, the retried one ${settled?.setlId}; the engine holds ${inForce.map((s) => s.setl_id).join(', ') || 'none'}` });
}, { example: { zh: '原结算已冲正（2601），重新结算后只有一笔结算', en: 'the first settlement was undone by 2601 and the retry left exactly one settlement' } });
