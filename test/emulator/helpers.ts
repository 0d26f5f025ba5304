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
