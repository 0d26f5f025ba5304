// The CardChannel seam: every rig gives the terminal one of these and nothing else.
// Bytes are Uint8Array (Buffer is a Uint8Array too). A rig reports card insert/remove
// through `onPresence` so terminals can wait for a card like they would on PC/SC.
import type { ZodType } from 'zod';
import type { CardInterface, CardProfile, EmulatedCard, TraceEntry } from '../emulator';

export interface CardChannel {
  /** A human name for messages, e.g. "emulated:zhang-san" or "Virtual PCD 00 00". */
  readonly name: string;
  /** Power the card (cold reset) and return its ATR. Throws CardAbsentError without a card. */
  powerOn(): Promise<Uint8Array>;
  /** Send one command APDU, return the response APDU (data + SW1 SW2), as the card sent it. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Power the card off. Safe to call twice. */
  powerOff(): Promise<void>;
  /** Is a card in the reader right now? */
  isCardPresent(): boolean;
  /** Called on every insert (true) and remove (false). Returns an unsubscribe function. */
  onPresence(listener: (present: boolean) => void): () => void;
  /** Release the reader / sockets. */
  close(): Promise<void>;
}

/** What a rig can do to the card on cue; scenarios tagged with a need the rig lacks are skipped. */
export type RigCapability =
  | 'card-state'   // change PIN tries, lock, expire, deactivate the card from the harness
  | 'card-swap'    // insert a different card profile on demand
  | 'card-remove'; // remove / insert the card on cue

export class CardAbsentError extends Error {
  constructor(reader: string, message?: string) {
    super(message ?? `no card in reader "${reader}": insert the card (or start \`medcard emulate\`) and try again`);
    this.name = 'CardAbsentError';
  }
}

export class ReaderError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'ReaderError';
  }
}

/** What a rig can serve as a card: our EmulatedCard, or any object shaped like one. */
export interface VirtualCard {
  readonly atr: Uint8Array;
  powerOn(): Uint8Array;
  powerOff(): void;
  transmit(apdu: Uint8Array): Uint8Array;
}

/**
 * The rig cannot do what the scenario asks (e.g. a real card in a PC/SC reader cannot become
 * another card). Steps turn it into a skip with this reason, reported like a @needs-… skip.
 */
export class CapabilityMissingError extends Error {
  constructor(readonly capability: RigCapability, readonly reason: string) {
    super(`rig lacks ${capability}: ${reason}`);
    this.name = 'CapabilityMissingError';
  }
}

// ------------------------------------------------------------------ rigs and rig kinds

/** A card in this worker's reader, as the steps and the terminal use it. */
export interface CardSlot {
  /** What the terminal uses; traffic through it is traced. */
  channel: CardChannel;
  /** The card itself, when the harness controls it (capability 'card-state'). */
  card?: EmulatedCard;
  /** Traffic as the terminal side saw it. */
  trace(): TraceEntry[];
  clearTrace(): void;
}

/** A place a terminal reaches cards (labgrid's word): what one rig file describes, opened for one worker. */
export interface Rig {
  readonly name: string;
  readonly capabilities: ReadonlySet<RigCapability>;
  /**
   * Put a card with this profile into this worker's reader (removing any card there).
   * `interface: 'contactless'` presents a third-generation card's contactless side (its own
   * ATR); rigs whose card is not ours ignore it.
   */
  insertCard(profile: CardProfile, how?: { interface?: CardInterface }): Promise<CardSlot>;
  removeCard(): Promise<void>;
  close(): Promise<void>;
  /**
   * The rig's own cards, when the harness cannot make cards (a physical card, or one another
   * process serves): read from the cards themselves with `read`, once per rig. Present, these
   * cards stand in for the cards scenarios give people (rigs/held-cards.ts decides which).
   */
  heldCards?(read: ReadCard): Promise<HeldCard[]>;
}

/** What a card says about itself when read (SELECT SSSE, READ RECORD of EF05 and EF06). */
export type CardContents = Pick<CardProfile, 'holder' | 'card'>;

