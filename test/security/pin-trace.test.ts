// PIN digits never reach a trace (the security issue: a malformed VERIFY showed them, and
// traces are attached to reports). Every command goes through the real emulated card behind
// the TracingChannel the rigs use; the lines checked are the ones reports attach
// (formatTrace), the card's own trace (`medcard emulate --trace`) and the JSON form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EmulatedCard, formatTraceEntry, isKnownSw, loadCardProfile, swMeaning, toHex, fromHex } from '../../emulator';
import { EmulatedChannel, TracingChannel, formatTrace } from '../../rigs';
import { SSSE_AID } from '../../spec';
import { prng } from '../emulator/helpers';

const PROFILE = loadCardProfile(path.resolve(__dirname, '../../fixtures/cards/zhang-san.yaml'));
const asciiHex = (digits: string): string => Buffer.from(digits, 'latin1').toString('hex').toUpperCase();
/** How a PIN shows in a line: its digits (= its BCD hex) or the hex of its ASCII digits. */
const patterns = (pins: readonly string[]): string[] => pins.flatMap((p) => [p, asciiHex(p)]);

/** A powered card in an emulated reader, traced as the rigs trace it. */
async function tracedCard(pin?: string) {
  const card = new EmulatedCard(PROFILE, { random: (n) => new Uint8Array(n) });
  if (pin) card.setPin(pin);
  const own: string[] = [];
  card.onTrace((e) => own.push(formatTraceEntry(e)));
  const reader = new EmulatedChannel('pin-trace reader');
  reader.insert(card);
  const channel = new TracingChannel(reader);
  await channel.powerOn();
  return { card, channel, own };
}

/** Every form a trace leaves the harness in: report lines, the card's own lines, JSON. */
function renderings(t: Awaited<ReturnType<typeof tracedCard>>): string[] {
  return [...formatTrace(t.channel.trace()).split('\n'), ...t.own, JSON.stringify(t.channel.trace()), JSON.stringify(t.card.trace)];
}

// zhang-san's PIN is 246810; 135790 is the new PIN of the CHANGE commands.
const PINS = ['246810', '135790'];
const S = (n: number): string => '*'.repeat(n);
/** command, the masked command hex, the status word, then `name detail` of the line. */
const TABLE: Array<[string, string, string, string]> = [
  // VERIFY
  ['0020000003246810', `0020000003${S(6)}`, '9000', 'VERIFY PIN (6 digits hidden)'],
  ['0020000003135790', `0020000003${S(6)}`, '63C2', 'VERIFY PIN (6 digits hidden)'],
  ['0020000004246810', `00200000${S(8)}`, '6700', 'VERIFY malformed APDU (8 bytes: not a short APDU)'],
  ['0020000002246810', `00200000${S(8)}`, '6700', 'VERIFY PIN (4 digits hidden)'],
  ['00200000246810', `00200000${S(6)}`, '6700', 'VERIFY malformed APDU (7 bytes: not a short APDU)'],
  ['00200000000003246810', `00200000${S(12)}`, '6700', 'VERIFY malformed APDU (10 bytes: not a short APDU)'],
  ['0020000003246810FF', `00200000${S(10)}`, '9000', 'VERIFY PIN (6 digits hidden)'],
  ['002000000324681024', `00200000${S(10)}`, '9000', 'VERIFY PIN (6 digits hidden)'],
  ['00200000032468101357', `00200000${S(12)}`, '6700', 'VERIFY malformed APDU (10 bytes: not a short APDU)'],
  ['0020000006323436383130', `0020000006${S(12)}`, '6700', 'VERIFY PIN (12 digits hidden)'],
  ['0020000008246810FFFFFFFFFF', `0020000008${S(16)}`, '6700', 'VERIFY PIN (6 digits hidden)'],
  ['00200000', '00200000', '63C3', 'VERIFY PIN state query'],
  ['0020000024', `00200000${S(2)}`, '6700', 'VERIFY PIN state query'],
  ['8020000003246810', `8020000003${S(6)}`, '6E00', 'UNKNOWN CLA 80 INS 20 P1 00 P2 00 Lc 3'],
  ['842000000324681024', `84200000${S(10)}`, '6E00', 'UNKNOWN CLA 84 INS 20 P1 00 P2 00 Lc 3'],
  ['0C20000003246810', `0C20000003${S(6)}`, '6882', 'VERIFY PIN (6 digits hidden)'],
  ['0120000003246810', `0120000003${S(6)}`, '6881', 'VERIFY PIN (6 digits hidden)'],
  ['FF20000003246810', `FF20000003${S(6)}`, '6E00', 'UNKNOWN CLA FF INS 20 P1 00 P2 00 Lc 3'],
  ['E2200000246810', `E2200000${S(6)}`, '6700', 'UNKNOWN malformed APDU (7 bytes: not a short APDU)'],
  ['00210000058103246810', `0021000005${S(10)}`, '6D00', 'UNKNOWN CLA 00 INS 21 P1 00 P2 00 Lc 5'],
  // SSSE CHANGE PIN 80 5E, old FF new
  ['805E010007246810FF135790', `805E010007${S(14)}`, '9000', 'CHANGE PIN old and new PIN hidden'],
  ['805E010005246810FF135790', `805E0100${S(16)}`, '6700', 'CHANGE PIN malformed APDU (12 bytes: not a short APDU)'],
  ['805E0100246810FF135790', `805E0100${S(14)}`, '6700', 'CHANGE PIN malformed APDU (11 bytes: not a short APDU)'],
  ['805E010007246810FF13579000', `805E0100${S(18)}`, '9000', 'CHANGE PIN old and new PIN hidden'],
  ['805E0100000007246810FF135790', `805E0100${S(20)}`, '6700', 'CHANGE PIN malformed APDU (14 bytes: not a short APDU)'],
  ['005E010007246810FF135790', `005E010007${S(14)}`, '6E00', 'UNKNOWN CLA 00 INS 5E P1 01 P2 00 Lc 7'],
  ['845E010007246810FF135790', `845E010007${S(14)}`, '6E00', 'CHANGE PIN old and new PIN hidden'],
  // P1 00 is RELOAD PIN (80 5E 00 00 03 <new PIN>): Lc 6 is the wrong length.
  ['805E000006246810135790', `805E000006${S(12)}`, '6700', 'RELOAD PIN new PIN hidden'],
  ['805E000003135790', `805E000003${S(6)}`, '6982', 'RELOAD PIN new PIN hidden'],
  // CHANGE REFERENCE DATA 24 and RESET RETRY COUNTER / RELOAD PIN 2C (the card has neither)
  ['0024000006246810135790', `0024000006${S(12)}`, '6D00', 'CHANGE REFERENCE DATA old and new PIN hidden'],
  ['002400000C246810135790', `00240000${S(14)}`, '6700', 'CHANGE REFERENCE DATA malformed APDU (11 bytes: not a short APDU)'],
  ['8024000006246810135790', `8024000006${S(12)}`, '6D00', 'UNKNOWN CLA 80 INS 24 P1 00 P2 00 Lc 6'],
  ['002C000003246810', `002C000003${S(6)}`, '6D00', 'RESET RETRY COUNTER old and new PIN hidden'],
  ['002C0000246810', `002C0000${S(6)}`, '6700', 'RESET RETRY COUNTER malformed APDU (7 bytes: not a short APDU)'],
  ['802C000003246810FF', `802C0000${S(10)}`, '6D00', 'UNKNOWN CLA 80 INS 2C P1 00 P2 00 Lc 3'],
];

