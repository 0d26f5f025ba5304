// What a HIS asks of the platform without booking anything: the benefit check before a visit
// (2001) and the 52xx queries — visits (5201), diagnoses (5202), fee lines (5204),
// chronic-disease drug records (5205), a person's cumulative figures for the year (5206).
// Each answers from the sender's own records only: another institution's visit is "not
// found", never "not yours", so ids cannot be probed (as 5203 does).
import { num } from './db';
import {
  type CardRow, type Ctx, type Handler, type PersonRow, cardChecks, checkInsuplc, checkInsutype, eligibilityProblems, employerArrears, hasFiling,
  loadPerson, mdtrtId, psnNo, show,
} from './context';
import { BizError, any, cntText, dt, en, id, str, CODE } from './validate';
import { INSU_TYPE_CODES, MED_TYPE_CODES, PERSON_NUMBER } from '../spec';
import { ageOn, chrgitmLv } from './rules';
import { cumulativeCovered } from './settle';
import { fmtFen, fmtRatio, toFen } from '../platform';

/** The fund payment types a person's insurance type has (the platform's fund_pay_type codes). */
const FUND_PAY_TYPES: Record<string, Array<[code: string, name: string]>> = {
  '310': [['310100', '职工基本医疗保险统筹基金'], ['310200', '职工基本医疗保险个人账户']],
  '390': [['390100', '城乡居民基本医疗保险基金']],
};

/**
 * 2001 人员待遇享受检查: one row per fund the person's insurance pays from, enjoyed ('1') or
 * not ('0') with every reason the settlement would refuse for (eligibilityProblems, the
 * settlement's own list), and one row per card of the person that cannot be used (cardChecks,
 * the card rule of 1101 and the settlement). Asked before the first visit, so any person.
 */
const benefitCheck: Handler = {
  platform: true, wrap: 'data',
  spec: {
    psn_no: psnNo(), insutype: en('险种类型', INSU_TYPE_CODES, true), fixmedins_code: str('定点医药机构编号', 30, { re: CODE, what: '字母数字' }),
    med_type: en('医疗类别', MED_TYPE_CODES, true), begntime: dt('开始时间', true), endtime: dt('结束时间'), dise_codg: str('病种编码', 30),
    dise_name: str('病种名称', 500), oprn_oprt_code: str('手术操作代码', 30), oprn_oprt_name: str('手术操作名称', 500), matn_type: str('生育类别', 6),
    birctrl_type: str('计划生育手术类别', 6), exp_content: any('扩展内容'),
  },
  async run(ctx, input) {
    if (input.fixmedins_code && input.fixmedins_code !== ctx.env.fixmedins_code) {
      throw new BizError(`input.fixmedins_code（定点医药机构编号）${show(input.fixmedins_code)} 与报文的 fixmedins_code ${ctx.env.fixmedins_code} 不符：只能检查在本机构的就医`);
    }
    const p = await loadPerson(ctx.q, String(input.psn_no));
    checkInsuplc(ctx, p);
    checkInsutype(String(input.insutype), p);
    const begndate = String(input.begntime).slice(0, 10);
    const enddate = input.endtime ? String(input.endtime).slice(0, 10) : null;
    if (enddate && enddate < begndate) throw new BizError('input.endtime（结束时间）早于 begntime（开始时间）');
    const problems = eligibilityProblems(ctx, p, begndate, await employerArrears(ctx.q, p), await hasFiling(ctx.q, p.psn_no, ctx.inst!.admvs, begndate));
    const row = (trtChkType: string, fundPayType: string | null, enjoyed: boolean, rslt: string) =>
      ({ psn_no: p.psn_no, trt_chk_type: trtChkType, fund_pay_type: fundPayType, trt_enjymnt_flag: enjoyed ? '1' : '0', begndate, enddate, trt_chk_rslt: rslt });
    const trtinfo = (FUND_PAY_TYPES[p.insutype] ?? []).map(([code, name]) =>
      row('01', code, problems.length === 0, problems.length ? problems.join('；') : `享受${name}待遇`));
    const cards = await ctx.q.query<CardRow & Record<string, unknown>>(`SELECT * FROM cards WHERE psn_no = $1 ORDER BY card_no`, [p.psn_no]);
    for (const c of cards) {
      try { cardChecks(c, c.card_no, undefined, ctx.date, p.psn_no); } catch (e) {
        if (!(e instanceof BizError)) throw e;
        trtinfo.push(row('99', null, false, `${e.message}（持此卡不能结算，可用其他有效就诊凭证）`));
      }
    }
    return { trtinfo };
  },
};

