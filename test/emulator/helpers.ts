import * as path from 'node:path';
import { EmulatedCard, loadCardProfile, type CardProfile } from '../../emulator';

export const CARDS = path.resolve(__dirname, '../../fixtures/cards');
export const TEST_CARDS = path.resolve(__dirname, 'fixtures');

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
}
export function show(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}
export function profile(name: string): CardProfile {
  const dir = name.startsWith('test:') ? TEST_CARDS : CARDS;
  return loadCardProfile(path.join(dir, `${name.replace(/^test:/, '')}.yaml`));
}
/** A powered card whose GET CHALLENGE returns 01 02 03 … */
export function card(name: string, opts: { traceLimit?: number } = {}): EmulatedCard {
  const c = new EmulatedCard(profile(name), { random: (n) => Uint8Array.from({ length: n }, (_, i) => i + 1), ...opts });
  c.powerOn();
  return c;
}
/** Send hex, get hex (upper case, no spaces). */
export function tx(c: EmulatedCard, apdu: string): string {
  return show(c.transmit(hex(apdu)));
}
/** ASCII → hex, written out so expected values do not come from the emulator. */
export function asciiHex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex').toUpperCase();
}

/** A seeded random number generator (mulberry32): the fuzz tests print their seed and take it back. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
