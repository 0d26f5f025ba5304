// Fuzz: random and malformed APDUs (short, long, extended length, odd CLA/INS/P1/P2/Lc/Le).
// Invariants for every APDU: transmit never throws; the response ends in a status word from
// the table; data comes only with 9000 / 61xx / 6282. Files never change (this card has no
// write commands); the PIN changes only as a reference model of VERIFY / CHANGE PIN says.
// Seeded: the seed is printed, MEDCARD_SEED=<n> replays a run. 100,000 APDUs per run by
// default; MEDCARD_LONG_TESTS=1 (nightly) runs 1,000,000. The third-generation card adds
// EXTERNAL AUTHENTICATE, record 4E and the bank application: random cryptograms never
// unlock EF06, so the holder's ID number never appears in a response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatedCard, isKnownSw, type CardSnapshot } from '../../emulator';
import { prng, profile } from './helpers';

const SEED = Number(process.env.MEDCARD_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_RUN = process.env.MEDCARD_LONG_TESTS === '1' ? 1_000_000 : 100_000;
console.log(`fuzz seed ${SEED} (replay with MEDCARD_SEED=${SEED}), ${PER_RUN} APDUs per run (MEDCARD_LONG_TESTS=1: 1,000,000)`);

const AID = [0x73, 0x78, 0x31, 0x2e, 0x73, 0x68, 0x2e, 0xc9, 0xe7, 0xbb, 0xe1, 0xb1, 0xa3, 0xd5, 0xcf];
const PPSE = Array.from('2PAY.SYS.DDF01', (c) => c.charCodeAt(0));
const UNIONPAY = [0xa0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01];
const INS = [0xa4, 0xb2, 0xb0, 0x20, 0x5e, 0x84, 0x88, 0x82, 0xc0];
const CLA = [0x00, 0x00, 0x00, 0x00, 0x80, 0x80, 0x0c, 0x01, 0x10, 0x20, 0x40, 0x84, 0xff];
const P = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0c, 0x0d, 0x2c, 0x34, 0x2d, 0x44, 0x80, 0x85, 0x86, 0x88, 0xfc, 0xff];

const rec = (n: number, p2: number, le: number) => [0x00, 0xb2, n, p2, le];
const LEN: Record<number, number> = { 1: 16, 2: 1, 3: 4, 4: 12, 5: 4, 6: 4, 7: 9, 8: 18, 9: 30, 10: 1, 11: 1, 12: 3, 13: 4 };
const TEMPLATES: Array<number[] | ((digits: () => string) => number[])> = [
  [0x00, 0xa4, 0x04, 0x00, 0x0f, ...AID], [0x00, 0xa4, 0x04, 0x00, 0x0f, ...AID, 0x00], [0x00, 0xa4, 0x04, 0x0c, 0x0f, ...AID],
  [0x00, 0xa4, 0x00, 0x00, 0x02, 0x3f, 0x00], [0x00, 0xa4, 0x02, 0x00, 0x02, 0xef, 0x05], [0x00, 0xa4, 0x02, 0x0c, 0x02, 0xef, 0x06],
  [0x00, 0xa4, 0x02, 0x04, 0x02, 0xef, 0x05], [0x00, 0xa4, 0x03, 0x0c],
  ...Object.entries(LEN).flatMap(([n, l]) => [rec(+n, +n <= 7 ? 0x2c : 0x34, l + 2), rec(+n, 0x04, l + 2), rec(+n, 0x00, l + 2), rec(+n, 0x2c, 0)]),
  [0x00, 0xb2, 0x00, 0x04, 0x0b], [0x00, 0xb2, 0x00, 0x02, 0x0b], [0x00, 0xb2, 0x00, 0x03, 0x0b], [0x00, 0xb2, 0x07, 0x01, 0x0b],
  [0x00, 0x84, 0x00, 0x00, 0x04], [0x00, 0x84, 0x00, 0x00, 0x08],
  [0x00, 0xc0, 0x00, 0x00, 0x13], [0x00, 0xc0, 0x00, 0x00, 0x06], [0x00, 0xc0, 0x00, 0x00, 0x08], [0x00, 0xc0, 0x00, 0x00, 0x05], [0x00, 0xc0, 0x00, 0x00, 0x0e],
  [0x00, 0x88, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8], [0x00, 0x88, 0x00, 0x01, 0x08, 8, 7, 6, 5, 4, 3, 2, 1, 0x08],
  [0x00, 0xb0, 0x00, 0x00, 0x10], [0x00, 0xb0, 0x85, 0x00, 0x01], [0x00, 0x20, 0x00, 0x00],
  [0x00, 0x82, 0x00, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8], [0x00, 0x82, 0x00, 0x00, 0x08, 8, 7, 6, 5, 4, 3, 2, 1],
  rec(0x4e, 0x34, 42), rec(0x4e, 0x00, 42), [0x00, 0xa4, 0x04, 0x00, 0x0e, ...PPSE], [0x00, 0xa4, 0x04, 0x00, 0x08, ...UNIONPAY],
  rec(0x01, 0x0c, 0x14), [0x00, 0xc0, 0x00, 0x00, 0x19], [0x00, 0xc0, 0x00, 0x00, 0x36], [0x00, 0xc0, 0x00, 0x00, 0x21],
  (d) => [0x00, 0x20, 0x00, 0x00, 0x03, ...bcd(d())],
  (d) => [0x80, 0x5e, 0x01, 0x00, 0x07, ...bcd(d()), 0xff, ...bcd(d())],
  // RELOAD PIN and the HSM forms (Lc 10) of INTERNAL / EXTERNAL AUTHENTICATE (psam.test.ts): random
  // cryptograms never authenticate, so RELOAD PIN never changes the PIN here.
  (d) => [0x80, 0x5e, 0x00, 0x00, 0x03, ...bcd(d())],
  [0x00, 0x88, 0x00, 0x00, 0x10, ...Array.from({ length: 16 }, (_, i) => i)],
  [0x00, 0x82, 0x00, 0x01, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1],
];

