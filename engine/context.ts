// What a transaction handler sees: one database transaction, the envelope, the business
// time (the envelope's inf_time — never the wall clock), the policies.
import { randomBytes } from 'node:crypto';
import type { Sql } from './db';
import { num } from './db';
import type { Policy } from './policy';
import { BizError, type Spec } from './validate';
import { parseBizTime, signatureHolds, SIGN_TYPES, type Response } from '../platform';

export interface Env {
  infno: string; msgid: string; mdtrtarea_admvs: string; insuplc_admdvs?: string; inf_time: string;
  fixmedins_code: string; fixmedins_name?: string; opter?: string; opter_name?: string; sign_no?: string; cainfo?: string;
}
export interface InstRow { code: string; name: string; admvs: string; level: number; type: string; designated: boolean; hmac_key: string | null }
export interface PersonRow {
  psn_no: string; name: string; certno: string; gend: '1' | '2'; brdy: string; naty: string; insutype: '310' | '390'; admvs: string;
  stas: '1' | '2' | '3'; insu_date: string; emp_no: string | null; base_fen: number | null; retired: boolean; pension_fen: number | null; evoucher: string | null;
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

/** One transaction: its input spec, what it does, and the form its input comes nested in. */
export interface Handler {
  spec: Spec; run: (ctx: Ctx, input: Record<string, unknown>) => Promise<unknown>; platform: boolean;
  wrap?: 'data' | 'mdtrtinfo' | 'dscginfo' | 'signIn' | 'signOut' | 'fsUploadIn' | 'fsDownloadIn';
  /** The handler loads and checks the envelope's institution itself (checkInstitution), in its own first query. */
  ownInstitution?: boolean;
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
