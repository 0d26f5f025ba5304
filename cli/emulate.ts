// `medcard emulate`: serve one emulated card to vpcd, for other programs to use (pcsc_scan,
// a vendor's terminal, another harness). Runs until SIGINT/SIGTERM or until the process that
// started it goes; if vpcd drops the connection (pcscd restarted), it inserts the card again.
import path from 'node:path';
import { EmulatedCard, EmulatedPsam, formatTraceEntry, loadCardProfile, loadPsamProfile } from '../emulator';
import { SerialCardServer, VPCD_BASE_PORT, VpcdCard } from '../rigs';
import { parseOptions, UsageError } from './args';

const HELP = `usage: medcard emulate --card <profile.yaml> [--contactless] [--vpcd-port <n>] [--vpcd-host <host>] [--trace] [--no-quickack]
       medcard emulate --psam <psam.yaml> [--vpcd-port <n>] …
       medcard emulate --card <profile.yaml> --serial <device> [--slot <profile.yaml>]... [--baud <n>] [--trace]

Serves the card to pcscd's vsmartcard-vpcd driver: connecting is inserting the card into
the virtual reader (port ${VPCD_BASE_PORT} is "Virtual PCD 00 00", ${VPCD_BASE_PORT + 1} is "Virtual PCD 00 01").

  --card <file>       card profile, e.g. fixtures/cards/zhang-san.yaml
  --contactless       present a third-generation card's contactless interface (its own ATR),
                      as a reader the rig marks contactless would see it
  --psam <file>       serve a PSAM instead (the terminal's secure access module for
                      third-generation cards), e.g. fixtures/psam/test-psam.yaml, usually in
                      the second reader: --vpcd-port ${VPCD_BASE_PORT + 1}
  --vpcd-port <n>     vpcd port (default ${VPCD_BASE_PORT})
  --vpcd-host <host>  host running pcscd (default 127.0.0.1; pcscd's vpcd listens on all addresses)
  --trace             print every APDU exchange, decoded
  --no-quickack       leave the vpcd 20-APDU/s stall in place (for measurements)
  --serial <device>   serve the card on a serial line instead (vpcd framing, every frame answered,
                      insert 10 / eject 11 / presence 12: rigs/README.md); the card starts inserted
  --slot <file>       with --serial, a card robot: each --slot adds a slot holding this card
                      (--card is slot 0, in the reader at the start; control codes 13 and 20+k
                      swap slot k's card in: rigs/README.md)
  --baud <n>          serial baud rate (default 115200)

It stops, removing the card, on SIGINT or SIGTERM, and when the process that started it goes:
\`npx medcard emulate … &\` then \`kill $!\` kills npm's wrapper, whose shell does not pass the
signal on, and the card would otherwise stay in the reader.

Examples:
  npx medcard emulate --card fixtures/cards/zhang-san.yaml --vpcd-port ${VPCD_BASE_PORT}
  node bin/medcard.js emulate --card fixtures/cards/zhang-san-3g.yaml --vpcd-port ${VPCD_BASE_PORT} &
  node bin/medcard.js emulate --psam fixtures/psam/test-psam.yaml --vpcd-port ${VPCD_BASE_PORT + 1} &`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {
    card: { type: 'string' },
    psam: { type: 'string' },
    contactless: { type: 'boolean', default: false },
    'vpcd-port': { type: 'string', default: String(VPCD_BASE_PORT) },
    'vpcd-host': { type: 'string', default: '127.0.0.1' },
    trace: { type: 'boolean', default: false },
    'no-quickack': { type: 'boolean', default: false },
    serial: { type: 'string' },
    baud: { type: 'string', default: '115200' },
    slot: { type: 'string', multiple: true },
  }, HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.card === !values.psam) throw new UsageError({ zh: '请给出 --card 或 --psam（二者选一）', en: 'give --card or --psam (one of them)' }, HELP);
  const port = Number(values['vpcd-port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError({ zh: `--vpcd-port 应为端口号（1–65535），而不是 "${values['vpcd-port']}"`, en: `--vpcd-port must be a port number, got "${values['vpcd-port']}"` });
  const host = values['vpcd-host'] as string;
  if (values.psam && (values.serial || values.contactless)) throw new UsageError({ zh: '--psam 只能经 vpcd 提供：去掉 --serial 和 --contactless', en: '--psam is served to vpcd only: leave out --serial and --contactless' });

  let card: EmulatedCard | EmulatedPsam;
  let label: string;
  if (values.psam) {
    const psam = loadPsamProfile(path.resolve(values.psam as string));
    card = new EmulatedPsam(psam);
    label = `PSAM ${psam.id} (terminal ${psam.terminalNumber})`;
  } else {
    const profile = loadCardProfile(path.resolve(values.card as string));
    if (values.contactless && !profile.gen3) throw new UsageError({ zh: `--contactless 需要第三代社保卡（generation: 3）；${profile.source} 是第二代卡，只有接触式`, en: `--contactless needs a third-generation card (generation: 3); ${profile.source} is a second-generation card, contact only` });
    card = new EmulatedCard(profile, { interface: values.contactless ? 'contactless' : 'contact' });
    label = `card ${profile.card.number} (${profile.holder.name})${values.contactless ? ', contactless' : ''}`;
  }
  if (values.trace) card.onTrace((e) => console.log(formatTraceEntry(e)));

  if (values.slot?.length && !values.serial) throw new UsageError({ zh: '--slot 用于串口上的换卡机器人：请同时给出 --serial <设备>', en: '--slot is for a card robot on a serial line: give --serial <device> too' }, HELP);
  if (values.serial) {
    const baudRate = Number(values.baud);
    if (!Number.isInteger(baudRate) || baudRate < 300) throw new UsageError({ zh: `--baud 应为波特率，如 115200，而不是 "${values.baud}"`, en: `--baud must be a baud rate such as 115200, got "${values.baud}"` });
    const device = values.serial as string;
    // A robot's further slots: each a card of its own, swapped in on the host's 20+k.
    const more = (values.slot ?? []).map((f) => new EmulatedCard(loadCardProfile(path.resolve(f))));
    if (values.trace) for (const c of more) c.onTrace((e) => console.log(formatTraceEntry(e)));
    let server: SerialCardServer;
    try {
      const first = card as EmulatedCard; // --psam is refused with --serial above
      server = await SerialCardServer.open({ path: device, baudRate, ...(more.length ? { slots: [first, ...more] } : { card: first }) });
    } catch (err) {
      console.error(`medcard emulate: ${(err as Error).message}`);
      return 1;
    }
    const stopSerial = async (signal: string) => {
      console.log(`${signal}: closing ${device}`);
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stopSerial('SIGINT'));
    process.on('SIGTERM', () => void stopSerial('SIGTERM'));
    watchParent(() => void stopSerial('parent process gone'));
    console.log(`${label} inserted on serial line ${device} at ${baudRate} baud`);
    if (more.length) console.log(`a card robot with ${more.length + 1} slots: ${[card as EmulatedCard, ...more].map((c, i) => `slot ${i} ${c.profile.card.number} (${c.profile.holder.name})`).join(', ')}`);
    await server.closed;
    console.log(`serial line ${device} closed (the other end went away): stopping`);
    return 0;
  }

  let stopping = false;
  let current: VpcdCard | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: removing ${label}`);
    await current?.remove();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  watchParent(() => void stop('parent process gone'));

  let first = true;
  while (!stopping) {
    try {
      current = await VpcdCard.insert({ card, host, port, quickAck: !values['no-quickack'] });
    } catch (err) {
      if (first) {
        console.error(`medcard emulate: ${(err as Error).message}`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    first = false;
    const stall = current.isQuickAckActive ? '' : ' (quick-ACK off: expect ~20 APDU/s, see `medcard doctor`)';
    console.log(`${label} inserted into vpcd at ${host}:${port}${stall}`);
    await current.closed;
    if (!stopping) console.log(`vpcd closed the connection (pcscd restarted?): inserting ${label} again`);
  }
  return 0;
}

/**
 * Calls `gone` once the parent process has exited: the kernel then hands us to init (or a
 * subreaper), so our ppid changes. A process started as an orphan already (ppid 1: PID 1's
 * child in a container, a daemon) is not watched.
 */
function watchParent(gone: () => void): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, 250);
  timer.unref();
}