function bcd(d: string): number[] {
  return [0, 2, 4].map((i) => ((d.charCodeAt(i) - 48) << 4) | (d.charCodeAt(i + 1) - 48));
}
const bcdStr = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

interface Gen {
  next(): Uint8Array;
}

function generator(rnd: () => number, pins: () => string[], avoidPin: string | null): Gen {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(a: T[]): T => a[int(a.length)];
  const bytes = (n: number) => Array.from({ length: n }, () => int(256));
  const digits = (): string => {
    const known = pins();
    let d = known.length && rnd() < 0.3 ? pick(known) : String(int(1_000_000)).padStart(6, '0');
    if (avoidPin && d === avoidPin) d = d === '000000' ? '000001' : '000000';
    return d;
  };
  const pinData = (): number[] => {
    switch (int(6)) {
      case 0: return bytes(int(12));
      case 1: { const b = bcd(digits()); b[int(3)] |= 0x0a; return b; } // a non-decimal nibble
      default: return bcd(digits());
    }
  };
  const data = (ins: number): number[] => {
    const r = rnd();
    if (ins === 0xa4 && r < 0.5) return pick([AID, AID.slice(0, 1 + int(15)), PPSE, UNIONPAY, UNIONPAY.slice(0, 1 + int(8)), [0x3f, 0x00], [0xef, 0x05], [0xef, 0x06], [0xef, 0x08], bytes(2), []]);
    if (ins === 0x20 && r < 0.8) return pinData();
    if (ins === 0x5e && r < 0.8) {
      const old = pinData();
      const sep = rnd() < 0.9 ? 0xff : int(256);
      return [...old, sep, ...pinData()];
    }
    if ((ins === 0x88 || ins === 0x82) && r < 0.7) return bytes(rnd() < 0.7 ? 8 : 16);
    return r < 0.85 ? [] : bytes(int(rnd() < 0.9 ? 20 : 260));
  };
  return {
    next(): Uint8Array {
      const kind = rnd();
      if (kind < 0.08) return Uint8Array.from(bytes(int(rnd() < 0.5 ? 8 : 300))); // raw garbage
      if (kind < 0.5) { // a valid command, sometimes with one byte changed
        const t = pick(TEMPLATES);
        const out = typeof t === 'function' ? t(digits) : t.slice();
        if (rnd() < 0.25) out[int(out.length)] = int(256);
        return Uint8Array.from(out);
      }
      const cla = rnd() < 0.9 ? pick(CLA) : int(256);
      const ins = rnd() < 0.9 ? pick(INS) : int(256);
      const p1 = rnd() < 0.8 ? pick(P) : int(256);
      const p2 = rnd() < 0.8 ? pick(P) : int(256);
      const d = data(ins);
      const head = [cla, ins, p1, p2];
      const form = rnd();
      let out: number[];
      if (form < 0.07) { // extended length: 00 Lc1 Lc2 data [Le1 Le2] or 00 Le1 Le2
        out = d.length ? [...head, 0, d.length >> 8, d.length & 0xff, ...d, ...(rnd() < 0.5 ? [int(256), int(256)] : [])] : [...head, 0, int(256), int(256)];
      } else if (form < 0.12) { // Lc that lies
        out = [...head, (d.length + (rnd() < 0.5 ? 1 : -1) + 256) & 0xff, ...d];
      } else if (form < 0.15) { // truncated
        out = [...head, d.length, ...d].slice(0, int(6 + d.length));
      } else {
        const le = rnd() < 0.5 ? [] : [rnd() < 0.5 ? pick([0, 4, 6, 8, 0x0b, 0x13, 0x14, 0x20, 0xff]) : int(256)];
        out = d.length ? (d.length > 255 ? [...head, 255, ...d.slice(0, 255), ...le] : [...head, d.length, ...d, ...le]) : [...head, ...le];
      }
      return Uint8Array.from(out);
    },
  };
}

