// `medcard doctor`: is this machine ready for the rigs? Each check prints a verdict and,
// when it fails, the command that fixes it. `--fix` (root) applies the loopback quick-ACK
// route for the vpcd stall — the only change doctor ever makes, and only when asked.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { DO_NOTHING_CARD, listReaderNames, measureVpcd, PcscChannel, quickAckAvailable, VPCD_BASE_PORT, VPCD_READERS } from '../rigs';
import { parseOptions } from './args';

const HELP = `usage: medcard doctor [--fix] [--no-measure]

Checks pcscd, the vpcd virtual readers, the quick-ACK addon and PostgreSQL, and measures
the vpcd 20-APDU/s stall (a do-nothing card, 1 s with and 1 s without quick-ACK).

  --fix         as root, put the loopback route in quick-ACK mode (cures the stall for
                every vpcd card on this machine, ours or not); says exactly what it runs
  --no-measure  skip the stall measurement`;

export const QUICKACK_ROUTE = 'ip route change table local local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 quickack 1';
export const PLAIN_ROUTE = 'ip route change table local local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1';

type Verdict = 'ok' | 'FAIL' | 'warn' | 'info';
const print = (v: Verdict, what: string, detail = '') => console.log(`${v.padEnd(4)}  ${what}${detail ? `\n      ${detail.replace(/\n/g, '\n      ')}` : ''}`);

export function routeHasQuickAck(): boolean {
  try {
    return /quickack 1/.test(execFileSync('ip', ['route', 'show', 'table', 'local', '127.0.0.1'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { fix: { type: 'boolean', default: false }, 'no-measure': { type: 'boolean', default: false } }, HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  let failures = 0;

  let readers: string[] = [];
  try {
    readers = listReaderNames();
    print('ok', 'pcscd answers');
  } catch (err) {
    failures++;
    print('FAIL', 'pcscd', (err as Error).message);
  }

  const vpcdReaders = VPCD_READERS.filter((r) => readers.includes(r));
  if (vpcdReaders.length === VPCD_READERS.length) print('ok', `vpcd readers: ${vpcdReaders.join(', ')}`);
  else {
    failures++;
    print('FAIL', 'vpcd readers missing', `pcscd shows: ${readers.join(', ') || 'no readers'}\nfix (root): apt-get install vsmartcard-vpcd && pkill pcscd; pcscd`);
  }
  const others = readers.filter((r) => !VPCD_READERS.includes(r as (typeof VPCD_READERS)[number]));
  if (others.length) print('info', `other readers (for the pcsc rig): ${others.join(', ')}`);

  const addon = quickAckAvailable();
  if (addon) print('ok', 'quick-ACK addon loaded: our vpcd cards do not stall');
  else print('warn', 'quick-ACK addon not built: our vpcd cards stall at ~20 APDU/s', 'fix: npm ci (builds native/quickack; needs g++ and make)');

  const routeFixed = routeHasQuickAck();
  print('info', `loopback route quick-ACK: ${routeFixed ? 'on (set by `medcard doctor --fix` or by hand)' : 'off (machine default)'}`);

  if (!values['no-measure'] && vpcdReaders.length > 0) {
    const free = [];
    for (let i = 0; i < VPCD_READERS.length; i++) {
      if (!readers.includes(VPCD_READERS[i])) continue;
      const ch = new PcscChannel(VPCD_READERS[i]);
      const busy = ch.isCardPresent();
      await ch.close();
      if (!busy && (await canConnect(VPCD_BASE_PORT + i))) free.push(i);
    }
    if (free.length === 0) print('warn', 'stall not measured: every vpcd reader holds a card');
    else {
      const i = free[0];
      const common = { card: DO_NOTHING_CARD, readerName: VPCD_READERS[i], port: VPCD_BASE_PORT + i, commands: [Uint8Array.from([0x00, 0x84, 0x00, 0x00, 0x04])], seconds: 1 };
      const slow = await measureVpcd({ ...common, quickAck: false });
      const fast = addon ? await measureVpcd({ ...common, quickAck: true }) : undefined;
      const stalled = slow.msPerApdu > 10;
      const line = `without quick-ACK: ${slow.perSecond.toFixed(0)} APDU/s (${slow.msPerApdu.toFixed(1)} ms per APDU)` +
        (fast ? `; with per-socket quick-ACK: ${fast.perSecond.toFixed(0)} APDU/s (${fast.msPerApdu.toFixed(2)} ms)` : '');
      if (!stalled) print('ok', 'no vpcd stall', line);
      else if (fast && fast.msPerApdu < 10) print('ok', 'vpcd stall present, cured per socket for our cards', `${line}\ncards we do not run (e.g. vicc) still stall; to cure it machine-wide (root): medcard doctor --fix\n  = ${QUICKACK_ROUTE}`);
      else {
        failures++;
        print('FAIL', 'vpcd stall', `${line}\nfix (root): medcard doctor --fix\n  = ${QUICKACK_ROUTE}`);
      }
    }
  }

  if (values.fix) {
    if (routeFixed) print('ok', 'loopback route already in quick-ACK mode; nothing to do');
    else if (process.getuid?.() !== 0) {
      failures++;
      print('FAIL', '--fix needs root', `run as root: ${QUICKACK_ROUTE}`);
    } else {
      console.log(`running: ${QUICKACK_ROUTE}`);
      execFileSync('sh', ['-c', QUICKACK_ROUTE], { stdio: 'inherit' });
      print('ok', 'loopback route now in quick-ACK mode', `undo: ${PLAIN_ROUTE}`);
    }
  }

  const pg = await canConnect(5432);
  print(pg ? 'ok' : 'info', `PostgreSQL on 127.0.0.1:5432: ${pg ? 'answers' : 'not answering (only needed with DATABASE_URL)'}`);

  console.log(failures ? `\n${failures} problem(s) found` : '\nall checks passed');
  return failures ? 1 : 0;
}
