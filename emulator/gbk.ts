// GBK without a dependency: Node 20 has full ICU, so TextDecoder('gbk') decodes; the encoder
// is a reverse map built once, on first use, by decoding every two-byte GBK code.

const decoder = new TextDecoder('gbk');
let reverse: Map<number, number> | null = null;

function reverseMap(): Map<number, number> {
  if (reverse) return reverse;
  const m = new Map<number, number>();
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    pair[0] = lead;
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[1] = trail;
      const s = decoder.decode(pair);
      if (s.length !== 1 || s === '\ufffd') continue;
      const cp = s.charCodeAt(0);
      if (!m.has(cp)) m.set(cp, (lead << 8) | trail);
    }
  }
  reverse = m;
  return m;
}

/** Encode a string as GBK. Throws on a character GBK cannot represent. */
export function encodeGbk(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) { out.push(cp); continue; }
    const code = reverseMap().get(cp);
    if (code === undefined) throw new Error(`character "${ch}" (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) has no GBK code`);
    out.push(code >> 8, code & 0xff);
  }
  return Uint8Array.from(out);
}

/** Decode GBK bytes (no trimming). */
export function decodeGbk(b: Uint8Array): string {
  return decoder.decode(b);
}
