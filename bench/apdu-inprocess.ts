// Our card's APDU rate in-process vs vicc's own dispatch (Iso7816OS.execute in a Python loop),
// measured in the same run on the same APDU mix: SELECT SSSE by AID, SELECT EF05, READ RECORD
// by SFI and on the current EF, GET CHALLENGE. P2 = 0C on SELECT because vicc 3.3's FCI
// encoding fails on Python 3 (bertlv_pack), so neither card sends an FCI.
//   npm run bench -- apdu-inprocess [seconds per measurement, default 2]
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EmulatedCard, loadCardProfile, type TraceEntry } from '../emulator';
import { ratioLine } from './format';
import { VICC_PYTHON, withViccEnv } from './vicc';

const SECONDS = Number(process.argv[2] ?? 2);
const MIX_HEX = [
  '00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF', // SELECT SSSE by AID
  '00B2072C0B', // READ RECORD 7, SFI 5 (card number)
  '0084000008', // GET CHALLENGE 8
  '00A4020C02EF05', // SELECT EF05
  '00B207040B', // READ RECORD 7 of the current EF
];
const MIX = MIX_HEX.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

function vicc(): { rate: number; sample: Record<string, string> } {
  return withViccEnv((env) => {
    const r = spawnSync(VICC_PYTHON, [path.join(__dirname, 'vicc-dispatch.py'), String(SECONDS), JSON.stringify(MIX_HEX)], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vicc-dispatch.py failed: ${r.stderr || r.error}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  });
}

function ours(card: EmulatedCard): number {
  card.powerOn();
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (;;) {
    for (let k = 0; k < 1000; k++) for (const m of MIX) card.transmit(m);
    n += 1000 * MIX.length;
    if (Date.now() >= deadline) break;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / secs;
}

const profile = loadCardProfile(path.join(__dirname, '../fixtures/cards/zhang-san.yaml'));
const plain = new EmulatedCard(profile, { traceLimit: 0 });
const ring = new EmulatedCard(profile); // default: the card's own trace, 1000 exchanges
const listened = new EmulatedCard(profile);
let decoded = 0;
listened.onTrace((e: TraceEntry) => { decoded += e.detail.length > 0 ? 1 : 0; }); // every exchange decoded, as a report would

// Same answers as vicc on the deterministic commands (a sanity check that both do the same work).
plain.powerOn();
const sample: Record<string, string> = {};
for (const m of MIX) sample[hex(m)] = hex(plain.transmit(m));

ours(plain); ours(ring); ours(listened); // warm-up (JIT)
const rPlain = ours(plain);
const rRing = ours(ring);
const rListened = ours(listened);
const v = vicc();

for (const h of MIX_HEX) {
  const a = sample[h];
  const b = v.sample[h];
  const same = h.startsWith('0084') ? a.slice(-4) === b.slice(-4) && a.length === b.length : a === b;
  console.log(`${same ? 'same' : 'DIFFERENT'}  ${h}: ours ${a}, vicc ${b}`);
}
console.log(`our card, trace off:                         ${Math.round(rPlain)} APDU/s`);
console.log(`our card, own trace ring (default):          ${Math.round(rRing)} APDU/s`);
console.log(`our card, ring + onTrace decoding each APDU: ${Math.round(rListened)} APDU/s (${decoded} decoded)`);
console.log(`vicc Iso7816OS.execute (Python loop):        ${Math.round(v.rate)} APDU/s`);
console.log(ratioLine('our card', rListened, 'APDU/s', 'vicc Iso7816OS.execute', v.rate));
