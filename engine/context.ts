// What a transaction handler sees: one database transaction, the envelope, the business
// time (the envelope's inf_time — never the wall clock), the policies.
import { randomBytes } from 'node:crypto';
import type { Sql } from './db';
import { num } from './db';
import type { Policy } from './policy';
import { BizError, req, str, id, dt, CODE, type Spec } from './validate';
import { PERSON_NUMBER } from '../spec';
import { parseBizTime, signatureHolds, SIGN_TYPES, type InputNest, type Response } from '../platform';

export interface Env {
  infno: string; msgid: string; mdtrtarea_admvs: string; insuplc_admdvs?: string; inf_time: string;
  fixmedins_code: string; fixmedins_name?: string; opter?: string; opter_name?: string; sign_no?: string; cainfo?: string;
}
export interface InstRow { code: string; name: string; admvs: string; level: number; type: string; designated: boolean; hmac_key: string | null }
export interface PersonRow {
  psn_no: string; name: string; certno: string; gend: '1' | '2'; brdy: string; naty: string; insutype: '310' | '390'; admvs: string;
  stas: '1' | '2' | '3'; insu_date: string; emp_no: string | null; base_fen: number | null; retired: boolean; pension_fen: number | null;
}

export interface Ctx {
  q: Sql;
  env: Env;
  /** Business time 'yyyy-MM-dd HH:mm:ss' and date, from inf_time. */
  time: string;
  date: string;
  /** The institution of the envelope (platform transactions only). */
  inst: InstRow | null;
  /** The request as it came (platform transactions): what its signature covers. */
  message: Record<string, unknown>;
  security: Security;
  policies: Map<string, Policy>;
  /** sha256 of the request body (kept with the answer under the msgid). */
  hash: string;
  /** The success answer for an output (the engine's envelope). */
  answer: (output: unknown) => Response;
  /** A refusal in the engine's envelope (signed as answers are), for a handler to keep under a msgid. */
  refusal: (err: string) => Response;
  /** Set by a handler that stored its answer under the msgid in its own write (messages.ts). */
  stored: Response | null;
}

/** How the engine authenticates institutions (engine/README.md "Security"). */
export interface Security {
  /** Off only for debugging a vendor's first connection (`medcard engine --signatures off`). */
  signatures: boolean;
  /** How far an inf_time may lie from the engine's business clock for its institution. */
  freshnessMs: number;
}

export async function nextId(q: Sql, prefix: string, date: string): Promise<string> {
  const [r] = await q.query<{ n: unknown }>(`SELECT nextval('ids') AS n`);
  return idText(prefix, date, r.n);
}

/**
 * An id from the 'ids' sequence: prefix + yyyyMMdd + 8 digits + 8 random hex digits. The
 * sequence keeps it unique, the random part keeps another institution from guessing it.
 */
