// What a transaction handler sees: one database transaction, the envelope, the business
// time (the envelope's inf_time — never the wall clock), the policies.
import { createHmac } from 'node:crypto';
import type { Sql } from './db';
import { num } from './db';
import type { Policy } from './policy';
import { BizError } from './validate';
import type { Response } from '../platform';

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
  policies: Map<string, Policy>;
  /** sha256 of the request body (kept with the answer under the msgid). */
  hash: string;
  /** The success answer for an output (the engine's envelope). */
  answer: (output: unknown) => Response;
  /** Set by a handler that stored its answer under the msgid in its own write (messages.ts). */
  stored: Response | null;
}

export async function nextId(q: Sql, prefix: string, date: string): Promise<string> {
  const [r] = await q.query<{ n: unknown }>(`SELECT nextval('ids') AS n`);
  return idText(prefix, date, r.n);
}

/** An id from the 'ids' sequence: prefix + yyyyMMdd + 8 digits. */
export const idText = (prefix: string, date: string, n: unknown): string => `${prefix}${date.replace(/-/g, '')}${String(num(n)).padStart(8, '0')}`;

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

/** The envelope's institution: known, designated, in the visit region, signature and sign-in (when sent). */
export function checkInstitution(env: Env, inst: InstRow | undefined, signinCode: string | null): InstRow {
  if (!inst) throw new BizError(`定点医药机构编号 fixmedins_code=${show(env.fixmedins_code)} 不存在`);
  if (!inst.designated) throw new BizError(`${inst.name}（${inst.code}）不是定点医药机构，不能医保结算`);
  if (inst.admvs !== env.mdtrtarea_admvs) throw new BizError(`就医地医保区划 mdtrtarea_admvs=${env.mdtrtarea_admvs} 与定点医药机构所在地 ${inst.admvs} 不符`);
  if (inst.hmac_key) {
    const want = createHmac('sha256', inst.hmac_key).update(`${env.infno}|${env.msgid}|${env.inf_time}|${env.fixmedins_code}`).digest('hex');
    if ((env.cainfo ?? '').toLowerCase() !== want) throw new BizError('数字签名 cainfo 校验失败');
  }
  if (env.sign_no && signinCode !== inst.code) throw new BizError(`签到编号 sign_no=${show(env.sign_no)} 无效，请重新签到（9001）`);
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
