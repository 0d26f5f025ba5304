// Hex helpers shared by the emulator layers.

const HEX = '0123456789ABCDEF';
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4] + HEX[i & 15]);

/** Upper-case hex, no spaces. */
export function toHex(bytes: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (i && sep ? sep : '') + BYTE_HEX[bytes[i]];
  return s;
}

export function byteHex(b: number): string {
  return BYTE_HEX[b & 0xff];
}

/** Parse hex; spaces, colons and a leading 0x are ignored. Throws on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`not a hex string: "${hex}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Digits to packed BCD, padded on the right with F to whole bytes (or to `bytes` with FF). */
export function digitsToBcd(digits: string, bytes?: number): Uint8Array {
  const n = bytes ?? Math.ceil(digits.length / 2);
  const out = new Uint8Array(n).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 48;
    const bi = i >> 1;
    out[bi] = i & 1 ? (out[bi] & 0xf0) | d : (d << 4) | (out[bi] & 0x0f);
  }
  return out;
}

/** Packed BCD back to digits; F nibbles end the number. Returns null if a nibble is A–E or a digit follows an F. */
export function bcdToDigits(bytes: Uint8Array): string | null {
  let s = '';
  let ended = false;
  for (let i = 0; i < bytes.length; i++) {
    for (const nib of [bytes[i] >> 4, bytes[i] & 15]) {
      if (nib === 15) { ended = true; continue; }
      if (nib > 9 || ended) return null;
      s += String.fromCharCode(48 + nib);
    }
  }
  return s;
}

/** A BER-TLV: one- or two-byte tag (e.g. 0x9F0C), short or 81-form length. */
export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const t = tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const l = value.length < 0x80 ? [value.length] : [0x81, value.length];
  return concat(Uint8Array.from([...t, ...l]), value);
}
