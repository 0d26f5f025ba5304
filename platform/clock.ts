// Business time and message ids (platform-api.md §1): the platform's clock is China
// Standard Time whatever the machine's zone, and a msgid is institution + time + sequence.
const CST_OFFSET_MS = 8 * 3600_000; // business time is China Standard Time (UTC+8)

/** 'yyyy-MM-dd HH:mm:ss' in China Standard Time, whatever the machine's zone. */
export function formatBizTime(d: Date): string {
  const t = new Date(d.getTime() + CST_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
}

/** 'yyyyMMddHHmmssSSS' in China Standard Time: the answer's refmsg_time and respond_time. */
export function formatStamp(d: Date): string {
  return formatBizTime(d).replace(/[- :]/g, '') + String(d.getTime() % 1000).padStart(3, '0');
}

/** '2024-03-15', '2024-03-15 09:30' or '2024-03-15 09:30:00' (China time) → Date. */
export function parseBizTime(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!m) throw new Error(`not a business time (yyyy-MM-dd[ HH:mm[:ss]]): ${text}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) - CST_OFFSET_MS);
}

/**
 * The scenario's clock. Until set it follows the wall clock; `set('2024-03-15 09:00')`
 * freezes it there (scenarios are deterministic); `advance` moves it; `tick: true` lets it
 * run on from the set point with real elapsed time.
 */
export class BizClock {
  private base: Date | null = null;
  private setAt = 0;
  constructor(private tick = false) {}
  set(t: string | Date, opts: { tick?: boolean } = {}): this {
    this.base = typeof t === 'string' ? parseBizTime(t) : new Date(t.getTime());
    this.setAt = Date.now();
    if (opts.tick !== undefined) this.tick = opts.tick;
    return this;
  }
  advance(ms: number): this {
    const now = this.now();
    this.base = new Date(now.getTime() + ms);
    this.setAt = Date.now();
    return this;
  }
  reset(): this { this.base = null; return this; }
  now(): Date {
    if (!this.base) return new Date();
    return this.tick ? new Date(this.base.getTime() + (Date.now() - this.setAt)) : new Date(this.base.getTime());
  }
  /** 'yyyy-MM-dd HH:mm:ss' */
  text(): string { return formatBizTime(this.now()); }
  /** 'yyyy-MM-dd' */
  date(): string { return this.text().slice(0, 10); }
}

// ------------------------------------------------------------------ msgid

/**
 * Why a msgid is not of the platform's form for its sender, or null: the institution's code,
 * a calendar time yyyyMMddHHmmss, a 4-digit sequence (makeMsgid's form).
 */
export function msgidProblem(msgid: string, fixmedinsCode: string): string | null {
  if (!msgid.startsWith(fixmedinsCode)) return `应以定点医药机构编号 ${fixmedinsCode} 开头`;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{4})$/.exec(msgid.slice(fixmedinsCode.length));
  if (!m) return '机构编号之后应为时间 yyyyMMddHHmmss（14 位）+ 顺序号（4 位）';
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return `时间 ${m.slice(1, 7).join('')} 不是有效的 yyyyMMddHHmmss`;
  return null;
}

let lastStamp = '';
let usedInStamp = 0;
let seq = Math.floor(Math.random() * 10000);
/**
 * institution code (12) + yyyyMMddHHmmss (14) + sequence (4). The timestamp is the wall
 * clock (never earlier than the previous one); the sequence is process-wide, and after
 * 10,000 msgids within one second the timestamp moves on a second, so one process never
 * repeats a msgid. Processes sharing an institution code should use distinct codes or pass
 * msgids; the engine answers a reused msgid with a different request body with an error.
 */
export function makeMsgid(fixmedinsCode: string, wall = new Date()): string {
  let stamp = formatBizTime(wall).replace(/[- :]/g, '');
  if (stamp <= lastStamp) {
    stamp = lastStamp;
    if (++usedInStamp >= 10000) {
      stamp = formatBizTime(new Date(parseBizTime(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)} ${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}`).getTime() + 1000)).replace(/[- :]/g, '');
      usedInStamp = 0;
    }
  } else {
    usedInStamp = 0;
  }
  lastStamp = stamp;
  seq = (seq + 1) % 10000;
  return `${fixmedinsCode}${stamp}${String(seq).padStart(4, '0')}`;
}
