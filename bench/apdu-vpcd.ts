// APDU rate through the real stack (a PC/SC client → pcscd → vpcd → the card), same
// commands for every card, each measured in this run:
//   our card with the stall cured per socket (native/quickack)   — the figure that matters
//   our card with the stall left in                              — what the cure buys
//   vicc (Debian's Python card) on the same commands             — anchor 1
//   a do-nothing card answering 90 00 at once                    — anchor 2, the transport's own limit
// vicc cannot set TCP_QUICKACK on its socket, so as root its run puts the loopback route in
// quick-ACK mode for its duration (printed, and undone after); otherwise it runs stalled.
//   npm run bench -- apdu-vpcd [seconds per measurement, default 2]
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { PLAIN_ROUTE, QUICKACK_ROUTE, routeHasQuickAck } from '../cli/doctor';
import { EmulatedCard, loadCardProfile } from '../emulator';
import { PcscChannel, VPCD_BASE_PORT, VPCD_READERS } from '../rigs';
import { DO_NOTHING_CARD, measureVpcd, type VpcdMeasurement } from '../rigs';
import { ratioLine } from './format';
import { VICC_PYTHON, withViccEnv } from './vicc';

const SECONDS = Number(process.argv[2] ?? 2);
const READER = VPCD_READERS[0];
const MIX = [
  '00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF', // SELECT SSSE by AID (P2 0C: vicc 3.3 cannot encode an FCI)
  '00B2072C0B', // READ RECORD 7 of SFI 5 (card number)
  '0084000008', // GET CHALLENGE 8
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

const profile = loadCardProfile(path.join(__dirname, '../fixtures/cards/zhang-san.yaml'));
const show = (label: string, m: VpcdMeasurement) =>
  console.log(`${label.padEnd(46)} ${m.perSecond.toFixed(0).padStart(6)} APDU/s  (${m.msPerApdu.toFixed(2)} ms per APDU, ${m.apdus} APDUs)`);

async function viccRate(): Promise<VpcdMeasurement> {
  return withViccEnv(async (env) => {
    const child = spawn(VICC_PYTHON, [path.join(__dirname, 'vicc-vpcd.py'), String(VPCD_BASE_PORT)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const reader = new PcscChannel(READER);
    try {
      if (!(await reader.waitForCard(10000))) throw new Error(`vicc did not appear in "${READER}": ${err}`);
      await reader.powerOn();
      const start = process.hrtime.bigint();
      let apdus = 0;
      while (process.hrtime.bigint() - start < BigInt(SECONDS * 1e9)) {
        await reader.transmit(MIX[apdus % MIX.length]);
        apdus++;
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      return { apdus, seconds, perSecond: apdus / seconds, msPerApdu: (seconds * 1000) / apdus };
    } finally {
      await reader.powerOff();
      child.kill('SIGKILL');
      await reader.waitForCard(5000, false);
      await reader.close();
    }
  });
}

async function main() {
  const measure = (card: typeof DO_NOTHING_CARD, quickAck: boolean) =>
    measureVpcd({ card, readerName: READER, port: VPCD_BASE_PORT, quickAck, commands: MIX, seconds: SECONDS });

  const ours = await measure(new EmulatedCard(profile), true);
  show('our card, stall cured per socket', ours);
  const stalled = await measure(new EmulatedCard(profile), false);
  show('our card, stall left in', stalled);
  const limit = await measure(DO_NOTHING_CARD, true);
  show('do-nothing card (transport limit)', limit);

  let vicc: VpcdMeasurement;
  const root = process.getuid?.() === 0;
  if (routeHasQuickAck()) {
    vicc = await viccRate();
    show('vicc, loopback route already in quick-ACK mode', vicc);
  } else if (root) {
    console.log(`for vicc's run only: ${QUICKACK_ROUTE}`);
    execFileSync('sh', ['-c', QUICKACK_ROUTE]);
    try {
      vicc = await viccRate();
    } finally {
      execFileSync('sh', ['-c', PLAIN_ROUTE]);
      console.log(`restored: ${PLAIN_ROUTE}`);
    }
    show('vicc, route in quick-ACK mode', vicc);
  } else {
    vicc = await viccRate();
    show('vicc, stalled (not root: route left alone)', vicc);
  }

  console.log(ratioLine('our card via vpcd', ours.perSecond, 'APDU/s', 'vicc via vpcd', vicc.perSecond));
  console.log(ratioLine('our card via vpcd', ours.perSecond, 'APDU/s', 'do-nothing card via vpcd', limit.perSecond));
}

main().then(() => process.exit(0), (err) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