/**
 * How the harness reads a card: the reference terminal's reading (terminal/ depends on rigs/,
 * so the steps hand it in). It powers the card on and leaves it so.
 */
export type ReadCard = (channel: CardChannel) => Promise<CardContents>;

/** One of the rig's own cards: where it is, and its profile: the data read from it, the PIN (which no card tells) from the rig file's profile of it. */
export interface HeldCard { reader: string; profile: CardProfile }

export interface RigOptions {
  /** Parallel worker index (0-based); each worker gets its own reader. */
  workerId?: number;
  /** How long to wait for an operator to insert a card (default MEDCARD_INSERT_TIMEOUT_MS or 60 s). */
  insertTimeoutMs?: number;
}

export type EngineSpec =
  | { kind: 'embedded' }
  | { kind: 'postgres'; url: string }
  | { kind: 'url'; url: string }
  | { kind: 'container'; image: string; port: number; env?: Record<string, string>; health?: unknown; [more: string]: unknown };

/** A rig file (rigs/<name>.yaml), checked: the fields every kind has, and the kind's own `settings`. */
export interface RigFile {
  /** The file's stem: what `--rig` takes. */
  name: string;
  /** Absolute path of the file. */
  file: string;
  kind: string;
  description: string;
  /** Absolute path of the card profile (the physical card's data, or the default card). */
  card?: string;
  engine: EngineSpec;
  ledger?: { image: string };
  capabilities: RigCapability[];
  exclusive?: string;
  /** The kind's own fields (e.g. `reader`, `serial`), as its driver checked them. */
  settings: Record<string, unknown>;
}


/**
 * What `medcard rig check` found on the way to the rig's cards: the rig's own verdicts, then
 * each card, reached in turn (a reader waits for its card, a robot swaps it in). `channel`
 * alone is the shorthand of a kind with one card.
 */
export interface CardReach { checks: Check[]; cards?: ReachableCard[]; channel?: CardChannel; close(): Promise<void> }

/** One of the rig's cards for `medcard rig check`: where it is, the rig file's profile of it, and how to reach it (its verdicts, and its channel when there). */
export interface ReachableCard {
  where: string;
  known?: CardProfile;
  reach(): Promise<{ checks: Check[]; channel?: CardChannel }>;
}

/** One line of `medcard rig check`. */
export interface Check { what: string; verdict: 'ok' | 'FAIL' | 'info'; detail: string }

/**
 * A rig kind's driver (labgrid's driver to the rig file's resource): it checks the kind's own
 * fields, says what the kind can do on cue, and opens rigs. One file in rigs/kinds/ (or in the
 * lab's rigs folder's kinds/) per kind, exporting `driver`; its file name is the kind.
 */
export interface RigKindDriver {
  /** One line for listings and docs. */
  readonly summary: string;
  /**
   * The kind's own rig-file fields, each a zod schema (schema/ re-exports `z`) whose output is
   * its setting in `rig.settings`; they join the rig format, so problems get file, line and
   * field, and editors see them in schemas/rig.schema.json.
   */
  readonly fields: Readonly<Record<string, ZodType>>;
  /** Rules across the file (pcsc needs `card`): the problems, each at a field. */
  check?(rig: { card?: string; settings: Record<string, unknown>; file?: string }): Array<{ field: string; message: string }>;
  /** What a rig of this kind can offer at most, and why not more (for rig-file errors). */
  capabilities(settings: Record<string, unknown>): { max: readonly RigCapability[]; why: string };
  open(rig: RigFile, options: RigOptions): Promise<Rig> | Rig;
  /** `medcard rigs`: the kind's settings in a few words. */
  describe?(rig: RigFile): string;
  /** The readers (PC/SC names, serial devices) a run with `workers` workers holds: reserved for the run (rigs/reservations.ts). */
  readers?(rig: RigFile, workers: number): string[];
  /**
   * `medcard rig check`: reach the card without inserting one of ours (a real reader, a card
   * robot). Absent, or resolving to undefined: the check opens the rig and inserts the rig file's card.
   */
  reachCard?(rig: RigFile, insertTimeoutMs: number): Promise<CardReach | undefined>;
}
