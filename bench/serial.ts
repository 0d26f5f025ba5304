// APDU rate and round-trip latency over the serial rig (our SerialChannel → a pty →
// SerialCardServer on its master → the emulated card, as the rig without serial.path runs it), beside the line's own limit at the same baud rate:
//   bytes per APDU on the line (command frame + answer frame, 2-byte length each) × 10 bits / baud.
// A pty has no baud rate: it delivers at once. So the rig runs twice:
//   paced — the host holds each frame for its time on a real line (10 bits a byte): what a
//           115200-baud cable would give; the ratio to the line's limit is the harness's overhead
//   raw   — no pacing: the harness's own ceiling (framing, resync decoder, the card, the pty)
//   npm run bench -- serial [seconds per measurement, default 2] [baud, default 115200]
import * as path from 'node:path';
import { EmulatedCard, loadCardProfile } from '../emulator';
import { openPty, SerialCardServer, SerialChannel } from '../rigs';
import { ratioLine } from './format';

const SECONDS = Number(process.argv[2] ?? 2);
const BAUD = Number(process.argv[3] ?? 115200);
const SELECT = Uint8Array.from(Buffer.from('00A404000F7378312E73682EC9E7BBE1B1A3D5CF', 'hex'));
const READ_CARD_NO = Uint8Array.from(Buffer.from('00B2072C0B', 'hex')); // answer: 07 09 + 9 bytes + 90 00
const profile = loadCardProfile(path.join(__dirname, '../fixtures/cards/zhang-san.yaml'));

interface Measurement { apdus: number; seconds: number; perSecond: number; p50: number; p99: number; mean: number; bytesPerApdu: number }

async function measure(paceLine: boolean): Promise<Measurement> {
  const pty = openPty();
  const server = await SerialCardServer.open({ path: { master: pty.master }, baudRate: BAUD, card: new EmulatedCard(profile) });
  const ch = await SerialChannel.open({ path: pty.path, baudRate: BAUD, timeoutMs: 2000, paceLine });
  try {
    await ch.powerOn();
    await ch.transmit(SELECT);
    let bytesPerApdu = 0;
    const times: number[] = [];
    const start = process.hrtime.bigint();
    while (process.hrtime.bigint() - start < BigInt(SECONDS * 1e9)) {
      const t0 = process.hrtime.bigint();
      const r = await ch.transmit(READ_CARD_NO);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytesPerApdu = 2 + READ_CARD_NO.length + 2 + r.length;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    times.sort((a, b) => a - b);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    return { apdus: times.length, seconds, perSecond: times.length / seconds, p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)], mean, bytesPerApdu };
  } finally {
    await ch.close();
    await server.close();
  }
}

async function main() {
  const raw = await measure(false);
  const paced = await measure(true);
  const lineMs = (paced.bytesPerApdu * 10 * 1000) / BAUD;
  const linePerSecond = 1000 / lineMs;
  const show = (label: string, m: Measurement) => console.log(`${label.padEnd(40)} ${m.perSecond.toFixed(0).padStart(6)} APDU/s  round trip mean ${m.mean.toFixed(3)} ms, p50 ${m.p50.toFixed(3)} ms, p99 ${m.p99.toFixed(3)} ms  (${m.apdus} APDUs)`);
  console.log(`READ RECORD (card number): ${paced.bytesPerApdu} bytes on the line per APDU (command frame ${2 + READ_CARD_NO.length} + answer frame ${paced.bytesPerApdu - 2 - READ_CARD_NO.length})`);
  console.log(`${`line limit at ${BAUD} baud`.padEnd(40)} ${linePerSecond.toFixed(0).padStart(6)} APDU/s  round trip ${lineMs.toFixed(3)} ms (${paced.bytesPerApdu} bytes × 10 bits / ${BAUD})`);
  show(`serial rig, paced to ${BAUD} baud`, paced);
  show('serial rig, raw pty (no line time)', raw);
  console.log(`harness overhead per APDU on a ${BAUD}-baud line: ${(paced.mean - lineMs).toFixed(3)} ms (raw pty round trip ${raw.mean.toFixed(3)} ms)`);
  console.log(ratioLine(`serial rig at ${BAUD} baud`, paced.perSecond, 'APDU/s', 'line limit', linePerSecond));
}

main().catch((err) => { console.error(err); process.exit(1); });