/** Reference model of the PIN (card-spec §4): well-formed VERIFY and CHANGE PIN only. */
class PinModel {
  constructor(public value: string, public max: number, public tries: number, public verified = false) {}
  /** The expected SW for a command the model understands, or undefined to skip the SW check. */
  step(apdu: Uint8Array, active: boolean): number | undefined {
    const ok = (b: ArrayLike<number>) => /^\d{6}$/.test(bcdStr(b));
    const isVerify = (apdu.length === 8 || apdu.length === 9) && apdu[0] === 0x00 && apdu[1] === 0x20 && apdu[2] === 0 && apdu[3] === 0 && apdu[4] === 3 && ok(apdu.subarray(5, 8));
    const isChange = (apdu.length === 12 || apdu.length === 13) && apdu[0] === 0x80 && apdu[1] === 0x5e && apdu[2] === 1 && apdu[3] === 0 && apdu[4] === 7 && apdu[8] === 0xff && ok(apdu.subarray(5, 8)) && ok(apdu.subarray(9, 12));
    const isReload = apdu.length === 8 && apdu[0] === 0x80 && apdu[1] === 0x5e && apdu[2] === 0 && apdu[3] === 0 && apdu[4] === 3 && ok(apdu.subarray(5, 8));
    if (isReload) return 0x6982; // never after a successful EXTERNAL AUTHENTICATE: random cryptograms
    if (!isVerify && !isChange) return undefined;
    if (!active) return 0x6985;
    if (this.tries <= 0) return 0x6983;
    const presented = bcdStr(apdu.subarray(5, 8));
    if (presented !== this.value) {
      this.tries--;
      this.verified = false;
      return this.tries <= 0 ? 0x6983 : 0x63c0 | this.tries;
    }
    this.tries = this.max;
    this.verified = true;
    if (isChange) this.value = bcdStr(apdu.subarray(9, 12));
    return 0x9000;
  }
}

