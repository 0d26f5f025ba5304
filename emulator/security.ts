// The security layer: the PIN (retry counter, lock, verified state, issuing-default flag),
// challenges and INTERNAL AUTHENTICATE. Raises status words; knows nothing of APDUs.

import * as crypto from 'node:crypto';
import { SW, raise, wrongPin } from './sw';
import { sm4EncryptEcb } from './sm4';

export class PinState {
  verified = false;
  constructor(public value: string, readonly maxTries: number, public triesLeft: number, public initial: boolean) {}

  get locked(): boolean { return this.triesLeft <= 0; }

  /** Compare a presented PIN; on a mismatch count down and raise 63Cx, or 6983 at zero. */
  check(presented: string): void {
    if (this.locked) raise(SW.PIN_BLOCKED);
    if (presented !== this.value) {
      this.verified = false;
      this.triesLeft--;
      raise(this.triesLeft <= 0 ? SW.PIN_BLOCKED : wrongPin(this.triesLeft));
    }
    this.triesLeft = this.maxTries;
  }

  verify(presented: string): void {
    this.check(presented);
    this.verified = true;
  }

  /** VERIFY without data: report the state (ISO 7816-4). */
  status(): void {
    if (this.locked) raise(SW.PIN_BLOCKED);
    if (!this.verified) raise(wrongPin(this.triesLeft));
  }

  /** The issuer's reload (after external authentication): a new PIN, full tries, not verified. */
  reload(next: string): void {
    this.value = next;
    this.initial = false;
    this.verified = false;
    this.triesLeft = this.maxTries;
  }

  change(old: string, next: string): void {
    this.check(old);
    this.value = next;
    this.initial = false;
    this.verified = true;
  }
}

export type AuthAlgorithm = 'SM4' | '3DES';

const HAS_NATIVE_SM4 = crypto.getCiphers().includes('sm4-ecb');

export function sm4Ecb(key: Uint8Array, block16: Uint8Array): Uint8Array {
  if (!HAS_NATIVE_SM4) return sm4EncryptEcb(key, block16);
  const c = crypto.createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block16), c.final()]));
}

function tdesEcb(key: Uint8Array, block8: Uint8Array): Uint8Array {
  const c = crypto.createCipheriv(key.length === 16 ? 'des-ede-ecb' : 'des-ede3-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block8), c.final()]));
}

/**
 * The INTERNAL AUTHENTICATE cryptogram (card-spec §4, Decision):
 * SM4: SM4-ECB of the 8-byte challenge padded to 16 bytes with 80 00 … (ISO/IEC 9797-1
 * method 2), first 8 bytes; a 16-byte challenge (the HSM form, factor ‖ random) is one
 * block, encrypted as it is. 3DES: 3DES-ECB (2- or 3-key) of the challenge, 8 bytes.
 */
export function internalAuthCryptogram(algorithm: AuthAlgorithm, key: Uint8Array, challenge: Uint8Array): Uint8Array {
  if (algorithm === '3DES') return tdesEcb(key, challenge);
  if (challenge.length === 16) return sm4Ecb(key, challenge).subarray(0, 8);
  const block = new Uint8Array(16);
  block.set(challenge);
  block[challenge.length] = 0x80;
  return sm4Ecb(key, block).subarray(0, 8);
}

/**
 * The third-generation card's external-authentication key (card-spec §7, Decision): the
 * card key is SM4-ECB of the 16-byte card identification code (EF05/01) under the RKSSSE
 * master key; the terminal answers a challenge with `internalAuthCryptogram('SM4', cardKey,
 * challenge)` (a 4-byte challenge padded with 00 to 8 bytes first).
 */
export function diversifyKey(masterKey: Uint8Array, cardIdCode: Uint8Array): Uint8Array {
  return sm4Ecb(masterKey, cardIdCode);
}

export function externalAuthCryptogram(cardKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  const block = new Uint8Array(8);
  block.set(challenge.subarray(0, 8));
  return internalAuthCryptogram('SM4', cardKey, block);
}

/** The key's retry counter and the authenticated state (cleared by a reset). */
export class ExternalAuthKey {
  authenticated = false;
  constructor(private readonly cardKey: Uint8Array, readonly maxTries: number, public triesLeft: number = maxTries) {}

  get locked(): boolean { return this.triesLeft <= 0; }

  check(challenge: Uint8Array, cryptogram: Uint8Array): void {
    this.authenticated = false;
    if (this.locked) raise(SW.PIN_BLOCKED);
    const expected = externalAuthCryptogram(this.cardKey, challenge);
    if (!crypto.timingSafeEqual(expected, cryptogram)) {
      this.triesLeft--;
      raise(this.triesLeft <= 0 ? SW.PIN_BLOCKED : wrongPin(this.triesLeft));
    }
    this.triesLeft = this.maxTries;
    this.authenticated = true;
  }
}

/** Random bytes from a pool refilled 4 KB at a time (GET CHALLENGE is on the hot path). */
export function pooledRandom(): (n: number) => Uint8Array {
  let pool = crypto.randomBytes(4096);
  let pos = 0;
  return (n: number) => {
    if (n > pool.length) return new Uint8Array(crypto.randomBytes(n));
    if (pos + n > pool.length) { pool = crypto.randomBytes(4096); pos = 0; }
    const out = new Uint8Array(pool.subarray(pos, pos + n));
    pos += n;
    return out;
  };
}
