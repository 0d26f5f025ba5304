// Day-end reconciliation: 3201 compares the HIS's totals with the sender's settlements,
// 3202 compares its list of settlements (a file uploaded by 9101) row by row and answers a
// result file (fetched by 9102) naming every row that differs or is missing on either side.
import type { Ctx, Handler } from './context';
import { show } from './context';
import { num } from './db';
import { BizError, req, str, id, en, date, money, int, CODE } from './validate';
import { INSU_TYPE_CODES, REGION_CODE } from '../spec';
import { fmtFen, toFen, MoneyError } from '../platform';
import { CLR_TYPE_CODES } from './dictionaries';
import { keepFile, ownFile } from './files';
import { readZip, writeZip } from './zip';

/** What a detail file may unpack to, and hold. */
const MAX_DETAIL_BYTES = 4 * 1024 * 1024;
const MAX_DETAIL_ROWS = 20_000;

const PERIOD = {
  setl_optins: req(id('结算经办机构', REGION_CODE)), clr_type: en('清算类别', CLR_TYPE_CODES, true),
  stmt_begndate: date('对账开始日期', true), stmt_enddate: date('对账结束日期', true),
};

interface SetlRow { setl_id: string; mdtrt_id: string; psn_no: string; stas: string; total: number; fund: number; acct: number; msgid: string }

/**
 * The sender's settlements of the period (by settlement date) for one clearing type and
 * clearing agency (the insured region), optionally one insurance type.
 */
async function settlementsOf(ctx: Ctx, input: Record<string, unknown>, insutype: string | null): Promise<SetlRow[]> {
  if (String(input.stmt_enddate) < String(input.stmt_begndate)) throw new BizError('input.stmt_enddate（对账结束日期）早于 stmt_begndate（对账开始日期）');
  const rows = await ctx.q.query(`SELECT s.setl_id, s.mdtrt_id, s.psn_no, s.stas, s.total, s.fund, s.acct, s.info->'setlinfo'->>'medins_setl_id' AS msgid
    FROM settlements s JOIN visits v ON v.mdtrt_id = s.mdtrt_id
    WHERE v.fixmedins_code = $1 AND substr(s.setl_time, 1, 10) BETWEEN $2 AND $3
      AND s.info->'setlinfo'->>'clr_type' = $4 AND s.info->'setlinfo'->>'clr_optins' = $5 AND ($6::text IS NULL OR s.info->'setlinfo'->>'insutype' = $6)
    ORDER BY s.setl_id`, [ctx.env.fixmedins_code, input.stmt_begndate, input.stmt_enddate, input.clr_type, input.setl_optins, insutype]);
  return rows.map((r) => ({ setl_id: String(r.setl_id), mdtrt_id: String(r.mdtrt_id), psn_no: String(r.psn_no), stas: String(r.stas),
    total: num(r.total), fund: num(r.fund), acct: num(r.acct), msgid: String(r.msgid ?? '') }));
}

// ------------------------------------------------------------------ 3201

