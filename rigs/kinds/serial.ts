// The serial rig. With `serial.path` in the rig file, the far end is a real reader bridge or
// card robot (or `medcard emulate --serial`), reached only through the line: insert / eject
// work, the card itself is out of reach. Without a path, the harness makes a pty per worker and
// serves the scenario's card on its far end itself, so the whole suite runs through the serial
// code path with every capability (the card is ours, only the wire is real).
import { z } from 'zod';
import { EmulatedCard, loadCardProfile, type CardProfile } from '../../emulator';
import { CAPABILITIES, cardProfilePath } from '../files';
import { MAX_SLOTS, openPty, SerialCardServer, SerialChannel } from '../serial';
import { TracingChannel } from '../tracing';
import { CapabilityMissingError, CardAbsentError, ReaderError, type CardSlot, type CardReach, type ReachableCard, type Check, type Rig, type RigCapability, type RigFile, type RigKindDriver, type RigOptions, type HeldCard, type ReadCard } from '../types';
import { readHeldCard } from '../held-cards';

export interface SerialSpec {
  /** The serial device (e.g. /dev/ttyUSB0). Absent: the harness makes a pty per worker and serves the card on its far end. */
  path?: string;
  baudRate: number;
  /** How long to wait for a response frame (and, divided by 10, between bytes of one frame). */
  timeoutMs: number;
}
const DEFAULT_SERIAL: SerialSpec = { baudRate: 115200, timeoutMs: 2000 };
const BAUD = (i: { input?: unknown }) => `a baud rate such as 9600 or 115200, not ${JSON.stringify(i.input)}`;
const MILLISECONDS = (i: { input?: unknown }) => `milliseconds (at least 10), not ${JSON.stringify(i.input)}`;
const serialOf = (rig: RigFile) => (rig.settings.serial as SerialSpec | undefined) ?? DEFAULT_SERIAL;

/** `cards:` of a serial rig: the card robot's slots, each with the rig file's profile of its card. */
interface SlotCard { slot: number; card: string }

/** One of the far end's cards: its slot (undefined: a far end with one card and no slots), and the rig file's profile of it. */
interface SlotPlace { slot: number | undefined; known: CardProfile }

