// Strict input checking: every field has a type, a length and a Chinese label; unknown
// fields are refused; money is parsed to fen. Errors name the field (platform-api.md §1).
import { toFen, MoneyError } from '../platform';
import { isCalendarDate as validDate, type IdFormat } from '../spec';

/** A refusal: answered with infcode (default -1) and a Chinese err_msg; nothing is booked. */
export class BizError extends Error {
  /** The input field at fault, when one is (used to point at YAML lines). */
  field?: string;
  constructor(message: string, readonly infcode = -1) { super(message); this.name = 'BizError'; }
}
const withField = (e: BizError, field: string) => { if (e.field === undefined) e.field = field; return e; };

export type Field =
  | { k: 'str'; label: string; req?: boolean; max: number; min?: number; re?: RegExp; what?: string }
  | { k: 'id'; label: string; req?: boolean; format: IdFormat }
  | { k: 'enum'; label: string; req?: boolean; values: readonly string[] }
  | { k: 'money'; label: string; req?: boolean }
  | { k: 'cnt'; label: string; req?: boolean }
  | { k: 'dec'; label: string; req?: boolean; int: number; frac: number }
  | { k: 'int'; label: string; req?: boolean; min: number; max: number }
  | { k: 'bool'; label: string; req?: boolean }
  | { k: 'date'; label: string; req?: boolean }
  | { k: 'datetime'; label: string; req?: boolean }
  | { k: 'arr'; label: string; req?: boolean; of: Spec; max: number; min?: number }
  | { k: 'strs'; label: string; req?: boolean; max: number; itemMax: number }
  | { k: 'obj'; label: string; req?: boolean; spec: Spec }
  | { k: 'any'; label: string; req?: boolean };
export type Spec = Record<string, Field>;

// Field builders.
export const str = (label: string, max: number, o: { req?: boolean; re?: RegExp; what?: string; min?: number } = {}): Field => ({ k: 'str', label, max, ...o });
export const req = (f: Field): Field => ({ ...f, req: true });
/** An identifier of one of the standard formats (spec/identifiers.ts); the value is normalized. */
export const id = (label: string, format: IdFormat, r = false): Field => ({ k: 'id', label, format, req: r });
export const en = (label: string, values: readonly string[], r = false): Field => ({ k: 'enum', label, values, req: r });
export const money = (label: string, r = false): Field => ({ k: 'money', label, req: r });
export const cnt = (label: string, r = false): Field => ({ k: 'cnt', label, req: r });
/** A non-negative decimal kept as its text (a unit price with up to `frac` places, never money to book). */
export const dec = (label: string, int: number, frac: number, r = false): Field => ({ k: 'dec', label, int, frac, req: r });
export const int = (label: string, min: number, max: number, r = false): Field => ({ k: 'int', label, min, max, req: r });
export const bool = (label: string, r = false): Field => ({ k: 'bool', label, req: r });
export const date = (label: string, r = false): Field => ({ k: 'date', label, req: r });
export const dt = (label: string, r = false): Field => ({ k: 'datetime', label, req: r });
export const arr = (label: string, of: Spec, max: number, r = false, min = 0): Field => ({ k: 'arr', label, of, max, req: r, min });
export const strs = (label: string, max: number, itemMax: number): Field => ({ k: 'strs', label, max, itemMax });
export const obj = (label: string, spec: Spec, r = false): Field => ({ k: 'obj', label, spec, req: r });
export const any = (label: string): Field => ({ k: 'any', label });

/** A count as the wire writes it: cnt × 10,000 (what the cnt field gives) back to "1.5". */
export function cntText(c4: number): string {
  const w = Math.floor(c4 / 10000);
  const f = String(c4 % 10000).padStart(4, '0').replace(/0+$/, '');
  return f ? `${w}.${f}` : String(w);
}

export const CODE = /^[A-Za-z0-9_-]+$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;
// Control characters are refused everywhere (tabs and newlines included).
const CONTROL = /[\u0000-\u001f\u007f]/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check `value` against `spec`; returns a clean copy (money in fen, cnt × 10,000). */
export function check(value: unknown, spec: Spec, where: string): Record<string, unknown> {
  if (!isObj(value)) throw new BizError(`${where} 应为 JSON 对象`);
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(spec, key)) throw withField(new BizError(`${where} 含未知字段 ${safe(key)}，不予受理`), key);
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec)) {
    const v = value[key];
    const name = `${where}.${key}（${f.label}）`;
    if (v === undefined || v === null || (v === '' && f.k !== 'str')) {
      if (f.req) throw withField(new BizError(`缺少必填字段 ${name}`), key);
      continue;
    }
    try {
      out[key] = checkField(v, f, name);
    } catch (e) {
      throw e instanceof BizError ? withField(e, key) : e;
    }
  }
  return out;
}

