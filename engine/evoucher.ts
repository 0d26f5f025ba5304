// The medical insurance e-voucher (医保电子凭证, mdtrt_cert_type 01): the tokens the engine
// issues and checks, the control ops that issue one or show one at a counter, and the local
// e-voucher component's ec.query, which hands the institution the token of the e-voucher
// shown there (engine/README.md "The e-voucher").
import { createHash, randomBytes } from 'node:crypto';
import { num, type Sql } from './db';
import { type Ctx, type Handler, type PersonRow, loadPerson, psnNo, show } from './context';
import { BizError, req, str, CODE } from './validate';
import { formatBizTime, parseBizTime, type EcAnswer, type EcQueryRequest, type EcToken } from '../platform';

/**
 * Decision: a token is good for 30 minutes of business time, at the institution that got it,
 * for any number of that visit's transactions (1101, 2201, 2206, 2207 all carry it). The
 * public HIS code we read describes ecToken only as a 40-character token "for business
 * verification", not its lifetime; we take it to be short-lived, for the visit it was scanned
 * for: 30 minutes covers one counter visit and little more.
 */
export const EC_TOKEN_MINUTES = 30;

export interface EcTokenRow { token: string; psn_no: string; fixmedins_code: string; issued_at: string; expires_at: string }
export const TOKEN_COLS = ['token', 'psn_no', 'fixmedins_code', 'issued_at', 'expires_at'];

const minutesLater = (time: string, minutes: number) => formatBizTime(new Date(parseBizTime(time).getTime() + minutes * 60_000));

/** A fresh token: the person's region, EC, 32 random hex digits (40 characters, the component's ecToken length). */
async function issue(q: Sql, person: PersonRow, fixmedinsCode: string, time: string): Promise<EcToken> {
  const token = `${person.admvs}EC${randomBytes(16).toString('hex').toUpperCase()}`;
  const expires = minutesLater(time, EC_TOKEN_MINUTES);
  await q.query(`INSERT INTO ec_tokens (token, psn_no, fixmedins_code, issued_at, expires_at) VALUES ($1,$2,$3,$4,$5)`, [token, person.psn_no, fixmedinsCode, time, expires]);
  return { ecToken: token, psn_no: person.psn_no, fixmedins_code: fixmedinsCode, issued: time, expires };
}

/** A token presented as mdtrt_cert_no: known, got by this institution, not expired at the message's time, and (given `psn`) that person's. */
export function tokenChecks(ctx: Ctx, row: EcTokenRow | undefined, token: string, psn?: string): EcTokenRow {
  const named = `医保电子凭证令牌 mdtrt_cert_no=${show(token)}`;
  if (!row) throw new BizError(`${named} 无效或不存在：请参保人重新出示医保电子凭证`);
  if (row.fixmedins_code !== ctx.env.fixmedins_code) throw new BizError(`${named} 不是本定点医药机构获取的：请参保人在本机构出示医保电子凭证`);
  if (ctx.time > row.expires_at) throw new BizError(`${named} 已过期（有效期至 ${row.expires_at}）：请参保人重新出示医保电子凭证`);
  if (psn !== undefined && row.psn_no !== psn) throw new BizError('医保电子凭证与就诊人员不符（电子凭证仅限本人使用，不得冒用）');
  return row;
}

export async function checkToken(ctx: Ctx, token: string, psn?: string): Promise<EcTokenRow> {
  const rows = await ctx.q.query<EcTokenRow & Record<string, unknown>>(`SELECT ${TOKEN_COLS.join(', ')} FROM ec_tokens WHERE token = $1`, [token]);
  return tokenChecks(ctx, rows[0], token, psn);
}

// ------------------------------------------------------------------ control ops

const TARGET = { psn_no: psnNo(), fixmedins_code: req(str('定点医药机构编号', 30, { re: CODE, what: '字母数字' })) };

async function target(ctx: Ctx, r: Record<string, unknown>): Promise<{ person: PersonRow; code: string }> {
  const person = await loadPerson(ctx.q, String(r.psn_no));
  const code = String(r.fixmedins_code);
  if (!(await ctx.q.query(`SELECT 1 FROM institutions WHERE code = $1`, [code])).length) throw new BizError(`定点医药机构编号 fixmedins_code=${show(code)} 不存在`);
  return { person, code };
}

