// Rigs: how the terminal reaches a card. Each rig hands out CardChannels; the terminal and
// the steps know nothing else. `openRig(name)` is the one entry point.
import { EmulatedCard, type CardProfile, type TraceEntry } from '../emulator';
import { EmulatedChannel } from './emulated';
import { PcscChannel } from './pcsc';
import { TracingChannel } from './tracing';
import type { CardChannel, RigCapability } from './types';
import { VPCD_BASE_PORT, VpcdCard } from './vpcd-card';

export * from './types';
export { EmulatedChannel } from './emulated';
export { PcscChannel, listReaderNames, explainPcscError } from './pcsc';
export { TracingChannel, formatTrace } from './tracing';
export { VpcdCard, VpcdError, VPCD_BASE_PORT } from './vpcd-card';
export { FrameDecoder, encodeFrame, answerFrame, Control } from './frames';
export { quickAckAvailable } from './quickack';

export interface CardSlot {
  /** What the terminal uses; traffic through it is traced. */
  channel: CardChannel;
  /** The card itself, when the harness controls it (capability 'card-state'). */
  card?: EmulatedCard;
  /** Traffic as the terminal side saw it. */
  trace(): TraceEntry[];
  clearTrace(): void;
}

export interface Rig {
  readonly name: string;
  readonly capabilities: ReadonlySet<RigCapability>;
  /** Put a card with this profile into this worker's reader (removing any card there). */
  insertCard(profile: CardProfile): Promise<CardSlot>;
  removeCard(): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Parallel worker index (0-based); each worker gets its own reader. */
  workerId?: number;
}

/** vpcd's virtual readers, in port order (Debian's /etc/reader.conf.d/vpcd). */
export const VPCD_READERS = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;

const ALL_CAPABILITIES: ReadonlySet<RigCapability> = new Set<RigCapability>(['card-state', 'card-swap', 'card-remove']);

function slotFor(channel: TracingChannel, card: EmulatedCard): CardSlot {
  return { channel, card, trace: () => channel.trace(), clearTrace: () => channel.clearTrace() };
}

class EmulatedRig implements Rig {
  readonly name = 'emulated';
  readonly capabilities = ALL_CAPABILITIES;
  private readonly reader: EmulatedChannel;
  private readonly channel: TracingChannel;

  constructor(workerId: number) {
    this.reader = new EmulatedChannel(`emulated reader ${workerId}`);
    this.channel = new TracingChannel(this.reader);
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    const card = new EmulatedCard(profile);
    this.reader.insert(card);
    this.channel.clearTrace();
    return slotFor(this.channel, card);
  }

  async removeCard(): Promise<void> { this.reader.remove(); }
  async close(): Promise<void> { await this.channel.close(); }
}

class VpcdRig implements Rig {
  readonly name = 'vpcd';
  readonly capabilities = ALL_CAPABILITIES;
  private inserted: VpcdCard | undefined;

  private constructor(private readonly port: number, private readonly reader: PcscChannel, private readonly channel: TracingChannel) {}

  static open(workerId: number): VpcdRig {
    const readerName = VPCD_READERS[workerId];
    if (readerName === undefined) {
      throw new Error(`the vpcd rig has ${VPCD_READERS.length} virtual readers, so at most ${VPCD_READERS.length} parallel workers (worker ${workerId} asked for one)`);
    }
    const reader = new PcscChannel(readerName);
    return new VpcdRig(VPCD_BASE_PORT + workerId, reader, new TracingChannel(reader));
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    await this.removeCard();
    const card = new EmulatedCard(profile);
    this.inserted = await VpcdCard.insert({ card, port: this.port });
    if (!(await this.reader.waitForCard(5000))) {
      throw new Error(`the card was inserted at vpcd port ${this.port} but pcscd shows no card in "${this.reader.name}" after 5 s`);
    }
    this.channel.clearTrace();
    return slotFor(this.channel, card);
  }

  async removeCard(): Promise<void> {
    if (!this.inserted) return;
    await this.channel.powerOff();
    await this.inserted.remove();
    this.inserted = undefined;
    await this.reader.waitForCard(5000, false);
  }

  async close(): Promise<void> {
    await this.removeCard();
    await this.channel.close();
  }
}

const RIGS: Record<string, (workerId: number) => Rig> = {
  emulated: (w) => new EmulatedRig(w),
  vpcd: (w) => VpcdRig.open(w),
};

export const RIG_NAMES = Object.keys(RIGS);

export async function openRig(name: string, options: RigOptions = {}): Promise<Rig> {
  const make = RIGS[name];
  if (!make) throw new Error(`unknown rig "${name}": choose one of ${RIG_NAMES.join(', ')}`);
  return make(options.workerId ?? 0);
}