export class SerialRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  /** With serial.path the cards at the far end are not the harness's: they stand in for the scenarios' cards (rigs/held-cards.ts). */
  readonly heldCards?: (read: ReadCard) => Promise<HeldCard[]>;
  private held: Promise<HeldCard[]> | undefined;
  /** The robot's slot whose card is at the reader, when known. */
  private atReader: number | undefined;

  private constructor(readonly name: string, readonly serial: SerialChannel, private readonly channel: TracingChannel,
    caps: RigCapability[], private readonly places: SlotPlace[] = [], private readonly server?: SerialCardServer) {
    this.capabilities = new Set(caps);
    if (places.length) this.heldCards = (read) => this.readPhysical(read);
  }

  private where(p: SlotPlace): string { return p.slot === undefined ? this.serial.name : `${this.serial.name} slot ${p.slot}`; }

  /** Put this place's card at the reader: the robot swaps it in (a slot), or inserts its one card. */
  private async bring(p: SlotPlace): Promise<void> {
    if (p.slot !== undefined) {
      if (this.atReader !== p.slot || !this.serial.isCardPresent()) await this.serial.selectSlot(p.slot);
      this.atReader = p.slot;
      return;
    }
    if (!this.serial.isCardPresent() && !(await this.serial.insert())) throw this.noCard(p);
  }

  /** The far end's cards, read once, each brought to the reader in turn. */
  private readPhysical(read: ReadCard): Promise<HeldCard[]> {
    this.held ??= (async () => {
      const slots = this.places.filter((p) => p.slot !== undefined);
      if (slots.length) {
        const count = await this.serial.slotCount();
        const beyond = slots.filter((p) => p.slot! >= count);
        if (beyond.length) throw new ReaderError(`the card robot on ${this.serial.name} has ${count} slot(s) (0–${count - 1}), but the rig file puts a card in slot ${beyond.map((p) => p.slot).join(', ')}: fix \`cards:\`, or load the robot`, 'ENOSLOT');
      }
      const cards: HeldCard[] = [];
      for (const p of this.places) {
        await this.bring(p);
        cards.push(await readHeldCard(this.where(p), this.serial, p.known, read));
      }
      return cards;
    })();
    this.held.catch(() => { this.held = undefined; });
    return this.held;
  }

  private noCard(p?: SlotPlace): CardAbsentError {
    return new CardAbsentError(this.serial.name, `the card robot on ${this.serial.name} has no card to insert: load the test card${p ? ` ${p.known.card.number}` : ''} and retry`);
  }

  static async open(rig: RigFile, _options: RigOptions = {}): Promise<SerialRig> {
    const s = serialOf(rig);
    if (s.path) {
      const ch = await SerialChannel.open({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs });
      const listed = rig.settings.cards as SlotCard[] | undefined;
      const places: SlotPlace[] = listed ? listed.map((c) => ({ slot: c.slot, known: loadCardProfile(cardProfilePath(rig.file, c.card)) }))
        : rig.card ? [{ slot: undefined, known: loadCardProfile(rig.card) }] : [];
      return new SerialRig(rig.name, ch, new TracingChannel(ch), rig.capabilities, places);
    }
    const pty = openPty();
    const server = await SerialCardServer.open({ path: { master: pty.master }, baudRate: s.baudRate });
    try {
      const ch = await SerialChannel.open({ path: pty.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs });
      return new SerialRig(rig.name, ch, new TracingChannel(ch), rig.capabilities, [], server);
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /** The far end, when the harness serves it (tests cut the line by closing it). */
  get farEnd(): SerialCardServer | undefined { return this.server; }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    let card: EmulatedCard | undefined;
    if (this.server) {
      await this.removeCard();
      card = new EmulatedCard(profile);
      this.server.setCard(card);
      if (!(await this.serial.insert())) throw this.noCard();
    } else if (this.places.length) {
      const place = this.places.find((p) => p.known.card.number === profile.card.number);
      if (!place) {
        const have = this.places.map((p) => `${p.known.card.number} (${p.known.holder.name})${p.slot === undefined ? '' : ` in slot ${p.slot}`}`).join(', ');
        throw new CapabilityMissingError('card-swap', `rig "${this.name}" has only card${this.places.length > 1 ? 's' : ''} ${have} behind ${this.serial.name}; the scenario needs card ${profile.card.number} (${profile.holder.name})`);
      }
      await this.channel.powerOff();
      await this.bring(place);
    } else {
      await this.removeCard();
      if (!(await this.serial.insert())) throw this.noCard();
    }
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
  }
}

const SLOT_CARDS = z.array(z.strictObject({
  slot: z.int({ error: `a slot number, 0–${MAX_SLOTS - 1}` }).min(0, { error: `a slot number, 0–${MAX_SLOTS - 1}` }).max(MAX_SLOTS - 1, { error: `a slot number, 0–${MAX_SLOTS - 1}` }),
  card: z.string({ error: 'a path to a card profile, e.g. fixtures/cards/zhang-san.yaml' }).describe('the profile of the card in that slot (fixtures/cards/…)'),
}, { error: 'a mapping { slot, card }' }), { error: 'a list of { slot, card }, one per card the robot holds' }).min(1, { error: 'at least one { slot, card }' })
  .describe('a card robot on serial.path: its slots\' cards (instead of card); the robot swaps them in (rigs/README.md)');