/** The person as query answers describe them (the fields 1101 and 5203 answer). */
const personFields = (p: PersonRow, onDate: string) => ({
  psn_no: p.psn_no, psn_cert_type: '01', certno: p.certno, psn_name: p.name, gend: p.gend, naty: p.naty, brdy: p.brdy, age: ageOn(p.brdy, onDate),
  insutype: p.insutype, psn_type: p.retired ? '1102' : '1101', insuplc_admdvs: p.admvs,
});

/** 5201 就诊信息查询: the person's visits at this institution that began in the period. */
const visitQuery: Handler = {
  platform: true, wrap: 'data',
  spec: {
    psn_no: psnNo(), begntime: dt('开始时间', true), endtime: dt('结束时间'), med_type: en('医疗类别', MED_TYPE_CODES),
    mdtrt_id: str('就诊ID', 30, { re: CODE, what: '字母数字' }),
  },
  async run(ctx, input) {
    const p = await loadPerson(ctx.q, String(input.psn_no));
    const rows = await ctx.q.query(`SELECT * FROM visits WHERE fixmedins_code = $1 AND psn_no = $2 AND begntime >= $3 AND ($4::text IS NULL OR begntime <= $4)
      AND ($5::text IS NULL OR med_type = $5) AND ($6::text IS NULL OR mdtrt_id = $6) ORDER BY begntime, mdtrt_id`,
    [ctx.env.fixmedins_code, p.psn_no, input.begntime, input.endtime ?? null, input.med_type ?? null, input.mdtrt_id ?? null]);
    const mdtrtinfo = rows.map((v) => {
      const info = (typeof v.info === 'string' ? JSON.parse(v.info) : v.info) as { dept?: string | null; doctor?: string | null; dise_codg?: string | null; dise_name?: string | null };
      return {
        mdtrt_id: v.mdtrt_id, ...personFields(p, String(v.begntime).slice(0, 10)), begntime: v.begntime, endtime: v.endtime, med_type: v.med_type,
        ipt_otp_no: v.ipt_otp_no, mdtrt_cert_type: v.cert_type, dise_codg: info.dise_codg ?? null, dise_name: info.dise_name ?? null, dept_name: info.dept ?? null,
        chfpdr_name: info.doctor ?? null, fixmedins_code: ctx.inst!.code, fixmedins_name: ctx.inst!.name, mdtrtarea_admvs: v.admvs,
        // The engine's own word on the visit: registered, settled or cancelled (vali_flag 0).
        mdtrt_stas: v.stas, vali_flag: v.stas === 'cancelled' ? '0' : '1',
      };
    });
    return { mdtrtinfo };
  },
};

/** A visit of this institution, or "not found" (whoever else holds that id). */
async function ownVisit(ctx: Ctx, mdtrtIdValue: unknown, psn: unknown): Promise<Record<string, unknown>> {
  const [v] = await ctx.q.query(`SELECT * FROM visits WHERE mdtrt_id = $1 AND fixmedins_code = $2`, [mdtrtIdValue, ctx.env.fixmedins_code]);
  if (!v) throw new BizError(`就诊ID mdtrt_id=${show(mdtrtIdValue)} 不存在`);
  if (psn !== undefined && v.psn_no !== psn) throw new BizError(`就诊ID ${v.mdtrt_id} 与人员编号 psn_no=${show(psn)} 不符`);
  return v;
}

