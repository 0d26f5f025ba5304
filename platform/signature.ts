// Message signatures (platform-api.md §1, Decision): every institution has a key, and
// `cainfo` is the hex HMAC of the whole message, `input` included, in one canonical form,
// so nothing can be changed in transit and no signature fits another message. The engine
// verifies with the same two functions the client signs with (engine/README.md "Security").
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignType } from './types';

export const SIGN_TYPES: readonly SignType[] = ['SM3', 'SHA256'];
const HMAC: Record<SignType, string> = { SM3: 'sm3', SHA256: 'sha256' };

/**
 * The canonical text of a message: every field but `cainfo`, objects with their keys in
 * code-unit order at every depth, arrays in order, no whitespace, strings and numbers as
 * JSON writes them; fields whose value is undefined are left out (as JSON leaves them).
 */
export function canonicalText(message: Record<string, unknown>): string {
  const { cainfo: _signature, ...rest } = message;
  return canonical(rest);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonical(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The signature of a message: lower-case hex HMAC-SM3 or HMAC-SHA256 of its canonical text. */
export function signature(message: Record<string, unknown>, key: string, type: SignType): string {
  return createHmac(HMAC[type], key).update(canonicalText(message), 'utf8').digest('hex');
}

/** Whether `message.cainfo` is its signature under `key` with `message.signtype`. */
export function signatureHolds(message: Record<string, unknown>, key: string): boolean {
  const type = message.signtype as SignType;
  if (!SIGN_TYPES.includes(type) || typeof message.cainfo !== 'string') return false;
  const want = Buffer.from(signature(message, key, type), 'utf8');
  const got = Buffer.from(message.cainfo.toLowerCase(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}
