// Money on the wire is decimal yuan with at most two decimals; inside it is integer fen.
// No binary floating point touches an amount: strings are parsed with a regular expression,
// numbers through their shortest decimal text (String(332.8) === "332.8").

/** Largest amount accepted anywhere: 100,000,000.00 yuan. */
export const MAX_FEN = 10_000_000_000;

export class MoneyError extends Error {}

const YUAN_RE = /^(0|[1-9][0-9]{0,8})(?:\.([0-9]{1,2}))?$/;

/** "332.80" | "332.8" | 332.8 | "12" → 33280 fen. Throws MoneyError on anything else. */
export function toFen(value: unknown, opts: { allowNegative?: boolean } = {}): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyError('不是有限数');
    text = String(value);
    if (/e/i.test(text)) throw new MoneyError('金额超出范围或精度');
  } else if (typeof value === 'string') {
    // "5.00\n" is not an amount: text around one is a fault upstream, not to be guessed away.
    if (value !== value.trim()) throw new MoneyError('金额前后不能有空格或换行');
    text = value;
  } else {
    throw new MoneyError('金额必须是字符串或数字');
  }
  let sign = 1;
  if (text.startsWith('-')) {
    if (!opts.allowNegative) throw new MoneyError('金额不能为负数');
    sign = -1;
    text = text.slice(1);
  }
  const m = YUAN_RE.exec(text);
  if (!m) {
    if (/^[0-9]+\.[0-9]{3,}$/.test(text)) throw new MoneyError('金额最多两位小数（不能小于一分）');
    if (/^[0-9]{10,}(\.[0-9]*)?$/.test(text)) throw new MoneyError('金额过大');
    throw new MoneyError('金额格式不正确，应为元，最多两位小数，如 332.80');
  }
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
  if (fen > MAX_FEN) throw new MoneyError('金额过大');
  return sign * fen === 0 ? 0 : sign * fen;
}

/** 33280 → "332.80"; -1720 → "-17.20". Integer arithmetic only. */
export function fmtFen(fen: number | bigint): string {
  const v = typeof fen === 'bigint' ? fen : BigInt(fen);
  if (typeof fen === 'number' && !Number.isSafeInteger(fen)) throw new MoneyError(`not an integer number of fen: ${fen}`);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const yuan = a / 100n;
  const cents = (a % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${yuan}.${cents}`;
}

/** Basis points → ratio text with two decimals: 2500 → "0.25", 1000 → "0.10". */
export function fmtRatio(bp: number): string {
  const whole = Math.floor(bp / 10000);
  const frac = Math.floor((bp % 10000) / 100);
  const rest = bp % 100;
  const base = `${whole}.${String(frac).padStart(2, '0')}`;
  return rest === 0 ? base : `${base}${String(rest).padStart(2, '0')}`;
}

// ------------------------------------------------------------------ money as people write it

/** Parse "332.80", "332.8", "-5", "1,000.00", "332.80 元", "332.8元", "CNY 332.80", "￥12" into fen. */
export function parseYuan(text: string | number): number {
  const s = typeof text === 'number' ? text
    : text.trim().replace(/^(CNY|RMB)\s*/i, '').replace(/^[¥￥]\s*/, '').replace(/\s*(元|CNY|RMB)$/i, '').replace(/,/g, '').replace(/^\+/, '').trim();
  try {
    return toFen(s, { allowNegative: true });
  } catch (err) {
    if (err instanceof MoneyError) throw new Error(`not an amount of money: "${text}" (write it like 332.80 元, 332.8元 or CNY 332.80): ${err.message}`);
    throw err;
  }
}

/** Wire amounts arrive as numbers (332.8) or strings ("332.80"); absent means zero. */
export function wireToFen(value: unknown): number {
  if (value === null || value === undefined || value === '') return 0;
  return toFen(value, { allowNegative: true });
}
