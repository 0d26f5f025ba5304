// The platform's own transactions (platform-api.md §2): sign-in, person lookup, the
// outpatient and inpatient visit flows, settlement query.
import type { Sql } from './db';
import { num } from './db';
import {
  type Ctx, type CardRow, type Handler, type InstRow, type PersonRow, type VisitRow, DIAG, cardChecks, checkCard, checkEligible, checkInstitution, checkInsuplc, checkInsutype, employerArrears,
  idText, loadPerson, loadVisit, mdtrtId, nextId, personFrom, policyOf, psnNo, requireOpen, show, visitChecks,
} from './context';
import { BizError, req, str, id, en, money, cnt, cntText, dt, arr, CODE, type Spec } from './validate';
import { CARD_SN, ID_NUMBER, INSU_TYPE_CODES, MED_TYPE_CODES, OUTPATIENT_MED_TYPES } from '../spec';
import { splitLine, ageOn, chrgitmLv, mulDivRound, type CatalogueItem } from './rules';
import { balances, post, PA, type Line } from './ledger';
import { adjudicateWith, buildReceipt, setlInfo, saveReceipt, writeSettlement, type FeeRow } from './settle';
import { fmtFen, fmtRatio } from '../platform';
import type { SetlInfo, SetlDetail } from '../platform';
import { REVERSED } from './messages';
import { QUERIES } from './queries';
import { INPATIENT, undoStayChange } from './inpatient';
import { PHARMACY, STOCK_UPLOADS, undoStockUpload } from './pharmacy';
import { CERT_TYPE_CODES, psnTypeOf } from './dictionaries';
import { FILES } from './files';
import { CATALOGUE_TRANSACTIONS } from './catalogue';
import { RECONCILE } from './reconcile';

const CERT_TYPE = CERT_TYPE_CODES;
const certNo = () => req(str('就诊凭证编号', 50, { re: CODE, what: '字母数字' }));

// ------------------------------------------------------------------ card and person checks

/** The presented certificate must belong to the person (card 03, ID card 02, e-voucher 01). */
async function checkCert(ctx: Ctx, person: PersonRow, certType: string, certNo: string, cardSn?: string): Promise<void> {
  if (certType === '03') await checkCard(ctx.q, certNo, cardSn, ctx.date, person.psn_no);
  else if (certType === '02' && certNo !== person.certno) throw new BizError('就诊凭证编号（身份证号）与人员不符');
  else if (certType === '01' && certNo !== person.evoucher) throw new BizError('医保电子凭证与人员不符');
}

async function personByCert(ctx: Ctx, input: Record<string, unknown>): Promise<{ person: PersonRow; card: CardRow | null }> {
  const type = String(input.mdtrt_cert_type);
  const no = String(input.mdtrt_cert_no);
  let psn: string | undefined;
  let card: CardRow | null = null;
  if (type === '03') {
    card = await checkCard(ctx.q, no, input.card_sn as string | undefined, ctx.date);
    psn = card.psn_no;
  } else {
    const col = type === '02' ? 'certno' : 'evoucher';
    const rows = await ctx.q.query<{ psn_no: string }>(`SELECT psn_no FROM persons WHERE ${col} = $1`, [no]);
    if (!rows.length) throw new BizError(type === '02' ? `身份证号 ${show(no)} 未参保或不存在` : `医保电子凭证 ${show(no)} 无效或不存在`);
    psn = rows[0].psn_no;
  }
  const person = await loadPerson(ctx.q, psn);
  if (input.certno && input.certno !== person.certno) throw new BizError('证件号码 certno 与就诊凭证对应人员不符');
  if (input.psn_name && input.psn_name !== person.name) throw new BizError('姓名 psn_name 与就诊凭证对应人员不符');
  return { person, card };
}

// ------------------------------------------------------------------ 9001, 1101

const signIn: Handler = {
  platform: true, wrap: 'signIn',
  spec: { opter_no: str('操作员编号', 30), mac: str('MAC 地址', 30, { re: /^[0-9A-Fa-f:.-]*$/ }), ip: str('IP 地址', 45, { re: /^[0-9A-Fa-f:.]*$/ }) },
  async run(ctx) {
    const signNo = await nextId(ctx.q, 'SN', ctx.date);
    await ctx.q.query(`INSERT INTO signins (sign_no, fixmedins_code, opter, sign_time) VALUES ($1,$2,$3,$4)`, [signNo, ctx.env.fixmedins_code, ctx.env.opter ?? '', ctx.time]);
    return { signinoutb: { sign_time: ctx.time, sign_no: signNo } };
  },
};

/** 9002: the sign_no (this institution's) no longer admits a transaction. */
const signOut: Handler = {
  platform: true, wrap: 'signOut',
  spec: { sign_no: req(str('签到编号', 30, { re: CODE, what: '字母数字' })), opter_no: str('操作员编号', 30) },
  async run(ctx, input) {
    const rows = await ctx.q.query(`DELETE FROM signins WHERE sign_no = $1 AND fixmedins_code = $2 RETURNING sign_no`, [input.sign_no, ctx.env.fixmedins_code]);
    if (!rows.length) throw new BizError(`input.sign_no（签到编号）${show(input.sign_no)} 不存在或已签退`);
    return { signoutoutb: { sign_time: ctx.time, sign_no: input.sign_no } };
  },
};

