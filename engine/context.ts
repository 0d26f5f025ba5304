// What a transaction handler sees: one database transaction, the envelope, the business
// time (the envelope's inf_time — never the wall clock), the policies.
import type { Sql } from './db';
import { num } from './db';
import type { Policy } from './policy';
import { BizError } from './validate';

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
}

export async function nextId(q: Sql, prefix: string, date: string): Promise<string> {
  const [r] = await q.query<{ n: unknown }>(`SELECT nextval('ids') AS n`);
  return `${prefix}${date.replace(/-/g, '')}${String(num(r.n)).padStart(8, '0')}`;
}

export async function loadPerson(q: Sql, psnNo: string, lock = false): Promise<PersonRow> {
  const rows = await q.query<PersonRow & Record<string, unknown>>(`SELECT * FROM persons WHERE psn_no = $1${lock ? ' FOR UPDATE' : ''}`, [psnNo]);
  if (!rows.length) throw new BizError(`人员编号 psn_no=${show(psnNo)} 不存在`);
  const p = rows[0];
  return { ...p, base_fen: p.base_fen === null ? null : num(p.base_fen), pension_fen: p.pension_fen === null ? null : num(p.pension_fen) };
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
