// The CardChannel seam: every rig gives the terminal one of these and nothing else.
// Bytes are Uint8Array (Buffer is a Uint8Array too). A rig reports card insert/remove
// through `onPresence` so terminals can wait for a card like they would on PC/SC.

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
  constructor(reader: string) {
    super(`no card in reader "${reader}": insert the card (or start \`medcard emulate\`) and try again`);
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
