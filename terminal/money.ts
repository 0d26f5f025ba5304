// Money at the edges: yuan strings with two decimals <-> integer fen. No binary floats.

/** Parse "332.80", "332.8", "-5", "1,000.00", "332.80 元", "332.8元", "CNY 332.80", "￥12" into fen. */
export function parseYuan(text: string | number): number {
  let s = typeof text === 'number' ? String(text) : text;
  s = s.trim().replace(/^(CNY|RMB)\s*/i, '').replace(/^[¥￥]\s*/, '').replace(/\s*(元|CNY|RMB)$/i, '').replace(/,/g, '').trim();
  const m = /^([+-])?(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new Error(`not an amount of money: "${text}" (write it like 332.80 元, 332.8元 or CNY 332.80)`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) throw new Error(`amount too large: "${text}"`);
  return m[1] === '-' ? -fen : fen;
}

/** Wire amounts arrive as numbers (332.8) or strings ("332.80"); convert without float arithmetic. */
export function wireToFen(value: unknown): number {
  if (value === null || value === undefined || value === '') return 0;
  if (typeof value === 'number') {
    // String(332.8) is "332.8"; String(1e-7) would be exotic and is refused by parseYuan.
    return parseYuan(String(value));
  }
  return parseYuan(String(value));
}

/** 33280 -> "332.80" */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new Error(`not an integer number of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
