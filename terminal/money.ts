// Money at the edges: the written forms analysts and receipts use, over the one wire
// parser and formatter of engine/client/money.ts. No binary floats.
import { fmtFen, MoneyError, toFen } from '../engine/client/money';

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

/** 33280 -> "332.80" */
export const formatYuan = (fen: number): string => fmtFen(fen);
