// Changes to an inpatient stay after 2401 admission: 2403 住院信息变更 (the admission's
// fields), 2404 入院撤销 (the admission cancelled), 2405 出院撤销 (the discharge undone, the
// stay open again). None is allowed while a settlement of the stay is in force: reverse it
// first (2305), as the platform requires.
import { type Ctx, type Handler, type VisitRow, DIAG, loadVisit, mdtrtId, psnNo, requireOpen, show } from './context';
import { BizError, any, arr, dt, en, str, CODE } from './validate';

/** The stay, this institution's and the person's, locked; refused while cancelled or settled. */
async function openStay(ctx: Ctx, input: Record<string, unknown>, what: string): Promise<VisitRow> {
  const v = await loadVisit(ctx, String(input.mdtrt_id), String(input.psn_no), 'ipt', true);
  requireOpen(v, what);
  return v;
}

/** 2403's fields that the engine keeps with the stay (the rest are checked and accepted, as the platform records them). */
const ADMINFO_KEPT = ['adm_diag_dscr', 'adm_dept_codg', 'adm_dept_name', 'adm_bed', 'atddr_no', 'chfpdr_name', 'dscg_maindiag_code', 'dscg_maindiag_name',
  'main_cond_dscr', 'dise_codg', 'dise_name', 'oprn_oprt_code', 'oprn_oprt_name', 'coner_name', 'tel', 'medrcdno'] as const;

const changeAdmission: Handler = {
  platform: true, wrap: 'adminfo',
  spec: {
    mdtrt_id: mdtrtId(), psn_no: psnNo(), coner_name: str('联系人姓名', 50), tel: str('联系电话', 50), begntime: dt('开始时间'), endtime: dt('结束时间'),
    mdtrt_cert_type: en('就诊凭证类型', ['01', '02', '03']), med_type: en('医疗类别', ['21']), ipt_otp_no: str('住院/门诊号', 30, { re: CODE, what: '字母数字' }),
    medrcdno: str('病历号', 30), atddr_no: str('主治医生编码', 30), chfpdr_name: str('主诊医师姓名', 50), adm_diag_dscr: str('入院诊断描述', 200),
    adm_dept_codg: str('入院科室编码', 30), adm_dept_name: str('入院科室名称', 100), adm_bed: str('入院床位', 30), dscg_maindiag_code: str('住院主诊断代码', 20),
    dscg_maindiag_name: str('住院主诊断名称', 300), main_cond_dscr: str('主要病情描述', 1000), dise_codg: str('病种编码', 30), dise_name: str('病种名称', 500),
    oprn_oprt_code: str('手术操作代码', 30), oprn_oprt_name: str('手术操作名称', 500), fpsc_no: str('计划生育服务证号', 50), matn_type: str('生育类别', 6),
    birctrl_type: str('计划生育手术类别', 6), latechb_flag: str('晚育标志', 3), geso_val: str('孕周数', 2, { re: /^\d*$/, what: '数字' }),
    fetts: str('胎次', 3, { re: /^\d*$/, what: '数字' }), fetus_cnt: str('胎儿数', 3, { re: /^\d*$/, what: '数字' }), pret_flag: str('早产标志', 3),
    birctrl_matn_date: str('计划生育手术或生育日期', 19), dise_type_code: str('病种编号', 6), exp_content: any('扩展内容'),
    diseinfo: arr('诊断信息', DIAG, 50),
  },
  async run(ctx, input) {
    const v = await openStay(ctx, input, '变更住院信息');
    const begntime = String(input.begntime ?? v.begntime);
    if (input.endtime !== undefined && !v.endtime) throw new BizError(`就诊ID ${v.mdtrt_id} 尚未出院，不能变更出院时间 endtime（出院请用 2402）`);
    const endtime = (input.endtime as string | undefined) ?? v.endtime;
    if (endtime && endtime < begntime) throw new BizError(`出院时间 ${endtime} 早于入院时间 ${begntime}`);
    const serial = String(input.ipt_otp_no ?? v.ipt_otp_no);
    if (serial !== v.ipt_otp_no) {
      const dup = await ctx.q.query(`SELECT mdtrt_id FROM visits WHERE fixmedins_code = $1 AND ipt_otp_no = $2 AND stas <> 'cancelled'`, [ctx.env.fixmedins_code, serial]);
      if (dup.length) throw new BizError(`住院号 ${show(serial)} 已登记（就诊ID ${dup[0].mdtrt_id}）`);
    }
    // What 2401 keeps (dept, doctor, diseinfo) follows the change; the other fields join those kept under adminfo.
    const named: Record<string, unknown> = {};
    for (const [key, from] of [['dept', 'adm_dept_name'], ['doctor', 'chfpdr_name'], ['diseinfo', 'diseinfo'], ['dise_codg', 'dise_codg'], ['dise_name', 'dise_name']]) {
      if (input[from] !== undefined) named[key] = input[from];
    }
    const adminfo = Object.fromEntries(ADMINFO_KEPT.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));
    await ctx.q.query(`UPDATE visits SET begntime = $2, endtime = $3, ipt_otp_no = $4,
      info = info || $5::jsonb || jsonb_build_object('adminfo', COALESCE(info->'adminfo', '{}'::jsonb) || $6::jsonb) WHERE mdtrt_id = $1`,
    [v.mdtrt_id, begntime, endtime, serial, JSON.stringify(named), JSON.stringify(adminfo)]);
    return {};
  },
};