test('malformed and well-formed PIN commands: a status word, and no PIN digits in any trace line', async () => {
  for (const [command, masked, sw, nameDetail] of TABLE) {
    const t = await tracedCard();
    const response = await t.channel.transmit(fromHex(command));
    assert.equal(toHex(response), sw, command);
    const [entry] = t.channel.trace();
    assert.equal(formatTrace(t.channel.trace()), `${entry.time} > ${masked}  < ${sw}  ${nameDetail} — ${sw} ${swMeaning(parseInt(sw, 16))}`, command);
    assert.equal(t.own.length, 1, command);
    for (const text of renderings(t)) for (const p of patterns(PINS)) assert.ok(!text.includes(p), `${command}: "${p}" in ${text}`);
  }
});

// ---- the sequence fuzz ----------------------------------------------------------------------

const SEED = Number(process.env.MEDCARD_SEED ?? Math.floor(Math.random() * 2 ** 31));
const APDUS = 2000;

// No 0 digit in the secrets: a command with its secret bytes zeroed then cannot show one by
// chance, so the generator can refuse the (rare) commands whose other bytes spell a secret.
const SECRETS = ['975318', '864297', '319572'];
const SECRET_PATTERNS = patterns(SECRETS);
const spells = (hex: string): boolean => SECRET_PATTERNS.some((p) => hex.includes(p));

/** A command byte; `secret` marks the bytes that carry a secret PIN. */
interface Byte { v: number; secret: boolean }