export const idText = (prefix: string, date: string, n: unknown): string =>
  `${prefix}${date.replace(/-/g, '')}${String(num(n)).padStart(8, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;

export async function loadPerson(q: Sql, psnNo: string, lock = false): Promise<PersonRow> {
  const rows = await q.query<PersonRow & Record<string, unknown>>(`SELECT * FROM persons WHERE psn_no = $1${lock ? ' FOR UPDATE' : ''}`, [psnNo]);
  if (!rows.length) throw new BizError(`人员编号 psn_no=${show(psnNo)} 不存在`);
  return personFrom(rows[0]);
}

/** A persons row as read (bigint columns as numbers). */
export function personFrom(row: Record<string, unknown>): PersonRow {
  const p = row as unknown as PersonRow;
  return { ...p, base_fen: p.base_fen === null ? null : num(p.base_fen), pension_fen: p.pension_fen === null ? null : num(p.pension_fen) };
}

/**
 * A request whose sender is not established (unknown, unsigned, stale, not signed in): it is
 * answered but never kept under the msgid, so a forged or tampered copy cannot use up the
 * real message's msgid.
 */
export class SenderRefusal extends BizError {}

/**
 * The envelope's institution: known, designated, in the visit region; with signatures on,
 * the message signed with its key, inf_time near the engine's business clock for it
 * (`clockOffsetMs`: business time minus wall time, from the control API's clock); and,
 * for every transaction but sign-in, a sign_no that institution got from 9001.
 */
export function checkInstitution(ctx: Ctx, inst: InstRow | undefined, signinCode: string | null, clockOffsetMs: number): InstRow {
  const env = ctx.env;
  if (!inst) throw new SenderRefusal(`定点医药机构编号 fixmedins_code=${show(env.fixmedins_code)} 不存在`);
  if (!inst.designated) throw new SenderRefusal(`${inst.name}（${inst.code}）不是定点医药机构，不能医保结算`);
  if (inst.admvs !== env.mdtrtarea_admvs) throw new SenderRefusal(`就医地医保区划 mdtrtarea_admvs=${env.mdtrtarea_admvs} 与定点医药机构所在地 ${inst.admvs} 不符`);
  if (ctx.security.signatures) {
    if (!inst.hmac_key) throw new SenderRefusal(`${inst.name}（${inst.code}）没有签名密钥，不能受理其交易`);
    if (!SIGN_TYPES.includes(ctx.message.signtype as never)) throw new SenderRefusal(`签名类型 signtype=${show(ctx.message.signtype ?? '')} 不受支持：应为 ${SIGN_TYPES.join(' 或 ')}`);
    if (!signatureHolds(ctx.message, inst.hmac_key)) throw new SenderRefusal('数字签名 cainfo 校验失败：签名应覆盖整个报文（含 input），见 engine/README.md「签名」');
    const skewMs = parseBizTime(env.inf_time).getTime() - (Date.now() + clockOffsetMs);
    if (Math.abs(skewMs) > ctx.security.freshnessMs) {
      throw new SenderRefusal(`交易时间 inf_time=${env.inf_time} 与业务时钟相差 ${Math.round(skewMs / 1000)} 秒，超过允许的 ${ctx.security.freshnessMs / 1000} 秒（报文过期或时钟不准）`);
    }
  }
  if (env.infno !== '9001' && !env.sign_no) throw new SenderRefusal('缺少签到编号 sign_no：请先签到（9001）');
  if (env.sign_no && signinCode !== inst.code) throw new SenderRefusal(`签到编号 sign_no=${show(env.sign_no)} 无效，请重新签到（9001）`);
  return inst;
}

export function policyOf(ctx: Ctx, admvs: string): Policy {
  const p = ctx.policies.get(admvs);
  if (!p) throw new BizError(`参保地 ${admvs} 未配置医保政策（fixtures/policies/${admvs}.yaml）`);
  return p;
}

/** A value quoted for a message: short and printable. */
export function show(v: unknown): string {
  const s = String(v).replace(/[\u0000-\u001f\u007f]/g, '?');
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

// ------------------------------------------------------------------ shared by the transaction files
// (platform.ts, queries.ts, inpatient.ts, pharmacy.ts): the handler's shape, visits, cards and
// the eligibility rules, each with one owner.

export interface Handler {
  spec: Spec; run: (ctx: Ctx, input: Record<string, unknown>) => Promise<unknown>; platform: boolean;
  /** The node the platform nests the input in (`{data: {...}}`, `{mdtrtinfo, diseinfo}`, …); the flat form is accepted too. */
  wrap?: InputNest;
  /** The handler loads and checks the envelope's institution itself (checkInstitution), in its own first query. */
  ownInstitution?: boolean;
}

export const psnNo = () => req(id('人员编号', PERSON_NUMBER));
export const mdtrtId = () => req(str('就诊ID', 30, { re: CODE, what: '字母数字' }));

export const DIAG: Spec = {
  diag_type: str('诊断类别', 3), diag_srt_no: str('诊断排序号', 3), diag_code: req(str('诊断代码', 20, { re: /^[A-Za-z0-9.+-]+$/ })),
  diag_name: req(str('诊断名称', 100)), diag_dept: str('诊断科室', 50), dise_dor_no: str('诊断医生编码', 30), dise_dor_name: str('诊断医生姓名', 50),
  diag_time: dt('诊断时间'), vali_flag: str('有效标志', 1), adm_cond_type: str('入院病情类型', 3),
};

export interface CardRow { card_no: string; card_sn: string; psn_no: string; expiry_date: string; stas: string; lost_date: string | null; activated_date: string | null }

/** Card checks (domain.md §7): exists, identification code, not lost/replaced, activated, not expired, belongs to the person. */
export async function checkCard(q: Sql, cardNo: string, cardSn: string | undefined, date: string, psn?: string): Promise<CardRow> {
  const rows = await q.query<CardRow & Record<string, unknown>>(`SELECT * FROM cards WHERE card_no = $1`, [cardNo]);
  return cardChecks(rows[0], cardNo, cardSn, date, psn);
}

/** checkCard on a row already read (undefined: no such card). */
export function cardChecks(c: CardRow | undefined, cardNo: string, cardSn: string | undefined, date: string, psn?: string): CardRow {
  if (!c) throw new BizError(`社保卡号 ${show(cardNo)} 不存在`);
  if (cardSn && cardSn !== c.card_sn) throw new BizError('卡识别码 card_sn 与卡号不符，疑似非本卡');
  if (c.stas === 'lost') throw new BizError(`社保卡 ${c.card_no} 已挂失（${c.lost_date}），不能使用`);
  if (c.stas === 'replaced') throw new BizError(`社保卡 ${c.card_no} 已补换新卡，旧卡作废`);
  if (c.stas === 'cancelled') throw new BizError(`社保卡 ${c.card_no} 已注销`);
  if (c.stas === 'issued') throw new BizError(`社保卡 ${c.card_no} 尚未激活，不能结算`);
  if (c.activated_date && date < c.activated_date) throw new BizError(`社保卡 ${c.card_no} 在 ${date} 尚未激活（激活日期 ${c.activated_date}）`);
  if (date > c.expiry_date) throw new BizError(`社保卡 ${c.card_no} 已过有效期（有效期至 ${c.expiry_date}）`);
  if (psn && c.psn_no !== psn) throw new BizError('社保卡与就诊人员不符（社保卡仅限本人使用，不得冒用）');
  return c;
}

export async function employerArrears(q: Sql, p: PersonRow): Promise<boolean> {
  if (!p.emp_no) return false;
  const r = await q.query<{ arrears: boolean }>(`SELECT arrears FROM employers WHERE emp_no = $1`, [p.emp_no]);
  return !!r[0]?.arrears;
}

/** A filing valid on the date for the region (domain.md §6). */
export async function hasFiling(q: Sql, psn: string, admvs: string, date: string): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM filings WHERE psn_no = $1 AND admvs = $2 AND begndate <= $3 AND (enddate IS NULL OR enddate >= $3)`, [psn, admvs, date]);
  return r.length > 0;
}

