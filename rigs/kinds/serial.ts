// The serial rig. With `serial.path` in the rig file, the far end is a real reader bridge or
// card robot (or `medcard emulate --serial`), reached only through the line: insert / eject
// work, the card itself is out of reach. Without a path, the harness makes a socat pty pair
// per worker and serves the scenario's card on the far end itself, so the whole suite runs
// through the serial code path with every capability (the card is ours, only the wire is real).
import { z } from 'zod';
import { EmulatedCard, loadCardProfile, type CardProfile } from '../../emulator';
import { CAPABILITIES } from '../files';
import { makePtyPair, SerialCardServer, SerialChannel, type PtyPair } from '../serial';
import { TracingChannel } from '../tracing';
import { CapabilityMissingError, CardAbsentError, type CardSlot, type Check, type Rig, type RigCapability, type RigFile, type RigKindDriver, type RigOptions, type HeldCard, type ReadCard } from '../types';
import { readHeldCard } from '../held-cards';

export interface SerialSpec {
  /** The serial device (e.g. /dev/ttyUSB0). Absent: the harness makes a socat pty pair per worker and serves the card itself. */
  path?: string;
  baudRate: number;
  /** How long to wait for a response frame (and, divided by 10, between bytes of one frame). */
  timeoutMs: number;
}
const DEFAULT_SERIAL: SerialSpec = { baudRate: 115200, timeoutMs: 2000 };
const BAUD = (i: { input?: unknown }) => `a baud rate such as 9600 or 115200, not ${JSON.stringify(i.input)}`;
const MILLISECONDS = (i: { input?: unknown }) => `milliseconds (at least 10), not ${JSON.stringify(i.input)}`;
const serialOf = (rig: RigFile) => (rig.settings.serial as SerialSpec | undefined) ?? DEFAULT_SERIAL;

export class SerialRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  /** With serial.path the card at the far end is not the harness's: it stands in for the scenarios' cards (rigs/held-cards.ts). */
  readonly heldCards?: (read: ReadCard) => Promise<HeldCard[]>;
  private held: Promise<HeldCard[]> | undefined;

  private constructor(readonly name: string, readonly serial: SerialChannel, private readonly channel: TracingChannel,
    caps: RigCapability[], private readonly physical?: CardProfile, private readonly server?: SerialCardServer, private readonly pair?: PtyPair) {
    this.capabilities = new Set(caps);
    if (physical) this.heldCards = (read) => this.readPhysical(physical, read);
  }

  /** The far end's card, read once. */
  private readPhysical(physical: CardProfile, read: ReadCard): Promise<HeldCard[]> {
    this.held ??= (async () => {
      if (!this.serial.isCardPresent() && !(await this.serial.insert())) throw this.noCard();
      return [await readHeldCard(this.serial.name, this.serial, physical, read)];
    })();
    this.held.catch(() => { this.held = undefined; });
    return this.held;
  }

  private noCard(): CardAbsentError {
    const err = new CardAbsentError(this.serial.name);
    err.message = `the card robot on ${this.serial.name} has no card to insert: load the test card${this.physical ? ` ${this.physical.card.number}` : ''} and retry`;
    return err;
  }

  static async open(rig: RigFile, _options: RigOptions = {}): Promise<SerialRig> {
    const s = serialOf(rig);
    if (s.path) {
      const ch = await SerialChannel.open({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs });
      const physical = rig.card ? loadCardProfile(rig.card) : undefined;
      return new SerialRig(rig.name, ch, new TracingChannel(ch), rig.capabilities, physical);
    }
    const pair = await makePtyPair();
    try {
      const server = await SerialCardServer.open({ path: pair.b, baudRate: s.baudRate });
      const ch = await SerialChannel.open({ path: pair.a, baudRate: s.baudRate, timeoutMs: s.timeoutMs });
      return new SerialRig(rig.name, ch, new TracingChannel(ch), rig.capabilities, undefined, server, pair);
    } catch (err) {
      await pair.close();
      throw err;
    }
  }

  /** The far end, when the harness serves it (tests cut the line through `pair`). */
  get farEnd(): { server: SerialCardServer; pair: PtyPair } | undefined {
    return this.server && this.pair ? { server: this.server, pair: this.pair } : undefined;
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    await this.removeCard();
    let card: EmulatedCard | undefined;
    if (this.server) {
      card = new EmulatedCard(profile);
      this.server.setCard(card);
    } else if (this.physical && profile.card.number !== this.physical.card.number) {
      throw new CapabilityMissingError('card-swap', `rig "${this.name}" has only card ${this.physical.card.number} (${this.physical.holder.name}) behind ${this.serial.name}; the scenario needs card ${profile.card.number} (${profile.holder.name})`);
    }
    if (!(await this.serial.insert())) throw this.noCard();
    this.channel.clearTrace();
    return { channel: this.channel, card, trace: () => this.channel.trace(), clearTrace: () => this.channel.clearTrace() };
  }

  async removeCard(): Promise<void> {
    await this.channel.powerOff();
    if (this.serial.isCardPresent()) await this.serial.eject();
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.server?.close().catch(() => undefined);
    await this.pair?.close();
  }
}