function generator(rnd: () => number): () => Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  const plain = (bytes: readonly number[]): Byte[] => bytes.map((v) => ({ v, secret: false }));
  const random = (n: number): Byte[] => plain(Array.from({ length: n }, () => int(256)));
  const bcd = (d: string): number[] => [0, 2, 4].map((i) => (+d[i] << 4) | +d[i + 1]);
  const pin = (): Byte[] => {
    const s = pick(SECRETS);
    const enc = pick([bcd(s), [...Buffer.from(s, 'latin1')], [...bcd(s), 0xff, 0xff, 0xff, 0xff, 0xff]]).map((v) => ({ v, secret: true }));
    return rnd() < 0.8 ? enc : [...random(int(4)), ...enc, ...random(int(4))];
  };
  const commands: Array<() => { head: number[]; data: Byte[]; le?: number }> = [
    () => rnd() < 0.5 ? { head: [0x00, 0xa4, 0x04, 0x00], data: plain([...SSSE_AID]), le: rnd() < 0.3 ? 0 : undefined }
      : { head: [0x00, 0xa4, pick([0x00, 0x02, 0x04, int(256)]), pick([0x00, 0x04, 0x0c])], data: rnd() < 0.5 ? plain(pick([[0x3f, 0x00], [0xef, 0x05], [0xef, 0x06]])) : random(int(20)) },
    () => ({ head: [0x00, 0x20, 0x00, 0x00], data: rnd() < 0.9 ? pin() : [] }),
    () => ({ head: [0x80, 0x5e, 0x01, 0x00], data: [...pin(), ...plain([0xff]), ...pin()] }),
    () => ({ head: [0x00, 0x24, 0x00, int(3)], data: [...pin(), ...pin()] }),
    () => ({ head: [pick([0x00, 0x80]), pick([0x2c, 0x5e]), 0x00, 0x00], data: pin() }), // RELOAD PIN: ISO 2C, PBOC 80 5E 00 00
    () => ({ head: [0x00, 0xb2, 1 + int(13), pick([0x00, 0x04, 0x2c, 0x34])], data: rnd() < 0.9 ? [] : random(int(8)), le: pick([0x0b, 0x14, int(256)]) }),
    () => ({ head: [0x00, 0xc0, 0x00, 0x00], data: [], le: pick([0x00, 0x13, 0x11, int(256)]) }),
  ];
  const CLAS = [0x00, 0x80, 0x84, 0x0c, 0x01, 0x10, 0x40, 0xe0, 0xff];
  const one = (): Byte[] => {
    const { head, data, le } = pick(commands)();
    if (rnd() < 0.2) head[0] = rnd() < 0.7 ? pick(CLAS) : int(256);
    if (rnd() < 0.1) head[2 + int(2)] = int(256);
    const h = plain(head);
    const tail = le === undefined ? [] : plain([le]);
    const n = data.length;
    const shape = rnd();
    if (shape < 0.5) return n ? [...h, ...plain([n & 0xff]), ...data, ...tail] : [...h, ...tail]; // well-formed
    if (shape < 0.6) return [...h, ...plain([(n + 1 + int(3)) & 0xff]), ...data, ...tail]; // Lc too long
    if (shape < 0.7) return [...h, ...plain([Math.max(0, n - 1 - int(3))]), ...data, ...tail]; // Lc too short
    if (shape < 0.8) return [...h, ...data, ...tail]; // no Lc
    if (shape < 0.85) return [...h, ...plain([0x00, n >> 8, n & 0xff]), ...data, ...random(int(3))]; // extended length
    if (shape < 0.95) return [...h, ...plain([n & 0xff]), ...data, ...random(1 + int(4))]; // trailing bytes
    return [...h, ...plain([n & 0xff]), ...data].slice(0, int(n + 6)); // cut short
  };
  return () => {
    for (;;) {
      const apdu = one();
      // Only the secret may spell a secret: anything else that does would be chance, not a leak.
      if (!spells(toHex(Uint8Array.from(apdu, (b) => (b.secret ? 0 : b.v))))) return Uint8Array.from(apdu, (b) => b.v);
    }
  };
}

test('sequence fuzz: random SELECT / VERIFY / CHANGE PIN / RELOAD PIN / READ RECORD / GET RESPONSE never show a PIN', async () => {
  console.log(`pin-trace fuzz seed ${SEED} (replay with MEDCARD_SEED=${SEED}), ${APDUS} APDUs`);
  const t = await tracedCard(SECRETS[0]);
  // The card's data (records as hex: their ASCII and BCD values too) must not spell a
  // secret, or a response or its decoding would look like a leak.
  assert.ok(!spells(JSON.stringify(t.card.snapshot().files)) && !spells(toHex(SSSE_AID)), 'a secret is in the card data: choose others');
  const next = generator(prng(SEED));
  for (let i = 0; i < APDUS; i++) {
    if (t.card.isPinLocked) t.card.unlockPin(); // keep right PINs answering 9000
    const apdu = next();
    const response = await t.channel.transmit(apdu);
    const where = `seed ${SEED}, APDU #${i}`;
    assert.ok(response.length >= 2 && isKnownSw((response[response.length - 2] << 8) | response[response.length - 1]), `${where}: response ${toHex(response)}`);
    for (const text of [formatTrace(t.channel.trace().slice(-1)), t.own[t.own.length - 1]]) assert.ok(!spells(text), `${where}: a PIN shows in ${text}`);
  }
  assert.equal(t.own.length, APDUS);
  for (const text of renderings(t)) assert.ok(!spells(text), `seed ${SEED}: a PIN shows in the serialized trace`);
});