/** 5202 诊断信息查询: the diagnoses the visit's admission, visit information or discharge gave. */
const diagnosisQuery: Handler = {
  platform: true, wrap: 'data',
  spec: { mdtrt_id: mdtrtId(), psn_no: id('人员编号', PERSON_NUMBER) },
  async run(ctx, input) {
    const v = await ownVisit(ctx, input.mdtrt_id, input.psn_no);
    const info = (typeof v.info === 'string' ? JSON.parse(v.info) : v.info) as { diseinfo?: Array<Record<string, unknown>> };
    return { diseinfo: (info.diseinfo ?? []).map((d) => ({ mdtrt_id: v.mdtrt_id, psn_no: v.psn_no, ...d })) };
  },
};

/** A fee line as 2204 answered it, from the row it stored. */
function feeLineOut(l: Record<string, unknown>, psn: unknown) {
  const capFen = l.cap_fen === null ? null : num(l.cap_fen);
  return {
    feedetl_sn: l.feedetl_sn, mdtrt_id: l.mdtrt_id, psn_no: psn, med_list_codg: l.code, med_list_name: l.name, fee_ocur_time: l.fee_time,
    det_item_fee_sumamt: fmtFen(num(l.amount)), cnt: cntText(num(l.cnt4)), pric: fmtFen(num(l.pric)), pric_uplmt_amt: capFen === null ? null : fmtFen(capFen),
    selfpay_prop: fmtRatio(num(l.selfpay_bp)), fulamt_ownpay_amt: fmtFen(num(l.fulamt)), overlmt_amt: fmtFen(num(l.overlmt)),
    preselfpay_amt: fmtFen(num(l.preselfpay)), inscp_scp_amt: fmtFen(num(l.inscp)), chrgitm_lv: chrgitmLv(String(l.cls)), med_chrgitm_type: l.chrgitm_type,
  };
}

/** 5204 费用明细查询: the fee lines of a visit of this institution (and of its settlement, when setl_id is given). */
const feeQuery: Handler = {
  platform: true, wrap: 'data',
  spec: { psn_no: psnNo(), mdtrt_id: mdtrtId(), setl_id: str('结算ID', 30, { re: CODE, what: '字母数字' }) },
  async run(ctx, input) {
    const v = await ownVisit(ctx, input.mdtrt_id, input.psn_no);
    if (input.setl_id) {
      const [s] = await ctx.q.query(`SELECT 1 FROM settlements WHERE setl_id = $1 AND mdtrt_id = $2`, [input.setl_id, v.mdtrt_id]);
      if (!s) throw new BizError(`结算ID setl_id=${show(input.setl_id)} 不存在或不属于就诊ID ${v.mdtrt_id}`);
    }
    const lines = await ctx.q.query(`SELECT * FROM fee_lines WHERE mdtrt_id = $1 ORDER BY feedetl_sn`, [v.mdtrt_id]);
    return { feedetail: lines.map((l) => feeLineOut(l, v.psn_no)) };
  },
};

/** Medical charge types of drugs (西药费, 中药饮片费, 中成药费): what 5205 lists. */
const DRUG_CHARGE_TYPES = ['09', '10', '11'];

