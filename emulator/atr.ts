// ATRs (ISO 7816-3): the default ATR for a profile, and a structural check for given ones.

export type Protocol = 'T=0' | 'T=1';

/**
 * Default ATR (card-spec §1, Decision): a valid ATR whose historical bytes spell the
 * profile's name (ASCII, at most 15 bytes; a first byte other than 00/10/8x means
 * "proprietary historical bytes" in ISO 7816-4). T=0: `3B 0K <hist>` (T=0 implicit, no TCK).
 * T=1: `3B 8K 01 <hist> TCK`.
 */
export function defaultAtr(name: string, protocol: Protocol = 'T=0'): Uint8Array {
  const hist = Array.from(name.replace(/[^\x20-\x7e]/g, '?').slice(0, 15), (c) => c.charCodeAt(0));
  if (protocol === 'T=0') return Uint8Array.from([0x3b, hist.length, ...hist]);
  const body = [0x80 | hist.length, 0x01, ...hist];
  const tck = body.reduce((a, b) => a ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

/**
 * Default contactless ATR: what a PC/SC reader reports for an ISO 14443-4 card (PC/SC
 * part 3): `3B 8K 80 01 <hist> TCK`, the historical bytes spelling the profile's name.
 */
export function contactlessDefaultAtr(name: string): Uint8Array {
  const hist = Array.from(name.replace(/[^\x20-\x7e]/g, '?').slice(0, 15), (c) => c.charCodeAt(0));
  const body = [0x80 | hist.length, 0x80, 0x01, ...hist];
  const tck = body.reduce((a, b) => a ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

export interface AtrInfo {
  protocols: number[];
  historical: Uint8Array;
}

/** Parse an ATR; returns a reason string when it is not a well-formed ATR. */
export function parseAtr(atr: Uint8Array): AtrInfo | string {
  if (atr.length < 2) return 'an ATR has at least 2 bytes (TS T0)';
  if (atr.length > 33) return `an ATR has at most 33 bytes, got ${atr.length}`;
  if (atr[0] !== 0x3b && atr[0] !== 0x3f) return `TS must be 3B (direct) or 3F (inverse), got ${atr[0].toString(16).toUpperCase().padStart(2, '0')}`;
  const k = atr[1] & 0x0f;
  let y = atr[1] >> 4;
  let i = 2;
  const protocols: number[] = [];
  let first = true;
  for (;;) {
    for (const bit of [1, 2, 4]) if (y & bit) i++;
    if (!(y & 8)) break;
    if (i >= atr.length) return 'ATR ends inside its interface bytes';
    const td = atr[i++];
    const p = td & 0x0f;
    if (first || !protocols.includes(p)) protocols.push(p);
    first = false;
    y = td >> 4;
  }
  if (protocols.length === 0) protocols.push(0);
  const needTck = protocols.some((p) => p !== 0);
  const expected = i + k + (needTck ? 1 : 0);
  if (atr.length !== expected) return `ATR length ${atr.length} does not match its structure (T0 says ${k} historical bytes${needTck ? ' and a TCK' : ''}: ${expected} bytes)`;
  if (needTck) {
    let x = 0;
    for (let j = 1; j < atr.length; j++) x ^= atr[j];
    if (x !== 0) return 'ATR check byte TCK is wrong';
  }
  return { protocols, historical: atr.subarray(i, i + k) };
}