const personLookup: Handler = {
  platform: true, wrap: 'data',
  spec: {
    mdtrt_cert_type: en('就诊凭证类型', CERT_TYPE, true), mdtrt_cert_no: certNo(), card_sn: id('卡识别码', CARD_SN),
    begntime: dt('开始时间'), psn_cert_type: str('人员证件类型', 6, { re: CODE }), certno: id('证件号码', ID_NUMBER),
    psn_name: str('人员姓名', 50),
  },
  async run(ctx, input) {
    const { person: p, card } = await personByCert(ctx, input);
    checkInsuplc(ctx, p);
    const bal = await balances(ctx.q, p.psn_no);
    const arrears = await employerArrears(ctx.q, p);
    const emp = p.emp_no ? (await ctx.q.query<{ emp_name: string }>(`SELECT emp_name FROM employers WHERE emp_no = $1`, [p.emp_no]))[0]?.emp_name ?? null : null;
    const stas = p.stas === '1' && arrears ? '2' : p.stas;
    return {
      baseinfo: { psn_no: p.psn_no, psn_cert_type: '01', certno: p.certno, psn_name: p.name, gend: p.gend, naty: p.naty, brdy: p.brdy, age: ageOn(p.brdy, ctx.date) },
      insuinfo: [{
        balc: fmtFen(bal.total), insutype: p.insutype, psn_type: psnTypeOf(p.retired), psn_insu_stas: stas, psn_insu_date: p.insu_date,
        paus_insu_date: stas === '2' ? ctx.date : null, cvlserv_flag: '0', insuplc_admdvs: p.admvs, emp_name: emp,
      }],
      idetinfo: [],
      cardinfo: card ? { card_no: card.card_no, card_sn: card.card_sn, card_stas: card.stas, expiry_date: card.expiry_date } : null,
    };
  },
};

// ------------------------------------------------------------------ visits

async function openVisit(ctx: Ctx, input: Record<string, unknown>, kind: 'otp' | 'ipt'): Promise<{ mdtrt_id: string; psn_no: string; ipt_otp_no: string }> {
  const person = await loadPerson(ctx.q, String(input.psn_no));
  checkInsuplc(ctx, person);
  checkInsutype(String(input.insutype), person);
  await checkCert(ctx, person, String(input.mdtrt_cert_type), String(input.mdtrt_cert_no), input.card_sn as string | undefined);
  if (input.psn_name && input.psn_name !== person.name) throw new BizError('姓名 psn_name 与人员不符');
  if (input.certno && input.certno !== person.certno) throw new BizError('证件号码 certno 与人员不符');
  const serial = String(kind === 'ipt' ? input.ipt_no : input.ipt_otp_no);
  const dupRows = await ctx.q.query(`SELECT mdtrt_id FROM visits WHERE fixmedins_code = $1 AND ipt_otp_no = $2 AND stas <> 'cancelled'`, [ctx.env.fixmedins_code, serial]);
  if (dupRows.length) throw new BizError(`${kind === 'ipt' ? '住院号' : '门诊号'} ${show(serial)} 已登记（就诊ID ${dupRows[0].mdtrt_id}）`);
  const id = await nextId(ctx.q, 'MD', String(input.begntime).slice(0, 10));
  const info = { dept: input.dept_name ?? input.adm_dept_name ?? null, doctor: input.dr_name ?? input.chfpdr_name ?? null, diseinfo: input.diseinfo ?? [] };
  await ctx.q.query(`INSERT INTO visits (mdtrt_id, psn_no, fixmedins_code, admvs, kind, med_type, begntime, ipt_otp_no, cert_type, cert_no, insutype, emergency, stas, info)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'registered',$13)`,
  [id, person.psn_no, ctx.env.fixmedins_code, ctx.inst!.admvs, kind, kind === 'ipt' ? '21' : String(input.med_type ?? '11'), input.begntime, serial,
    input.mdtrt_cert_type, input.mdtrt_cert_no, person.insutype, input.emergency_flag === '1', JSON.stringify(info)]);
  return { mdtrt_id: id, psn_no: person.psn_no, ipt_otp_no: serial };
}

const register: Handler = {
  platform: true, wrap: 'data',
  spec: {
    psn_no: psnNo(), insutype: en('险种类型', INSU_TYPE_CODES, true), begntime: dt('开始时间', true), mdtrt_cert_type: en('就诊凭证类型', CERT_TYPE, true),
    mdtrt_cert_no: certNo(), card_sn: id('卡识别码', CARD_SN), ipt_otp_no: req(str('门诊号', 30, { re: CODE, what: '字母数字' })),
    atddr_no: str('医师编码', 30), dr_name: str('医师姓名', 50), dept_code: str('科室编码', 30), dept_name: str('科室名称', 100), caty: str('科别', 10),
    psn_cert_type: str('人员证件类型', 6, { re: CODE }), certno: id('证件号码', ID_NUMBER), psn_type: str('人员类别', 10), psn_name: str('姓名', 50),
    emergency_flag: en('急诊标志', ['0', '1']), med_type: en('医疗类别', OUTPATIENT_MED_TYPES),
  },
  async run(ctx, input) { return { data: await openVisit(ctx, input, 'otp') }; },
};

