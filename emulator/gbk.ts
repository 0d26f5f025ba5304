// GBK without a dependency: Node 20 has full ICU, so TextDecoder('gbk') decodes; the encoder
// is a reverse map built once, on first use, by decoding every two-byte GBK code.

const decoder = new TextDecoder('gbk');
let reverse: Map<number, number> | null = null;

function reverseMap(): Map<number, number> {
  if (reverse) return reverse;
  // Every code as "lead trail space", decoded in one call (24,000 calls took 20 ms): a valid
  // code gives one character before its space; an invalid one gives U+FFFD (and its trail
  // byte again when that is ASCII), and the space keeps the rest in step.
  const codes: number[] = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) if (trail !== 0x7f) codes.push((lead << 8) | trail);
  }
  const bytes = new Uint8Array(codes.length * 3);
  codes.forEach((code, i) => { bytes[3 * i] = code >> 8; bytes[3 * i + 1] = code & 0xff; bytes[3 * i + 2] = 0x20; });
  const texts = decoder.decode(bytes).split(' ');
  const m = new Map<number, number>();
  codes.forEach((code, i) => {
    const s = texts[i]!;
    if (s.length === 1 && s !== '\ufffd' && !m.has(s.charCodeAt(0))) m.set(s.charCodeAt(0), code);
  });
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