export const driver: RigKindDriver = {
  summary: 'a reader bridge or card robot on a serial line (vpcd framing); no path: our emulator on a socat pty pair',
  fields: {
    serial: z.strictObject({
      path: z.string({ error: 'a device path, e.g. /dev/ttyUSB0' }).min(1, { error: 'a device path, e.g. /dev/ttyUSB0' }).optional(),
      baudRate: z.int({ error: BAUD }).min(300, { error: BAUD }).max(4_000_000, { error: BAUD }).default(DEFAULT_SERIAL.baudRate),
      timeoutMs: z.int({ error: MILLISECONDS }).min(10, { error: MILLISECONDS }).default(DEFAULT_SERIAL.timeoutMs),
    }, { error: 'a mapping: { path, baudRate, timeoutMs }' }).default({ ...DEFAULT_SERIAL })
      .transform((s): SerialSpec => ({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs }))
      .describe('no path: the harness makes a socat pty pair per worker and serves the card itself'),
  },
  capabilities: (settings) => ((settings.serial as SerialSpec | undefined)?.path
    ? { max: ['card-remove'], why: 'the card at the far end of serial.path is not run by the harness (only insert/eject reach it)' }
    : { max: CAPABILITIES, why: '' }),
  open: (rig, options) => SerialRig.open(rig, options),
  readers: (rig) => { const p = serialOf(rig).path; return p ? [p] : []; },
  describe: (rig) => `serial ${serialOf(rig).path ?? '(socat pty pair, harness-served card)'} @ ${serialOf(rig).baudRate} baud`,
  async reachCard(rig) {
    const s = serialOf(rig);
    if (!s.path) return undefined; // the harness serves the card: the generic check inserts one
    const checks: Check[] = [];
    const fail = (what: string, err: unknown) => ({ checks: [...checks, { what, verdict: 'FAIL' as const, detail: (err as Error).message }], close: async () => undefined });
    let ch: SerialChannel;
    try { ch = await SerialChannel.open({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs }); } catch (err) { return fail('reader', err); }
    const close = () => ch.close();
    let present: boolean;
    try { present = await ch.refreshPresence(); } catch (err) { await close(); return fail('reader', err); }
    checks.push({ what: 'reader', verdict: 'ok', detail: `${s.path} answers at ${s.baudRate} baud` });
    if (!present) present = await ch.insert().catch(() => false);
    if (!present) { checks.push({ what: 'card', verdict: 'FAIL', detail: `the far end of ${s.path} has no card (insert answered "absent"): load the test card` }); return { checks, close }; }
    checks.push({ what: 'card', verdict: 'ok', detail: 'the far end reports a card inserted' });
    return { checks, channel: ch, close };
  },
};