export const driver: RigKindDriver = {
  summary: 'a reader bridge or card robot on a serial line (vpcd framing); no path: our emulator on the far end of a pty',
  fields: {
    serial: z.strictObject({
      path: z.string({ error: 'a device path, e.g. /dev/ttyUSB0' }).min(1, { error: 'a device path, e.g. /dev/ttyUSB0' }).optional(),
      baudRate: z.int({ error: BAUD }).min(300, { error: BAUD }).max(4_000_000, { error: BAUD }).default(DEFAULT_SERIAL.baudRate),
      timeoutMs: z.int({ error: MILLISECONDS }).min(10, { error: MILLISECONDS }).default(DEFAULT_SERIAL.timeoutMs),
    }, { error: 'a mapping: { path, baudRate, timeoutMs }' }).default({ ...DEFAULT_SERIAL })
      .transform((s): SerialSpec => ({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs }))
      .describe('no path: the harness makes a pty per worker and serves the card on its far end'),
    cards: SLOT_CARDS.optional(),
  },
  check(rig) {
    const listed = rig.settings.cards as SlotCard[] | undefined;
    if (!listed) return [];
    const issues: Array<{ field: string; message: string }> = [];
    if (!(rig.settings.serial as SerialSpec | undefined)?.path) issues.push({ field: 'cards', message: 'a card robot\'s slots need serial.path, the line to the robot' });
    if (rig.card !== undefined) issues.push({ field: 'card', message: 'give either card or cards: (the robot\'s slots), not both' });
    listed.forEach((c, i) => {
      if (listed.findIndex((o) => o.slot === c.slot) !== i) issues.push({ field: `cards.${i}.slot`, message: `slot ${c.slot} is listed twice` });
      try { if (rig.file) cardProfilePath(rig.file, c.card); } catch (e) { issues.push({ field: `cards.${i}.card`, message: (e as Error).message }); }
    });
    return issues;
  },
  capabilities: (settings) => ((settings.serial as SerialSpec | undefined)?.path
    ? { max: ['card-remove'], why: 'the card at the far end of serial.path is not run by the harness (only insert/eject reach it)' }
    : { max: CAPABILITIES, why: '' }),
  open: (rig, options) => SerialRig.open(rig, options),
  readers: (rig) => { const p = serialOf(rig).path; return p ? [p] : []; },
  describe: (rig) => `serial ${serialOf(rig).path ?? '(a pty, harness-served card)'} @ ${serialOf(rig).baudRate} baud`,
  async reachCard(rig) {
    const s = serialOf(rig);
    if (!s.path) return undefined; // the harness serves the card: the generic check inserts one
    const fail = (what: string, err: unknown): CardReach => ({ checks: [{ what, verdict: 'FAIL', detail: (err as Error).message }], close: async () => undefined });
    let ch: SerialChannel;
    try { ch = await SerialChannel.open({ path: s.path, baudRate: s.baudRate, timeoutMs: s.timeoutMs }); } catch (err) { return fail('reader', err); }
    const close = () => ch.close();
    let slots: number;
    try { await ch.refreshPresence(); slots = await ch.slotCount(); } catch (err) { await close(); return fail('reader', err); }
    const checks: Check[] = [{ what: 'reader', verdict: 'ok', detail: `${s.path} answers at ${s.baudRate} baud${slots > 1 ? `: a card robot with ${slots} slots` : ''}` }];
    const listed = rig.settings.cards as SlotCard[] | undefined;
    if (!listed) {
      // One card at the far end: insert it if it is out.
      const reach = async () => {
        const present = ch.isCardPresent() || await ch.insert().catch(() => false);
        return present ? { checks: [{ what: 'card', verdict: 'ok' as const, detail: 'the far end reports a card inserted' }], channel: ch }
          : { checks: [{ what: 'card', verdict: 'FAIL' as const, detail: `the far end of ${s.path} has no card (insert answered "absent"): load the test card` }] };
      };
      return { checks, cards: [{ where: `serial line ${s.path}`, known: rig.card ? loadCardProfile(rig.card) : undefined, reach }], close };
    }
    // A robot: each slot's card swapped in, in turn.
    const cards = listed.map((c): ReachableCard => ({
      where: `slot ${c.slot} of the robot on ${s.path}`,
      known: loadCardProfile(cardProfilePath(rig.file, c.card)),
      async reach() {
        if (c.slot >= slots) return { checks: [{ what: 'card', verdict: 'FAIL', detail: `the robot on ${s.path} has ${slots} slot(s), not a slot ${c.slot}: fix \`cards:\`` }] };
        try {
          const atr = await ch.selectSlot(c.slot);
          return { checks: [{ what: 'card', verdict: 'ok', detail: `the robot swapped in the card of slot ${c.slot} (ATR ${Buffer.from(atr).toString('hex').toUpperCase()})` }], channel: ch };
        } catch (err) {
          return { checks: [{ what: 'card', verdict: 'FAIL', detail: (err as Error).message }] };
        }
      },
    }));
    return { checks, cards, close };
  },
};