/**
 * Everything that keeps the fund and the account from paying (domain.md §5–§7), given the
 * employer's arrears and whether a filing covers the visit: empty when the person may settle.
 * The settlement refuses with the first (checkEligible); 2001 lists them all.
 */
export function eligibilityProblems(ctx: Ctx, p: PersonRow, visitDate: string, arrears: boolean, filed: boolean): string[] {
  const out: string[] = [];
  if (p.stas === '2') out.push('参保状态为暂停参保，暂停享受医保待遇');
  if (p.stas === '3') out.push('参保状态为终止参保，不能享受医保待遇');
  if (visitDate < p.insu_date) out.push(`就诊日期 ${visitDate} 早于参保日期 ${p.insu_date}，不能享受医保待遇`);
  if (arrears) out.push('参保单位欠费，暂停医保统筹基金和个人账户支付；请全额现金垫付，单位补缴后到医保经办机构申请报销');
  const inst = ctx.inst!;
  if (inst.admvs !== p.admvs && !filed) {
    out.push(`异地就医（参保地 ${p.admvs}，就医地 ${inst.admvs}）未办理异地就医备案，不能直接结算；请全额垫付后持发票回参保地申请报销`);
  }
  try { policyOf(ctx, p.admvs); } catch (e) { out.push((e as Error).message); }
  return out;
}

export function checkEligible(ctx: Ctx, p: PersonRow, visitDate: string, arrears: boolean, filed: boolean): void {
  const [first] = eligibilityProblems(ctx, p, visitDate, arrears, filed);
  if (first) throw new BizError(first);
}

export interface VisitRow { mdtrt_id: string; psn_no: string; fixmedins_code: string; admvs: string; kind: 'otp' | 'ipt'; med_type: string; begntime: string; endtime: string | null; ipt_otp_no: string; cert_type: string; cert_no: string; insutype: string; emergency: boolean; stas: string }

export async function loadVisit(ctx: Ctx, id: string, psn: string | undefined, kind: 'otp' | 'ipt' | null, lock = false): Promise<VisitRow> {
  const rows = await ctx.q.query<VisitRow & Record<string, unknown>>(`SELECT * FROM visits WHERE mdtrt_id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return visitChecks(ctx, rows[0], id, psn, kind);
}

/** loadVisit on a row already read (undefined: no such visit). */
export function visitChecks(ctx: Ctx, v: VisitRow | undefined, id: string, psn: string | undefined, kind: 'otp' | 'ipt' | null): VisitRow {
  if (!v) throw new BizError(`就诊ID mdtrt_id=${show(id)} 不存在（请先挂号或办理入院）`);
  if (v.fixmedins_code !== ctx.env.fixmedins_code) throw new BizError(`就诊ID ${id} 不属于本定点医药机构`);
  if (psn !== undefined && v.psn_no !== psn) throw new BizError(`就诊ID ${id} 与人员编号 psn_no=${show(psn)} 不符`);
  if (kind === 'otp' && v.kind !== 'otp') throw new BizError(`就诊ID ${id} 是住院就诊，请使用住院交易（2301/2303/2304/2305）`);
  if (kind === 'ipt' && v.kind !== 'ipt') throw new BizError(`就诊ID ${id} 是门诊就诊，请使用门诊交易（2204/2206/2207/2208）`);
  return v;
}

export function requireOpen(v: VisitRow, what: string): void {
  if (v.stas === 'cancelled') throw new BizError(`就诊ID ${v.mdtrt_id} 已撤销挂号，不能${what}`);
  if (v.stas === 'settled') throw new BizError(`就诊ID ${v.mdtrt_id} 已结算，不能${what}（如需修改请先撤销结算）`);
}

export function checkInsuplc(ctx: Ctx, p: PersonRow): void {
  if (ctx.env.insuplc_admdvs && ctx.env.insuplc_admdvs !== p.admvs) throw new BizError(`参保地 insuplc_admdvs=${ctx.env.insuplc_admdvs} 与人员参保地 ${p.admvs} 不符`);
}

export function checkInsutype(insutype: string, p: PersonRow): void {
  if (insutype !== p.insutype) throw new BizError(`险种类型 insutype=${insutype} 与人员参保险种 ${p.insutype} 不符`);
}