const totals: Handler = {
  platform: true, wrap: 'data',
  spec: {
    insutype: en('险种', INSU_TYPE_CODES, true), ...PERIOD,
    medfee_sumamt: money('医疗费总额', true), fund_pay_sumamt: money('基金支付总额', true), acct_pay: money('个人账户支付金额', true),
    fixmedins_setl_cnt: int('定点医药机构结算笔数', 0, 999_999_999, true),
    // '1': the totals are of settlements since reversed (2208 / 2305); default, those in force.
    refd_setl_flag: en('退费结算标志', ['0', '1']),
  },
  async run(ctx, input) {
    const stas = input.refd_setl_flag === '1' ? 'reversed' : 'settled';
    const rows = (await settlementsOf(ctx, input, String(input.insutype))).filter((r) => r.stas === stas);
    const sum = (k: 'total' | 'fund' | 'acct') => rows.reduce((s, r) => s + r[k], 0);
    const ours: Array<[string, string, number, number, (n: number) => string]> = [
      ['medfee_sumamt', '医疗费总额', input.medfee_sumamt as number, sum('total'), fmtFen],
      ['fund_pay_sumamt', '基金支付总额', input.fund_pay_sumamt as number, sum('fund'), fmtFen],
      ['acct_pay', '个人账户支付金额', input.acct_pay as number, sum('acct'), fmtFen],
      ['fixmedins_setl_cnt', '结算笔数', input.fixmedins_setl_cnt as number, rows.length, String],
    ];
    const differ = ours.filter(([, , theirs, mine]) => theirs !== mine);
    const dscr = differ.length
      ? `对账不平：${differ.map(([k, label, theirs, mine, f]) => `${label} ${k} 医药机构 ${f(theirs)}，中心 ${f(mine)}`).join('；')}`
      : `对账平衡：${rows.length} 笔，医疗费总额 ${fmtFen(sum('total'))}，基金支付 ${fmtFen(sum('fund'))}，个人账户支付 ${fmtFen(sum('acct'))}`;
    return { stmtinfo: { setl_optins: input.setl_optins, stmt_rslt: differ.length ? '1' : '0', stmt_rslt_dscr: dscr } };
  },
};

// ------------------------------------------------------------------ 3202

/** A row of the HIS's detail file: setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag, tab-delimited. */
interface DetailRow { setl_id: string; mdtrt_id: string; psn_no: string; total: number; fund: number; acct: number; refd: '0' | '1' }
const DETAIL_COLUMNS = ['setl_id', 'mdtrt_id', 'psn_no', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'refd_setl_flag'];

function parseDetail(text: string, filename: string): DetailRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length > MAX_DETAIL_ROWS) throw new BizError(`明细文件 ${show(filename)} 超过 ${MAX_DETAIL_ROWS} 行`);
  const seen = new Set<string>();
  return lines.map((line, i) => {
    const at = `明细文件 ${show(filename)} 第 ${i + 1} 行`;
    const cells = line.split('\t');
    if (cells.length !== DETAIL_COLUMNS.length) throw new BizError(`${at} 应有 ${DETAIL_COLUMNS.length} 列（${DETAIL_COLUMNS.join('、')}，以制表符分隔），实有 ${cells.length} 列`);
    const [setlId, mdtrtId, psnNo, medfee, fund, acct, refd] = cells;
    for (const [k, v] of [['setl_id', setlId], ['mdtrt_id', mdtrtId], ['psn_no', psnNo]] as const) {
      if (!CODE.test(v) || v.length > 30) throw new BizError(`${at} ${k} ${show(v)} 格式不正确，应为字母数字`);
    }
    if (seen.has(setlId)) throw new BizError(`${at} setl_id ${setlId} 重复`);
    seen.add(setlId);
    const fen = (k: string, v: string) => {
      try { return toFen(v); } catch (e) { if (e instanceof MoneyError) throw new BizError(`${at} ${k} ${e.message}`); throw e; }
    };
    if (refd !== '0' && refd !== '1') throw new BizError(`${at} refd_setl_flag 应为 0 或 1`);
    return { setl_id: setlId, mdtrt_id: mdtrtId, psn_no: psnNo, total: fen('medfee_sumamt', medfee), fund: fen('fund_pay_sumamt', fund), acct: fen('acct_pay', acct), refd };
  });
}