function checkField(v: unknown, f: Field, name: string): unknown {
  switch (f.k) {
    case 'str': {
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) throw new BizError(`${name} 应为字符串`);
      const s = String(v);
      if (f.req && s.trim() === '') throw new BizError(`缺少必填字段 ${name}（不能为空）`);
      if ([...s].length > f.max) throw new BizError(`${name} 过长，最多 ${f.max} 个字符`);
      if (f.min !== undefined && s.length < f.min) throw new BizError(`${name} 过短，至少 ${f.min} 个字符`);
      if (CONTROL.test(s)) throw new BizError(`${name} 含控制字符`);
      if (f.re && s !== '' && !f.re.test(s)) throw new BizError(`${name} 格式不正确${f.what ? `，应为${f.what}` : ''}`);
      return s;
    }
    case 'id': {
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) throw new BizError(`${name} 应为字符串`);
      const raw = String(v);
      if (CONTROL.test(raw)) throw new BizError(`${name} 含控制字符`);
      const s = f.format.normalize(raw);
      if ([...s].length > f.format.maxLength) throw new BizError(`${name} 过长，最多 ${f.format.maxLength} 个字符`);
      const problem = f.format.problem(s);
      if (problem) throw new BizError(`${name} ${problem.zh}`);
      return s;
    }
    case 'enum': {
      const s = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
      if (typeof s !== 'string' || !f.values.includes(s)) throw new BizError(`${name} 取值不正确，应为 ${f.values.join(' / ')} 之一`);
      return s;
    }
    case 'money':
      try { return toFen(v); } catch (e) {
        if (e instanceof MoneyError) throw new BizError(`${name} ${e.message}`);
        throw e;
      }
    case 'cnt': {
      const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v : null;
      const m = text === null ? null : /^(0|[1-9][0-9]{0,5})(?:\.([0-9]{1,4}))?$/.exec(text);
      if (!m) throw new BizError(`${name} 数量格式不正确，应为正数，最多四位小数，不超过 999999`);
      const c4 = Number(m[1]) * 10000 + Number((m[2] ?? '').padEnd(4, '0') || '0');
      if (c4 === 0) throw new BizError(`${name} 数量必须大于 0`);
      return c4;
    }
    case 'dec': {
      const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v : null;
      if (text === null || !new RegExp(`^(0|[1-9][0-9]{0,${f.int - 1}})(\\.[0-9]{1,${f.frac}})?$`).test(text)) {
        throw new BizError(`${name} 格式不正确，应为非负数，最多 ${f.int} 位整数、${f.frac} 位小数`);
      }
      return text;
    }
    case 'int': {
      const n = typeof v === 'string' && /^-?[0-9]{1,9}$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new BizError(`${name} 应为整数`);
      if (n < f.min || n > f.max) throw new BizError(`${name} 超出范围 ${f.min}–${f.max}`);
      return n;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw new BizError(`${name} 应为 true 或 false`);
      return v;
    case 'date': {
      if (typeof v !== 'string' || !validDate(v)) throw new BizError(`${name} 日期格式不正确，应为 yyyy-MM-dd`);
      return v;
    }
    case 'datetime': {
      const m = typeof v === 'string' ? DATETIME.exec(v) : null;
      if (!m || !validDate(m[1])) throw new BizError(`${name} 时间格式不正确，应为 yyyy-MM-dd HH:mm:ss`);
      return v;
    }
    case 'arr': {
      if (!Array.isArray(v)) throw new BizError(`${name} 应为数组`);
      if (v.length < (f.min ?? 0)) throw new BizError(`${name} 至少 ${f.min} 项`);
      if (v.length > f.max) throw new BizError(`${name} 最多 ${f.max} 项`);
      return v.map((item, i) => check(item, f.of, `${name.replace(/（.*$/, '')}[${i}]`));
    }
    case 'strs': {
      if (!Array.isArray(v) || v.length > f.max) throw new BizError(`${name} 应为最多 ${f.max} 项的字符串数组`);
      return v.map((s) => checkField(s, { k: 'str', label: f.label, max: f.itemMax, req: true }, name));
    }
    case 'obj':
      return check(v, f.spec, name.replace(/（.*$/, ''));
    case 'any':
      return v;
  }
}

/** A key as it may appear in a message: short, printable. */
export function safe(key: string): string {
  const s = key.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