/** Spread into the control API (agency.ts CONTROL). */
export const EVOUCHER_CONTROL: Record<string, Handler> = {
  // A token issued at the call's business time, without a counter: for tests and set-ups.
  'ec-issue': { platform: false, spec: TARGET, async run(ctx, r) { const t = await target(ctx, r); return issue(ctx.q, t.person, t.code, ctx.time); } },
  // The person holds the phone up at this institution's counter: its next ec.query answers for them.
  'ec-show': {
    platform: false, spec: TARGET,
    async run(ctx, r) {
      const t = await target(ctx, r);
      await ctx.q.query(`INSERT INTO ec_shown (fixmedins_code, psn_no) VALUES ($1, $2) ON CONFLICT (fixmedins_code) DO UPDATE SET psn_no = EXCLUDED.psn_no`, [t.code, t.person.psn_no]);
      return { psn_no: t.person.psn_no, fixmedins_code: t.code };
    },
  },
};

// ------------------------------------------------------------------ ec.query

const fail = (message: string): EcAnswer => ({ code: -1, message, data: null });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with an ec.query request, by field, or null. Fields the component does not use are accepted. */
function ecQueryProblem(body: unknown): string | null {
  if (!isObj(body)) return '请求报文应为 JSON 对象 {orgId, transType, data}';
  if (body.transType !== 'ec.query') return `transType（交易类型）=${show(body.transType ?? '')} 不受支持：本服务只受理 ec.query`;
  if (typeof body.orgId !== 'string' || !body.orgId) return '缺少必填字段 orgId（机构编号）';
  if (body.orgId.length > 30 || !CODE.test(body.orgId)) return `orgId（机构编号）=${show(body.orgId)} 应为 30 位以内字母数字`;
  if (!isObj(body.data)) return '缺少必填字段 data（业务数据）';
  const d = body.data;
  if (typeof d.businessType !== 'string' || !/^\d{5}$/.test(d.businessType)) return `data.businessType（用码业务类型）=${show(d.businessType ?? '')} 应为 5 位数字（如 01101 门诊挂号）`;
  if (d.orgId !== undefined && d.orgId !== body.orgId) return `data.orgId（机构编号）=${show(d.orgId)} 与 orgId=${show(body.orgId)} 不符`;
  for (const [k, label] of [['operatorId', '收款员编号'], ['operatorName', '收款员姓名'], ['officeId', '医保科室编号'], ['officeName', '科室名称'], ['deviceType', '设备类型']] as const) {
    if (d[k] !== undefined && (typeof d[k] !== 'string' || (d[k] as string).length > 30)) return `data.${k}（${label}）应为 30 字以内的字符串`;
  }
  return null;
}

/**
 * One ec.query in one database transaction (`q`): the e-voucher shown at the institution's
 * counter becomes a token issued at the institution's business clock.
 */
export async function answerEcQuery(q: Sql, body: unknown): Promise<EcAnswer> {
  const problem = ecQueryProblem(body);
  if (problem) return fail(problem);
  const orgId = (body as unknown as EcQueryRequest).orgId;
  const [inst] = await q.query(`SELECT (SELECT offset_ms FROM clocks WHERE code = $1) AS offset_ms FROM institutions WHERE code = $1`, [orgId]);
  if (!inst) return fail(`orgId（机构编号）=${show(orgId)} 不是已登记的定点医药机构`);
  const [shown] = await q.query<{ psn_no: string }>(`DELETE FROM ec_shown WHERE fixmedins_code = $1 RETURNING psn_no`, [orgId]);
  if (!shown) return fail('没有参保人在本机构出示医保电子凭证（扫码超时）：请参保人打开医保电子凭证后重新扫码');
  const person = await loadPerson(q, shown.psn_no);
  const t = await issue(q, person, orgId, formatBizTime(new Date(Date.now() + num(inst.offset_ms))));
  return {
    code: 0, message: '成功',
    data: {
      ecToken: t.ecToken, idNo: person.certno, idType: '01', userName: person.name, insuOrg: person.admvs,
      // The e-voucher's own index, stable per person (the platform's is opaque to the HIS).
      ecIndexNo: createHash('sha256').update(person.psn_no).digest('hex').slice(0, 32).toUpperCase(),
      gender: person.gend, birthday: person.brdy, expires: t.expires,
    },
  };
}
