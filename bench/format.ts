// The one closing line every benchmark prints, and the median runs are reported by.
export function ratioLine(measure: string, value: number, unit: string, anchor: string, anchorValue: number, anchorUnit = unit): string {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toPrecision(3));
  const ratio = anchorValue === 0 ? Infinity : value / anchorValue;
  return `${measure} ${fmt(value)} ${unit} vs ${anchor} ${fmt(anchorValue)} ${anchorUnit} = ${ratio.toFixed(2)}x`;
}

/** The median of repeated runs (this machine is shared: one run swings by 2×). */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}