function run(name: string, cardName: string, pinKnown: boolean, seed: number): void {
  const rnd = prng(seed);
  const p = profile(cardName);
  const c = new EmulatedCard(p);
  c.powerOn();
  const initial = c.snapshot();
  const idNumber = Buffer.from(p.holder.idNumber, 'latin1');
  const ef06Locked = p.gen3?.externalAuth === 'required';
  let externalTries = c.externalAuthTriesLeft;
  const model = new PinModel(p.pin.value, p.pin.tries, p.pin.tries);
  const pins = (): string[] => (pinKnown ? [model.value, p.pin.value] : []);
  const gen = generator(rnd, pins, pinKnown ? null : p.pin.value);
  const counts = new Map<string, number>();
  let changes = 0;
  for (let i = 0; i < PER_RUN; i++) {
    if (rnd() < 0.0005) { c.powerOn(); model.verified = false; }
    if (rnd() < 0.002 && model.tries <= 0) { c.unlockPin(); model.tries = model.max; model.verified = false; } // harness, so the fuzz keeps reaching the counter
    const apdu = gen.next();
    let r: Uint8Array;
    try {
      r = c.transmit(apdu);
    } catch (e) {
      assert.fail(`${name}: transmit threw on ${bcdStr(apdu)} (seed ${seed}, #${i}): ${e}`);
    }
    if (r.length < 2) assert.fail(`${name}: response shorter than a SW to ${bcdStr(apdu)} (seed ${seed}, #${i})`);
    const sw = (r[r.length - 2] << 8) | r[r.length - 1];
    if (sw === 0x6f00) assert.fail(`${name}: 6F00 (an internal error) to ${bcdStr(apdu)} (seed ${seed}, #${i})`);
    if (!isKnownSw(sw)) assert.fail(`${name}: unknown SW ${sw.toString(16)} to ${bcdStr(apdu)} (seed ${seed}, #${i})`);
    if (r.length > 2 && sw !== 0x9000 && (sw & 0xff00) !== 0x6100 && sw !== 0x6282) assert.fail(`${name}: data with SW ${sw.toString(16)} (seed ${seed}, #${i})`);
    if (ef06Locked) {
      if (c.isExternallyAuthenticated || Buffer.from(r).includes(idNumber)) assert.fail(`${name}: EF06 unlocked by ${bcdStr(apdu)} (seed ${seed}, #${i})`);
      const tries = c.externalAuthTriesLeft!;
      if (tries > externalTries!) assert.fail(`${name}: external-auth tries rose to ${tries} after ${bcdStr(apdu)} (seed ${seed}, #${i})`);
      externalTries = tries;
    }
    const before = model.value;
    const want = model.step(apdu, c.isActivated);
    if (want !== undefined && want !== sw) assert.fail(`${name}: ${bcdStr(apdu)} answered ${sw.toString(16)}, model says ${want.toString(16)} (seed ${seed}, #${i})`);
    if (model.value !== before) changes++;
    if (c.pinTriesLeft !== Math.max(0, model.tries)) assert.fail(`${name}: tries ${c.pinTriesLeft}, model ${model.tries} after ${bcdStr(apdu)} (seed ${seed}, #${i})`);
    const k = sw.toString(16).toUpperCase().padStart(4, '0').replace(/^(61|6C)../, '$1xx').replace(/^63C./, '63Cx');
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (i % 50_000 === 49_999) checkState(name, c, initial, model, seed, i);
  }
  checkState(name, c, initial, model, seed, PER_RUN);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`).join(' ');
  console.log(`${name}: ${PER_RUN} APDUs, ${changes} legitimate PIN changes; SWs ${top}`);
  if (!pinKnown) assert.equal(changes, 0);
}

function checkState(name: string, c: EmulatedCard, initial: CardSnapshot, model: PinModel, seed: number, i: number): void {
  const s = c.snapshot();
  assert.deepEqual(s.files, initial.files, `${name}: files changed (seed ${seed}, by #${i})`);
  assert.equal(s.atr, initial.atr);
  assert.equal(s.activated, initial.activated);
  assert.equal(s.pin.value, model.value, `${name}: PIN value (seed ${seed}, by #${i})`);
  assert.equal(s.pin.triesLeft, model.tries);
}

test('fuzz: a card whose PIN the fuzzer does not know — no data or PIN value changes', () => {
  run('unknown PIN', 'zhang-san', false, SEED);
});

test('fuzz: PIN known to the fuzzer — PIN state follows the reference model', () => {
  run('known PIN', 'zhao-liu-initial-pin', true, SEED ^ 0x5eed);
});

test('fuzz: a third-generation card — random cryptograms never unlock EF06', () => {
  run('third generation', 'zhang-san-3g', true, SEED ^ 0x3e3e);
});

test('fuzz: a card that is not activated', () => {
  run('not activated', 'sun-ba-not-activated', true, SEED ^ 0xacdc);
});