/** 5205 人员慢特病用药记录查询: drug lines of the person's chronic and special disease visits (med_type 14) here, by fee time. */
const chronicDrugQuery: Handler = {
  platform: true, wrap: 'data',
  spec: { psn_no: psnNo(), begntime: dt('开始时间', true), endtime: dt('结束时间') },
  async run(ctx, input) {
    const p = await loadPerson(ctx.q, String(input.psn_no));
    const lines = await ctx.q.query(`SELECT f.*, v.med_type FROM fee_lines f JOIN visits v ON v.mdtrt_id = f.mdtrt_id
      WHERE v.fixmedins_code = $1 AND v.psn_no = $2 AND v.med_type = '14' AND v.stas <> 'cancelled' AND f.chrgitm_type = ANY($3::text[])
        AND f.fee_time >= $4 AND ($5::text IS NULL OR f.fee_time <= $5)
      ORDER BY f.fee_time, f.mdtrt_id, f.feedetl_sn`, [ctx.env.fixmedins_code, p.psn_no, DRUG_CHARGE_TYPES, input.begntime, input.endtime ?? null]);
    return {
      feedetail: lines.map((l) => ({
        ...feeLineOut(l, p.psn_no), hilist_code: l.code, hilist_name: l.name, med_type: l.med_type, fixmedins_code: ctx.inst!.code, fixmedins_name: ctx.inst!.name,
      })),
    };
  },
};

/**
 * 5206 人员累计信息查询: what the engine's rules accumulate for the person in the year of
 * cum_ym (the business year if absent), over all institutions, as the settlement reads them:
 * money from the ledger (the journals of the person's settlements that year, net of
 * reversals), the covered cost A from cumulativeCovered (the settlement's own reading), the
 * deductible from the settlements in force. Only an institution that has had a visit of the
 * person may ask: any other is answered "not found".
 */
const cumulativeQuery: Handler = {
  platform: true, wrap: 'data',
  spec: { psn_no: psnNo(), cum_ym: str('累计年月', 6, { re: /^\d{4}(0[1-9]|1[0-2])$/, what: 'yyyyMM' }) },
  async run(ctx, input) {
    const p = await loadPerson(ctx.q, String(input.psn_no));
    const [seen] = await ctx.q.query(`SELECT 1 FROM visits WHERE psn_no = $1 AND fixmedins_code = $2 LIMIT 1`, [p.psn_no, ctx.env.fixmedins_code]);
    if (!seen) throw new BizError(`人员编号 psn_no=${show(p.psn_no)} 在本机构没有就诊记录，不能查询其累计信息`);
    const cumYm = String(input.cum_ym ?? ctx.date.slice(0, 7).replace('-', ''));
    const year = Number(cumYm.slice(0, 4));
    const moved = await ctx.q.query<{ kind: string; s: unknown }>(`SELECT e.kind, COALESCE(SUM(e.amount), 0)::bigint AS s FROM ledger_entries e
      JOIN settlements s ON e.ref = s.setl_id WHERE s.psn_no = $1 AND s.year = $2 GROUP BY e.kind`, [p.psn_no, year]);
    const sum = (kind: string) => num(moved.find((m) => m.kind === kind)?.s ?? 0);
    const inForce = await ctx.q.query<{ kind: string; dedc: string }>(`SELECT kind, info->'setlinfo'->>'act_pay_dedc' AS dedc FROM settlements
      WHERE psn_no = $1 AND year = $2 AND stas = 'settled'`, [p.psn_no, year]);
    const deductible = inForce.reduce((a, s) => a + toFen(s.dedc), 0);
    const cum = (code: string, value: string) => ({ insutype: p.insutype, year: String(year), cum_ym: cumYm, cum_type_code: code, cum: value });
    return {
      cuminfo: [
        cum('S0000', fmtFen(sum('institution'))),
        cum('INSCP', fmtFen(await cumulativeCovered(ctx.q, p.psn_no, year))),
        cum('Q0000', fmtFen(deductible)),
        cum('F0000', fmtFen(-sum('fund_pay'))),
        cum('A0000', fmtFen(-sum('account_debit'))),
        cum('C0000', String(inForce.filter((s) => s.kind === 'ipt').length)),
      ],
    };
  },
};

export const QUERIES: Record<string, Handler> = {
  '2001': benefitCheck, '5201': visitQuery, '5202': diagnosisQuery, '5204': feeQuery, '5205': chronicDrugQuery, '5206': cumulativeQuery,
};