const registerCancel: Handler = {
  platform: true, wrap: 'data',
  spec: { psn_no: psnNo(), mdtrt_id: mdtrtId(), ipt_otp_no: req(str('门诊号', 30, { re: CODE })), exp_content: str('扩展内容', 200) },
  async run(ctx, input) {
    const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), 'otp', true);
    if (v.ipt_otp_no !== input.ipt_otp_no) throw new BizError('门诊号 ipt_otp_no 与就诊ID不符');
    requireOpen(v, '撤销挂号');
    await ctx.q.query(`UPDATE visits SET stas = 'cancelled' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
    return {};
  },
};

const visitInfo: Handler = {
  platform: true, wrap: 'mdtrtinfo',
  spec: {
    mdtrt_id: mdtrtId(), psn_no: psnNo(), med_type: en('医疗类别', OUTPATIENT_MED_TYPES, true), begntime: dt('开始时间', true), main_cond_dscr: str('主要病情描述', 500),
    dise_codg: str('病种编码', 30), dise_name: str('病种名称', 100), birctrl_type: str('计划生育手术类别', 6), birctrl_matn_date: str('计划生育手术或生育日期', 19),
    diseinfo: arr('诊断信息', DIAG, 50),
  },
  async run(ctx, input) {
    const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), 'otp', true);
    requireOpen(v, '上传就诊信息');
    await ctx.q.query(`UPDATE visits SET med_type = $2, info = info || $3::jsonb WHERE mdtrt_id = $1`,
      [v.mdtrt_id, input.med_type, JSON.stringify({ diseinfo: input.diseinfo ?? [], dise_codg: input.dise_codg ?? null, dise_name: input.dise_name ?? null, birctrl_type: input.birctrl_type ?? null })]);
    return {};
  },
};

const FEE_LINE: Spec = {
  feedetl_sn: req(str('费用明细流水号', 30, { re: CODE, what: '字母数字' })), mdtrt_id: mdtrtId(), psn_no: psnNo(), chrg_bchno: str('收费批次号', 30, { re: CODE }),
  dise_codg: str('病种编码', 30), rxno: str('处方号', 30), rx_circ_flag: str('外购处方标志', 1), fee_ocur_time: dt('费用发生时间', true),
  med_list_codg: req(str('医疗目录编码', 50, { re: CODE, what: '字母数字' })), medins_list_codg: str('医药机构目录编码', 50), det_item_fee_sumamt: money('明细项目费用总额', true),
  cnt: cnt('数量', true), pric: money('单价', true), sin_dos_dscr: str('单次剂量描述', 200), used_frqu_dscr: str('使用频次描述', 200), prd_days: str('周期天数', 10),
  medc_way_dscr: str('用药途径描述', 200), bilg_dept_codg: str('开单科室编码', 30), bilg_dept_name: str('开单科室名称', 100), bilg_dr_codg: str('开单医生编码', 30),
  bilg_dr_name: str('开单医师姓名', 50), acord_dept_codg: str('受单科室编码', 30), acord_dept_name: str('受单科室名称', 100), orders_dr_code: str('受单医生编码', 30),
  orders_dr_name: str('受单医生姓名', 50), hosp_appr_flag: str('医院审批标志', 1), tcmdrug_used_way: str('中药使用方式', 6), etip_flag: str('外检标志', 1),
  etip_hosp_code: str('外检医院编码', 30), dscg_tkdrug_flag: str('出院带药标志', 1), matn_fee_flag: str('生育费用标志', 1), med_type: en('医疗类别', MED_TYPE_CODES),
};

export async function catalogueItem(q: Sql, code: string): Promise<CatalogueItem | null> {
  const rows = await q.query(`SELECT * FROM catalogue WHERE code = $1`, [code]);
  if (!rows.length) return null;
  const r = rows[0];
  return { code, name: String(r.name), cls: r.cls as CatalogueItem['cls'], capFen: r.cap_fen === null ? null : num(r.cap_fen), selfpayBp: r.selfpay_bp === null ? null : num(r.selfpay_bp), chrgitmType: String(r.chrgitm_type) };
}

/** Check and classify fee lines (domain.md §4.1); shared with reimbursement claims. */
export async function classifyLines(ctx: Ctx, lines: Array<Record<string, unknown>>, policyRegion: string) {
  const policy = policyOf(ctx, policyRegion);
  const seen = new Set<string>();
  const out = [];
  for (const [i, l] of lines.entries()) {
    const sn = String(l.feedetl_sn);
    if (seen.has(sn)) throw new BizError(`feedetail[${i}].feedetl_sn（费用明细流水号）${show(sn)} 重复`);
    seen.add(sn);
    const amount = l.det_item_fee_sumamt as number;
    const pric = l.pric as number;
    const cnt4 = l.cnt as number;
    if (amount <= 0) throw new BizError(`feedetail[${i}].det_item_fee_sumamt（明细项目费用总额）必须大于 0`);
    const expect = mulDivRound(pric, cnt4, 10000);
    if (expect !== amount) throw new BizError(`feedetail[${i}].det_item_fee_sumamt（明细项目费用总额）${fmtFen(amount)} 与单价×数量 ${fmtFen(expect)} 不符`);
    const item = await catalogueItem(ctx.q, String(l.med_list_codg));
    const split = splitLine(policy, item, amount, cnt4);
    out.push({ line: l, item, split, amount, pric, cnt4 });
  }
  return out;
}

function feeUpload(kind: 'otp' | 'ipt'): Handler {
  return {
    platform: true,
    spec: { feedetail: arr('费用明细', FEE_LINE, 500, true, 1) },
    async run(ctx, input) {
      const lines = input.feedetail as Array<Record<string, unknown>>;
      const id = String(lines[0].mdtrt_id);
      const psn = String(lines[0].psn_no);
      for (const [i, l] of lines.entries()) {
        if (l.mdtrt_id !== id || l.psn_no !== psn) throw new BizError(`feedetail[${i}] 的 mdtrt_id / psn_no 与第一条明细不一致（一次上传只能属于一次就诊）`);
      }
      const v = await loadVisit(ctx, id, psn, kind, true);
      requireOpen(v, '上传费用明细');
      const person = await loadPerson(ctx.q, psn);
      const classified = await classifyLines(ctx, lines, person.admvs);
      const sns = classified.map((c) => String(c.line.feedetl_sn));
      const existing = await ctx.q.query<{ feedetl_sn: string }>(`SELECT feedetl_sn FROM fee_lines WHERE mdtrt_id = $1 AND feedetl_sn = ANY($2::text[])`, [id, sns]);
      if (existing.length) throw new BizError(`费用明细流水号 ${show(existing[0].feedetl_sn)} 已上传（如需修改请先撤销该明细）`);
      const result = [];
      for (const c of classified) {
        const { line: l, item, split: s } = c;
        await ctx.q.query(`INSERT INTO fee_lines (mdtrt_id, feedetl_sn, code, name, amount, cnt4, pric, fee_time, cls, fulamt, overlmt, preselfpay, inscp, selfpay_bp, cap_fen, chrgitm_type, chrg_bchno, msgid)
          VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
        [id, l.feedetl_sn, l.med_list_codg, item?.name ?? '目录外项目', c.amount, c.cnt4, c.pric, l.fee_ocur_time, s.cls, s.fulamt, s.overlmt, s.preselfpay, s.inscp, s.selfpayBp,
          item?.capFen ?? null, item?.chrgitmType ?? '09', l.chrg_bchno ?? null, ctx.env.msgid]);
        result.push({
          feedetl_sn: l.feedetl_sn, det_item_fee_sumamt: fmtFen(c.amount), cnt: cntText(c.cnt4), pric: fmtFen(c.pric),
          pric_uplmt_amt: item?.capFen == null ? null : fmtFen(item.capFen), selfpay_prop: fmtRatio(s.selfpayBp),
          fulamt_ownpay_amt: fmtFen(s.fulamt), overlmt_amt: fmtFen(s.overlmt), preselfpay_amt: fmtFen(s.preselfpay), inscp_scp_amt: fmtFen(s.inscp),
          chrgitm_lv: chrgitmLv(s.cls), med_chrgitm_type: item?.chrgitmType ?? '09', bas_medn_flag: '0', list_sp_item_flag: '0',
        });
      }
      return { result };
    },
  };
}