const STAY_SPEC = { mdtrt_id: mdtrtId(), psn_no: psnNo(), exp_content: any('扩展内容') };

/** 2404: the admission is cancelled; its number may be admitted again. The msgid is kept with the stay, for 2601. */
const cancelAdmission: Handler = {
  platform: true, wrap: 'data', spec: STAY_SPEC,
  async run(ctx, input) {
    const v = await openStay(ctx, input, '撤销入院');
    await ctx.q.query(`UPDATE visits SET stas = 'cancelled', info = info || jsonb_build_object('cancelled_by', $2::text) WHERE mdtrt_id = $1`, [v.mdtrt_id, ctx.env.msgid]);
    return {};
  },
};

/** 2405: the discharge is undone; the stay takes fees and a discharge again. The discharge time is kept with the msgid, for 2601. */
const cancelDischarge: Handler = {
  platform: true, wrap: 'data', spec: STAY_SPEC,
  async run(ctx, input) {
    const v = await openStay(ctx, input, '撤销出院');
    if (!v.endtime) throw new BizError(`就诊ID ${v.mdtrt_id} 尚未办理出院，没有可撤销的出院`);
    await ctx.q.query(`UPDATE visits SET endtime = NULL, info = info || jsonb_build_object('discharge_undone', jsonb_build_object('msgid', $2::text, 'endtime', $3::text))
      WHERE mdtrt_id = $1`, [v.mdtrt_id, ctx.env.msgid, v.endtime]);
    return {};
  },
};

/**
 * 2601 of 2404 / 2405: the stay as before the message — admitted again, or discharged at the
 * time it had; null when that is no longer so (undone already, or discharged again since).
 * `mine` is 2601's check that the stay is the person's. 2403 is refused: its old values are
 * not kept, and a new 2403 writes them back.
 */
export async function undoStayChange(ctx: Ctx, oinfno: string, omsgid: string, mine: (v: VisitRow) => VisitRow): Promise<string | null> {
  if (oinfno === '2403') throw new BizError('原交易 2403 不能冲正：请以新的 2403 写回原来的住院信息');
  const [row] = await ctx.q.query<{ mdtrt_id: string }>(oinfno === '2404'
    ? `SELECT mdtrt_id FROM visits WHERE fixmedins_code = $1 AND info->>'cancelled_by' = $2`
    : `SELECT mdtrt_id FROM visits WHERE fixmedins_code = $1 AND info->'discharge_undone'->>'msgid' = $2`, [ctx.env.fixmedins_code, omsgid]);
  if (!row) return null;
  const v = mine(await loadVisit(ctx, row.mdtrt_id, undefined, 'ipt', true));
  if (oinfno === '2404') {
    if (v.stas !== 'cancelled') return null;
    const dup = await ctx.q.query(`SELECT mdtrt_id FROM visits WHERE fixmedins_code = $1 AND ipt_otp_no = $2 AND stas <> 'cancelled'`, [ctx.env.fixmedins_code, v.ipt_otp_no]);
    if (dup.length) throw new BizError(`住院号 ${show(v.ipt_otp_no)} 已由就诊ID ${dup[0].mdtrt_id} 使用，不能冲正入院撤销`);
    await ctx.q.query(`UPDATE visits SET stas = 'registered', info = info - 'cancelled_by' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
    return `就诊ID ${v.mdtrt_id} 的入院撤销已冲正`;
  }
  if (v.endtime) return null;
  requireOpen(v, '冲正出院撤销');
  await ctx.q.query(`UPDATE visits SET endtime = info->'discharge_undone'->>'endtime', info = info - 'discharge_undone' WHERE mdtrt_id = $1`, [v.mdtrt_id]);
  return `就诊ID ${v.mdtrt_id} 的出院撤销已冲正`;
}

export const INPATIENT: Record<string, Handler> = { '2403': changeAdmission, '2404': cancelAdmission, '2405': cancelDischarge };