const detail: Handler = {
  platform: true, wrap: 'data',
  spec: {
    ...PERIOD, file_qury_no: req(str('文件查询号', 40, { re: CODE, what: '字母数字' })),
    medfee_sumamt: money('医疗费总额', true), fund_pay_sumamt: money('基金支付总额', true), cash_payamt: money('现金支付金额', true),
    acct_pay: money('个人账户支付金额'), fixmedins_setl_cnt: int('定点医药机构结算笔数', 0, 999_999_999, true),
  },
  async run(ctx, input) {
    const f = await ownFile(ctx, String(input.file_qury_no), 'input.file_qury_no');
    if (f.kind !== 'upload') throw new BizError(`input.file_qury_no（文件查询号）${input.file_qury_no} 不是本机构上传（9101）的明细文件`);
    const entries = readZip(f.bytes, MAX_DETAIL_BYTES, `明细文件 ${show(f.filename)}`);
    if (entries.length !== 1) throw new BizError(`明细文件 ${show(f.filename)} 应只含一个文本文件，实含 ${entries.length} 个`);
    const theirs = parseDetail(entries[0].data.toString('utf8'), f.filename);
    // The declared totals must be those of the file (its rows in force): else the HIS sent another file than it meant.
    const inForce = theirs.filter((r) => r.refd === '0');
    const sum = (k: 'total' | 'fund' | 'acct') => inForce.reduce((s, r) => s + r[k], 0);
    if (input.fixmedins_setl_cnt !== theirs.length) throw new BizError(`input.fixmedins_setl_cnt（结算笔数）${input.fixmedins_setl_cnt} 与明细文件的 ${theirs.length} 行不符`);
    const declared: Array<[string, unknown, number]> = [
      ['medfee_sumamt（医疗费总额）', input.medfee_sumamt, sum('total')], ['fund_pay_sumamt（基金支付总额）', input.fund_pay_sumamt, sum('fund')],
      ['cash_payamt（现金支付金额）', input.cash_payamt, sum('total') - sum('fund') - sum('acct')],
      ...(input.acct_pay === undefined ? [] : [['acct_pay（个人账户支付金额）', input.acct_pay, sum('acct')] as [string, unknown, number]]),
    ];
    for (const [k, v, s] of declared) if (v !== s) throw new BizError(`input.${k} ${fmtFen(v as number)} 与明细文件中未退费结算的合计 ${fmtFen(s)} 不符`);

    const ours = new Map((await settlementsOf(ctx, input, null)).map((r) => [r.setl_id, r]));
    const out: string[] = [];
    const row = (psn: string, mdtrt: string, setl: string, msgid: string, refd: string, memo: string) => out.push(`${[psn, mdtrt, setl, msgid, refd, '1', memo].join('\t')}\n`);
    for (const t of theirs) {
      const o = ours.get(t.setl_id);
      if (!o) { row(t.psn_no, t.mdtrt_id, t.setl_id, '', t.refd, '医药机构有、中心无此结算'); continue; }
      ours.delete(t.setl_id);
      const refd = o.stas === 'reversed' ? '1' : '0';
      const differ = [
        ...(['mdtrt_id', 'psn_no'] as const).filter((k) => t[k] !== o[k]).map((k) => `${k} 医药机构 ${t[k]}，中心 ${o[k]}`),
        ...([['total', 'medfee_sumamt'], ['fund', 'fund_pay_sumamt'], ['acct', 'acct_pay']] as const).filter(([k]) => t[k] !== o[k]).map(([k, name]) => `${name} 医药机构 ${fmtFen(t[k])}，中心 ${fmtFen(o[k])}`),
        ...(t.refd !== refd ? [`refd_setl_flag 医药机构 ${t.refd}，中心 ${refd}（${refd === '1' ? '已撤销' : '有效'}）`] : []),
      ];
      if (differ.length) row(o.psn_no, o.mdtrt_id, o.setl_id, o.msgid, refd, `不一致：${differ.join('；')}`);
    }
    for (const o of ours.values()) row(o.psn_no, o.mdtrt_id, o.setl_id, o.msgid, o.stas === 'reversed' ? '1' : '0', '中心有、医药机构无此结算');
    const stem = `3202_${ctx.time.replace(/[- :]/g, '')}_${input.setl_optins}_${input.clr_type}`;
    const file = await keepFile(ctx, `${stem}.txt.zip`, 'reconcile', writeZip([{ name: `${stem}.txt`, data: Buffer.from(out.join(''), 'utf8') }]));
    return { fileinfo: file };
  },
};

export const RECONCILE: Record<string, Handler> = { '3201': totals, '3202': detail };