const feeCancel = (kind: 'otp' | 'ipt'): Handler => ({
  platform: true, wrap: 'data',
  spec: { mdtrt_id: mdtrtId(), psn_no: psnNo(), chrg_bchno: str('收费批次号', 30, { re: CODE }), feedetl_sn: str('费用明细流水号', 30, { re: CODE }) },
  async run(ctx, input) {
    const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), kind, true);
    requireOpen(v, '撤销费用明细');
    const sn = input.feedetl_sn as string | undefined;
    const bch = input.chrg_bchno as string | undefined;
    let sql = `DELETE FROM fee_lines WHERE mdtrt_id = $1`;
    const params: unknown[] = [v.mdtrt_id];
    if (sn && sn !== '0000') { params.push(sn); sql += ` AND feedetl_sn = $${params.length}`; }
    if (bch && bch !== '0000') { params.push(bch); sql += ` AND chrg_bchno = $${params.length}`; }
    const rows = await ctx.q.query(`${sql} RETURNING feedetl_sn`, params);
    if (!rows.length) throw new BizError(sn ? `费用明细流水号 ${show(sn)} 不存在` : '该就诊没有可撤销的费用明细');
    return {};
  },
});

// ------------------------------------------------------------------ settlement

const SETTLE_SPEC: Spec = {
  psn_no: psnNo(), mdtrt_cert_type: en('就诊凭证类型', CERT_TYPE, true), mdtrt_cert_no: certNo(), card_sn: id('卡识别码', CARD_SN),
  med_type: en('医疗类别', MED_TYPE_CODES, true), medfee_sumamt: money('医疗费总额', true), psn_setlway: en('个人结算方式', ['01', '02']),
  mdtrt_id: mdtrtId(), chrg_bchno: str('收费批次号', 30, { re: CODE }), insutype: en('险种类型', INSU_TYPE_CODES), acct_used_flag: en('个人账户使用标志', ['0', '1'], true),
  invono: str('发票号', 30, { re: CODE }), fulamt_ownpay_amt: money('全自费金额'), overlmt_selfpay: money('超限价自费金额'), preselfpay_amt: money('先行自付金额'),
  inscp_scp_amt: money('符合政策范围金额'), mid_setl_flag: en('中途结算标志', ['0', '1']), dscg_time: dt('出院时间'), full_amt_ownpay_amt: money('全自费金额'),
  pub_hosp_rfom_flag: str('公立医院改革标志', 1),
};

// A settlement is five round trips: BEGIN; the locks (visit, then person) with the
// institution; everything else read under those locks in one statement; one statement that
// writes the journal, the settlement, the receipt, the visit and the answer under its msgid;
// COMMIT. The second read is a separate statement on purpose: in READ COMMITTED a statement
// that waited for a lock still reads from the snapshot it took before waiting, so the
// balance and the year's cumulative cost must be read by a statement that starts after the
// locks are held.
const VISIT_COLS = ['mdtrt_id', 'psn_no', 'fixmedins_code', 'admvs', 'kind', 'med_type', 'begntime', 'endtime', 'ipt_otp_no', 'cert_type', 'cert_no', 'insutype', 'emergency', 'stas'];
const PERSON_COLS = ['psn_no', 'name', 'certno', 'gend', 'brdy', 'naty', 'insutype', 'admvs', 'stas', 'insu_date', 'emp_no', 'base_fen', 'retired', 'pension_fen', 'evoucher'];
const INST_COLS = ['code', 'name', 'admvs', 'level', 'type', 'designated', 'hmac_key'];
const CARD_COLS = ['card_no', 'card_sn', 'psn_no', 'expiry_date', 'stas', 'lost_date', 'activated_date'];
const FEE_COLS = ['feedetl_sn', 'code', 'name', 'amount', 'cls', 'fulamt', 'overlmt', 'preselfpay', 'inscp'];
const cols = (alias: string, names: string[]) => names.map((c) => `${alias}.${c} AS ${alias}_${c}`).join(', ');
const pick = (row: Record<string, unknown>, alias: string, names: string[]): Record<string, unknown> | undefined => {
  if (row[`${alias}_${names[0]}`] === null || row[`${alias}_${names[0]}`] === undefined) return undefined;
  const o: Record<string, unknown> = {};
  for (const c of names) o[c] = row[`${alias}_${c}`];
  return o;
};

