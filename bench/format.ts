// The one closing line every benchmark prints.
export function ratioLine(measure: string, value: number, unit: string, anchor: string, anchorValue: number, anchorUnit = unit): string {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toPrecision(3));
  const ratio = anchorValue === 0 ? Infinity : value / anchorValue;
  return `${measure} ${fmt(value)} ${unit} vs ${anchor} ${fmt(anchorValue)} ${anchorUnit} = ${ratio.toFixed(2)}x`;
}