/** $1 mdtrt_id, $2 fixmedins_code, $3 sign_no (or null). The institution's clock comes along. */
const SETTLE_LOCKS = (lock: boolean) => `WITH v AS MATERIALIZED (SELECT ${VISIT_COLS.join(', ')} FROM visits WHERE mdtrt_id = $1${lock ? ' FOR UPDATE' : ''}),
  p AS MATERIALIZED (SELECT ${PERSON_COLS.join(', ')} FROM persons WHERE psn_no = (SELECT psn_no FROM v)${lock ? ' FOR UPDATE' : ''})
  SELECT ${cols('i', INST_COLS)}, (SELECT fixmedins_code FROM signins WHERE sign_no = $3) AS signin_code,
    (SELECT offset_ms FROM clocks WHERE code = $2) AS clock_offset, ${cols('v', VISIT_COLS)}, ${cols('p', PERSON_COLS)}
  FROM (SELECT 1) AS one LEFT JOIN institutions i ON i.code = $2 LEFT JOIN v ON true LEFT JOIN p ON true`;
const SETTLE_LOCKS_BOOK = SETTLE_LOCKS(true);
const SETTLE_LOCKS_PRE = SETTLE_LOCKS(false);

/**
 * $1 mdtrt_id, $2 personal account, $3 psn_no, $4 year, $5 take a settlement id, $6 emp_no,
 * $7 visit region, $8 visit date, $9 card_no (or null): one row per fee line (one row with
 * null fee columns when there are none), the rest repeated on each.
 */
const SETTLE_READ = `WITH n AS MATERIALIZED (SELECT CASE WHEN $5::boolean THEN nextval('ids') END AS seq)
  SELECT n.seq, b.carried, b.current,
    (SELECT COALESCE(SUM(inscp), 0)::bigint FROM settlements WHERE psn_no = $3 AND year = $4 AND stas = 'settled') AS cum,
    COALESCE((SELECT arrears FROM employers WHERE emp_no = $6), false) AS arrears,
    EXISTS (SELECT 1 FROM filings WHERE psn_no = $3 AND admvs = $7 AND begndate <= $8 AND (enddate IS NULL OR enddate >= $8)) AS filed,
    ${cols('c', CARD_COLS)}, ${cols('f', FEE_COLS)}
  FROM n
  CROSS JOIN (SELECT COALESCE(SUM(amount) FILTER (WHERE bucket = 'carried'), 0)::bigint AS carried,
                     COALESCE(SUM(amount) FILTER (WHERE bucket = 'current'), 0)::bigint AS current
              FROM ledger_entries WHERE account = $2) b
  LEFT JOIN cards c ON c.card_no = $9
  LEFT JOIN fee_lines f ON f.mdtrt_id = $1
  ORDER BY f.feedetl_sn`;

function settle(kind: 'otp' | 'ipt', book: boolean): Handler {
  return {
    platform: true, wrap: 'data', spec: SETTLE_SPEC, ownInstitution: true,
    async run(ctx, input) {
      const mdtrtId = String(input.mdtrt_id);
      const [locked] = await ctx.q.query(book ? SETTLE_LOCKS_BOOK : SETTLE_LOCKS_PRE, [mdtrtId, ctx.env.fixmedins_code, ctx.env.sign_no ?? null]);
      ctx.inst = checkInstitution(ctx, pick(locked, 'i', INST_COLS) as InstRow | undefined, (locked.signin_code as string | null) ?? null, num(locked.clock_offset ?? 0));
      const v = visitChecks(ctx, pick(locked, 'v', VISIT_COLS) as VisitRow | undefined, mdtrtId, String(input.psn_no), kind);
      requireOpen(v, book ? '重复结算' : '预结算');
      if (kind === 'otp' && input.med_type === '21') throw new BizError('门诊结算的医疗类别 med_type 不能为 21（住院）');
      if (kind === 'ipt' && input.med_type !== '21') throw new BizError('住院结算的医疗类别 med_type 应为 21');
      if (input.insutype && input.insutype !== v.insutype) throw new BizError('险种类型 insutype 与挂号时不符');
      const personRow = pick(locked, 'p', PERSON_COLS);
      if (!personRow) throw new BizError(`人员编号 psn_no=${show(v.psn_no)} 不存在`);
      const person = personFrom(personRow);
      const visitDate = v.begntime.slice(0, 10);
      const year = Number(visitDate.slice(0, 4));
      const certType = String(input.mdtrt_cert_type);
      const certNo = String(input.mdtrt_cert_no);
      // Read under the locks: the balance, the year's cumulative covered cost, the card, the
      // employer, the filing, the fee lines (and the settlement id).
      const rows = await ctx.q.query(SETTLE_READ, [v.mdtrt_id, PA(person.psn_no), person.psn_no, year, book, person.emp_no, ctx.inst.admvs, visitDate, certType === '03' ? certNo : null]);
      const r0 = rows[0];
      const lines: FeeRow[] = [];
      for (const r of rows) {
        if (r.f_feedetl_sn === null || r.f_feedetl_sn === undefined) continue;
        lines.push({
          feedetl_sn: String(r.f_feedetl_sn), code: String(r.f_code), name: String(r.f_name), cls: String(r.f_cls),
          amount: num(r.f_amount), fulamt: num(r.f_fulamt), overlmt: num(r.f_overlmt), preselfpay: num(r.f_preselfpay), inscp: num(r.f_inscp),
        });
      }
      if (!lines.length) throw new BizError(`就诊ID ${v.mdtrt_id} 尚未上传费用明细，不能结算`);
      checkInsuplc(ctx, person);
      if (certType === '03') cardChecks(pick(r0, 'c', CARD_COLS) as CardRow | undefined, certNo, input.card_sn as string | undefined, ctx.date, person.psn_no);
      else if (certType === '02' && certNo !== person.certno) throw new BizError('就诊凭证编号（身份证号）与人员不符');
      else if (certType === '01' && certNo !== person.evoucher) throw new BizError('医保电子凭证与人员不符');
      checkEligible(ctx, person, visitDate, !!person.emp_no && r0.arrears === true, r0.filed === true);
      const policy = policyOf(ctx, person.admvs);
      const carried = num(r0.carried);
      const current = num(r0.current);
      const adj = adjudicateWith({ policy, inst: ctx.inst, lines, useAccount: input.acct_used_flag === '1' }, { carried, current, total: carried + current }, num(r0.cum));
      if (adj.totals.total !== input.medfee_sumamt) {
        throw new BizError(`医疗费总额 medfee_sumamt=${fmtFen(input.medfee_sumamt as number)} 与已上传费用明细合计 ${fmtFen(adj.totals.total)} 不符`);
      }
      for (const [k, t] of [['fulamt_ownpay_amt', adj.totals.fulamt], ['overlmt_selfpay', adj.totals.overlmt], ['preselfpay_amt', adj.totals.preselfpay], ['inscp_scp_amt', adj.totals.inscp]] as const) {
        if (input[k] !== undefined && input[k] !== t) throw new BizError(`${k} 与费用明细计算结果 ${fmtFen(t)} 不符`);
      }
      const setlId = book ? idText('ST', ctx.date, r0.seq) : 'PRE';
      const info = setlInfo({ setlId, mdtrtId: v.mdtrt_id, person, inst: ctx.inst, certType, medType: String(input.med_type),
        time: ctx.time, msgid: ctx.env.msgid, adj, stas: book ? 'settled' : 'pre', mdtrtarea: ctx.inst.admvs, age: ageOn(person.brdy, visitDate) });
      if (!book) return info;
      const receipt = buildReceipt({ receiptId: `R${setlId}`, kind: 'settlement', refId: setlId, person, inst: ctx.inst, mdtrtarea: ctx.inst.admvs, time: ctx.time,
        visitDate, medType: String(input.med_type), setlinfo: info.setlinfo, lines, payout: 0, reason: null });
      await writeSettlement(ctx, { setlId, kind, mdtrtId: v.mdtrt_id, person, inst: ctx.inst, year, adj, info, receipt, medType: String(input.med_type) });
      return info;
    },
  };
}

function reverse(kind: 'otp' | 'ipt'): Handler {
  return {
    platform: true, wrap: 'data',
    spec: { setl_id: req(str('结算ID', 30, { re: CODE, what: '字母数字' })), mdtrt_id: mdtrtId(), psn_no: psnNo(), exp_content: str('扩展内容', 200) },
    async run(ctx, input) {
      const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), kind, true);
      const rows = await ctx.q.query(`SELECT * FROM settlements WHERE setl_id = $1 FOR UPDATE`, [input.setl_id]);
      if (!rows.length) throw new BizError(`结算ID setl_id=${show(input.setl_id)} 不存在`);
      const s = rows[0];
      if (s.mdtrt_id !== v.mdtrt_id) throw new BizError(`结算ID ${input.setl_id} 不属于就诊ID ${v.mdtrt_id}`);
      if (s.stas === 'reversed') throw new BizError(`结算ID ${input.setl_id} 已撤销，不能重复撤销`);
      const person = await loadPerson(ctx.q, v.psn_no, true);
      const entries = await ctx.q.query(`SELECT kind, account, bucket, amount FROM ledger_entries WHERE journal_id = $1`, [s.journal_id]);
      const journalId = `J${s.setl_id}-R`;
      await post(ctx.q, { id: journalId, date: ctx.date, ref: String(s.setl_id) },
        entries.map((e) => ({ account: String(e.account), bucket: e.bucket as Line['bucket'], amount: -num(e.amount), kind: e.kind as Line['kind'], memo: '结算撤销' })));
      await ctx.q.query(`UPDATE settlements SET stas = 'reversed', reversal_journal = $2 WHERE setl_id = $1`, [s.setl_id, journalId]);
      await ctx.q.query(`UPDATE visits SET stas = 'registered' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
      const bal = await balances(ctx.q, person.psn_no);
      const info = (typeof s.info === 'string' ? JSON.parse(s.info) : s.info) as { setlinfo: SetlInfo; setldetail: SetlDetail[] };
      info.setlinfo = { ...info.setlinfo, setl_stas: 'reversed', balc: fmtFen(bal.total) };
      const old = await ctx.q.query(`SELECT body FROM receipts WHERE receipt_id = $1`, [`R${s.setl_id}`]);
      if (old.length) {
        const body = typeof old[0].body === 'string' ? JSON.parse(old[0].body) : old[0].body;
        await saveReceipt(ctx.q, { ...body, receipt_id: `R${s.setl_id}-R`, kind: 'reversal', date: ctx.time, balc: fmtFen(bal.total) });
      }
      return info;
    },
  };
}

const admission: Handler = {
  platform: true, wrap: 'mdtrtinfo',
  spec: {
    psn_no: psnNo(), insutype: en('险种类型', INSU_TYPE_CODES, true), mdtrt_cert_type: en('就诊凭证类型', CERT_TYPE, true), mdtrt_cert_no: certNo(),
    card_sn: id('卡识别码', CARD_SN), med_type: en('医疗类别', ['21'], true), ipt_no: req(str('住院号', 30, { re: CODE, what: '字母数字' })),
    begntime: dt('入院时间', true), adm_diag_dscr: str('入院诊断描述', 200), adm_dept_codg: str('入院科室编码', 30), adm_dept_name: str('入院科室名称', 100),
    adm_bed: str('入院床位', 30), atddr_no: str('住院医师编号', 30), chfpdr_name: str('主诊医师姓名', 50), dise_codg: str('病种编码', 30), dise_name: str('病种名称', 100),
    psn_name: str('姓名', 50), certno: id('证件号码', ID_NUMBER), psn_cert_type: str('人员证件类型', 6, { re: CODE }),
    diseinfo: arr('诊断信息', DIAG, 50), emergency_flag: en('急诊标志', ['0', '1']),
  },
  async run(ctx, input) { return { result: await openVisit(ctx, input, 'ipt') }; },
};

const discharge: Handler = {
  platform: true, wrap: 'dscginfo',
  spec: {
    mdtrt_id: mdtrtId(), psn_no: psnNo(), endtime: dt('出院时间', true), dscg_way: str('离院方式', 6), dscg_diag_dscr: str('出院诊断描述', 200),
    dscg_dept_codg: str('出院科室编码', 30), dscg_dept_name: str('出院科室名称', 100), dise_codg: str('病种编码', 30), dise_name: str('病种名称', 100),
    insutype: en('险种类型', INSU_TYPE_CODES), diseinfo: arr('诊断信息', DIAG, 50),
  },
  async run(ctx, input) {
    const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), 'ipt', true);
    if (v.stas === 'cancelled') throw new BizError(`就诊ID ${v.mdtrt_id} 已撤销，不能办理出院`);
    if (v.endtime) throw new BizError(`就诊ID ${v.mdtrt_id} 已办理出院（${v.endtime}）`);
    if (String(input.endtime) < v.begntime) throw new BizError(`出院时间 endtime 早于入院时间 ${v.begntime}`);
    await ctx.q.query(`UPDATE visits SET endtime = $2 WHERE mdtrt_id = $1`, [v.mdtrt_id, input.endtime]);
    return {};
  },
};

const settlementQuery: Handler = {
  platform: true, wrap: 'data',
  spec: { psn_no: psnNo(), setl_id: str('结算ID', 30, { re: CODE }), mdtrt_id: str('就诊ID', 30, { re: CODE }) },
  async run(ctx, input) {
    if (!input.setl_id && !input.mdtrt_id) throw new BizError('结算ID setl_id 与就诊ID mdtrt_id 至少填写一项');
    // Only the asking institution's own settlements: another's is "not found", not refused, so ids cannot be probed.
    const mine = `s.mdtrt_id IN (SELECT mdtrt_id FROM visits WHERE fixmedins_code = $2)`;
    const rows = input.setl_id
      ? await ctx.q.query(`SELECT s.* FROM settlements s WHERE s.setl_id = $1 AND ${mine}`, [input.setl_id, ctx.env.fixmedins_code])
      : await ctx.q.query(`SELECT s.* FROM settlements s WHERE s.mdtrt_id = $1 AND ${mine} ORDER BY s.setl_id DESC LIMIT 1`, [input.mdtrt_id, ctx.env.fixmedins_code]);
    if (!rows.length) throw new BizError(input.setl_id ? `结算ID setl_id=${show(input.setl_id)} 不存在` : `就诊ID ${show(input.mdtrt_id)} 没有结算记录`);
    const s = rows[0];
    if (s.psn_no !== input.psn_no) throw new BizError('结算记录与人员编号 psn_no 不符');
    if (input.mdtrt_id && s.mdtrt_id !== input.mdtrt_id) throw new BizError('结算ID 与就诊ID 不符');
    const info = (typeof s.info === 'string' ? JSON.parse(s.info) : s.info) as { setlinfo: SetlInfo; setldetail: SetlDetail[] };
    return { ...info, setlinfo: { ...info.setlinfo, setl_stas: s.stas } };
  },
};

// ------------------------------------------------------------------ 2601 冲正

/** What each transaction books, for 2601: read-only ones book nothing. */
// Catalogue downloads (13xx) only make a file to fetch: nothing of the business to undo.
const READ_ONLY = new Set(['9001', '1101', '2206', '2303', '5203', '1901', '3201', '9102', ...Object.keys(QUERIES), ...Object.keys(CATALOGUE_TRANSACTIONS).filter((n) => n.startsWith('13'))]);

/**
 * 2601: the sender's message omsgid never reached its answer to the HIS (a transport
 * failure); undo what it booked, as if it had not been sent. Before anything else the msgid
 * is taken (a tombstone, if the original never arrived), so an original still on its way
 * fails on the msgid's key and books nothing; a replay of it says it was reversed.
 */
const reversal: Handler = {
  platform: true, wrap: 'data',
  spec: {
    psn_no: psnNo(), omsgid: req(str('原发送方报文ID', 40, { re: /^[A-Za-z0-9]+$/, what: '字母数字' })),
    oinfno: req(str('原交易编号', 4, { re: /^[0-9]{4}$/, what: '4 位数字' })),
  },
  async run(ctx, input) {
    const [omsgid, oinfno, psn] = [String(input.omsgid), String(input.oinfno), String(input.psn_no)];
    const done = (rvs: '0' | '1', memo: string) => ({ data: { omsgid, oinfno, rvs_stas: rvs, memo } });
    if (oinfno === '2601') throw new BizError('input.oinfno（原交易编号）不能是 2601：冲正交易本身不能冲正');
    const tomb = ctx.refusal(`报文ID msgid=${omsgid} 已由 2601 冲正（${ctx.env.msgid}），请使用新的 msgid 重新发送`);
    const placed = await ctx.q.query(`INSERT INTO messages (sender, msgid, infno, req_hash, infcode, response) VALUES ($1,$2,$3,$4,-1,$5)
      ON CONFLICT (sender, msgid) DO NOTHING RETURNING 1`, [ctx.env.fixmedins_code, omsgid, oinfno, REVERSED, JSON.stringify(tomb)]);
    if (placed.length) return done('0', '原交易未被受理，没有可冲正的记账');
    const [m] = await ctx.q.query<{ infno: string; infcode: unknown; req_hash: string; response: string }>(
      `SELECT infno, infcode, req_hash, response FROM messages WHERE sender = $1 AND msgid = $2 FOR UPDATE`, [ctx.env.fixmedins_code, omsgid]);
    if (m.req_hash === REVERSED) return done('0', '原交易已冲正');
    if (m.infno !== oinfno) throw new BizError(`input.oinfno（原交易编号）${oinfno} 与报文 ${omsgid} 的交易编号 ${m.infno} 不符`);
    if (num(m.infcode) !== 0) return done('0', '原交易未成功，没有记账');
    if (READ_ONLY.has(oinfno)) return done('0', `原交易 ${oinfno} 只查询不记账，无需冲正`);
    const out = (JSON.parse(m.response) as { output: Record<string, any> }).output;
    const undone = await undo(ctx, oinfno, omsgid, out, psn);
    await ctx.q.query(`UPDATE messages SET req_hash = $3, response = $4 WHERE sender = $1 AND msgid = $2`, [ctx.env.fixmedins_code, omsgid, REVERSED, JSON.stringify(tomb)]);
    return undone ? done('1', undone) : done('0', '原交易的记账已撤销，没有可冲正的内容');
  },
};

/** Undo one booking; what was undone, or null when it had been undone already (2202, 2205, 2208). */
async function undo(ctx: Ctx, oinfno: string, omsgid: string, out: Record<string, any>, psn: string): Promise<string | null> {
  const mine = (v: VisitRow) => { if (v.psn_no !== psn) throw new BizError(`input.psn_no（人员编号）${show(psn)} 与原交易的人员不符`); return v; };
  switch (oinfno) {
    case '2201': case '2401': {
      const v = mine(await loadVisit(ctx, String((out.data ?? out.result).mdtrt_id), undefined, null, true));
      if (v.stas === 'cancelled') return null;
      if (v.stas === 'settled') throw new BizError(`就诊ID ${v.mdtrt_id} 已结算，请先冲正或撤销结算，再冲正登记`);
      await ctx.q.query(`UPDATE visits SET stas = 'cancelled' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
      return `就诊ID ${v.mdtrt_id} 的登记已撤销`;
    }
    case '2204': case '2301': {
      const rows = await ctx.q.query<{ mdtrt_id: string }>(`SELECT DISTINCT f.mdtrt_id FROM fee_lines f JOIN visits v ON v.mdtrt_id = f.mdtrt_id
        WHERE f.msgid = $1 AND v.fixmedins_code = $2`, [omsgid, ctx.env.fixmedins_code]);
      if (!rows.length) return null;
      const v = mine(await loadVisit(ctx, rows[0].mdtrt_id, undefined, null, true));
      requireOpen(v, '冲正费用明细');
      const gone = await ctx.q.query(`DELETE FROM fee_lines WHERE mdtrt_id = $1 AND msgid = $2 RETURNING feedetl_sn`, [v.mdtrt_id, omsgid]);
      return `就诊ID ${v.mdtrt_id} 的 ${gone.length} 条费用明细已删除`;
    }
    case '2207': case '2304': {
      const { setl_id: setlId, mdtrt_id: mdtrtId } = out.setlinfo as SetlInfo;
      const v = mine(await loadVisit(ctx, mdtrtId, undefined, null, true));
      await loadPerson(ctx.q, v.psn_no, true);
      const [s] = await ctx.q.query(`SELECT stas, journal_id FROM settlements WHERE setl_id = $1 FOR UPDATE`, [setlId]);
      if (!s || s.stas === 'reversed') return null;
      // As if it had never been: its journal, receipt and settlement go, the visit is open again.
      await ctx.q.query(`DELETE FROM ledger_entries WHERE journal_id = $1`, [s.journal_id]);
      await ctx.q.query(`DELETE FROM receipts WHERE ref_id = $1`, [setlId]);
      await ctx.q.query(`DELETE FROM settlements WHERE setl_id = $1`, [setlId]);
      await ctx.q.query(`UPDATE visits SET stas = 'registered' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
      return `结算ID ${setlId} 已冲正`;
    }
    case '2403': case '2404': case '2405':
      return undoStayChange(ctx, oinfno, omsgid, mine);
    default:
      if (STOCK_UPLOADS.includes(oinfno)) return undoStockUpload(ctx, omsgid);
      throw new BizError(`原交易 ${oinfno} 不能冲正：请用对应的撤销交易（2202 / 2205 / 2208 / 2302 / 2305）`);
  }
}

export const PLATFORM: Record<string, Handler> = {
  '9001': signIn, '9002': signOut, '1101': personLookup, '2601': reversal,
  '2201': register, '2202': registerCancel, '2203': visitInfo, '2204': feeUpload('otp'), '2205': feeCancel('otp'),
  '2206': settle('otp', false), '2207': settle('otp', true), '2208': reverse('otp'),
  '2401': admission, '2301': feeUpload('ipt'), '2302': feeCancel('ipt'), '2303': settle('ipt', false), '2304': settle('ipt', true), '2305': reverse('ipt'),
  '2402': discharge, '5203': settlementQuery,
  ...QUERIES,
  ...INPATIENT,
  ...PHARMACY,
  ...FILES,
  ...CATALOGUE_TRANSACTIONS,
  ...RECONCILE,
};
