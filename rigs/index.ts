// Rigs: how the terminal reaches a card. Each rig hands out CardChannels; the terminal and
// the steps know nothing else. `openRig(name)` is the one entry point.
import { EmulatedCard, type CardProfile, type TraceEntry } from '../emulator';
import { EmulatedChannel } from './emulated';
import { PcscChannel } from './pcsc';
import { TracingChannel } from './tracing';
import type { CardChannel, RigCapability } from './types';
import { VPCD_BASE_PORT, VPCD_READERS, VpcdCard } from './vpcd-card';
import { listRigFiles, loadRigFile, type RigFile } from './files';

export * from './types';
export { EmulatedChannel } from './emulated';
export { PcscChannel, listReaderNames, explainPcscError } from './pcsc';
export { TracingChannel, formatTrace } from './tracing';
export { VpcdCard, VpcdError, VPCD_BASE_PORT, VPCD_READERS } from './vpcd-card';
export { FrameDecoder, encodeFrame, answerFrame, Control } from './frames';
export { quickAckAvailable } from './quickack';
export { loadRigFile, listRigFiles, parseRigFile, rigFilePath, RigFileError, UnknownRigError, describeEngine, RIG_KINDS, type RigFile, type RigKind, type EngineSpec } from './files';
export { SerialChannel, SerialCardServer, SerialControl, SerialStatus, ResyncDecoder, makePtyPair, type PtyPair } from './serial';

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
  /** pcsc: how long to wait for the operator to insert the card (default MEDCARD_INSERT_TIMEOUT_MS or 60 s). */
  insertTimeoutMs?: number;
}



function slotFor(channel: TracingChannel, card: EmulatedCard): CardSlot {
  return { channel, card, trace: () => channel.trace(), clearTrace: () => channel.clearTrace() };
}

class EmulatedRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private readonly reader: EmulatedChannel;
  private readonly channel: TracingChannel;

  constructor(readonly name: string, caps: RigCapability[], workerId: number) {
    this.capabilities = new Set(caps);
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
  readonly capabilities: ReadonlySet<RigCapability>;
  private inserted: VpcdCard | undefined;

  private constructor(readonly name: string, caps: RigCapability[], private readonly port: number, private readonly reader: PcscChannel, private readonly channel: TracingChannel) {
    this.capabilities = new Set(caps);
  }

  static open(rig: RigFile, workerId: number): VpcdRig {
    const readers = (rig.reader as string[] | undefined) ?? [...VPCD_READERS];
    const readerName = readers[workerId];
    if (readerName === undefined) {
      throw new Error(`the vpcd rig has ${readers.length} virtual readers, so at most ${readers.length} parallel workers (worker ${workerId} asked for one)`);
    }
    // "Virtual PCD 00 NN" is vpcd's reader NN, which listens on 35963 + NN.
    const index = Number(readerName.slice(-2));
    const reader = new PcscChannel(readerName);
    return new VpcdRig(rig.name, rig.capabilities, VPCD_BASE_PORT + index, reader, new TracingChannel(reader));
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

/** Rig names (rig files in rigs/, or MEDCARD_RIGS_DIR), built-in emulated and vpcd first. */
export const RIG_NAMES = listRigFiles();

/**
 * The one entry point: a rig name (rigs/<name>.yaml) or a path to a rig file. The rig file's
 * engine is not started here — `medcard run` resolves it once, for all workers.
 */
export async function openRig(nameOrFile: string | RigFile, options: RigOptions = {}): Promise<Rig> {
  const rig = typeof nameOrFile === 'string' ? loadRigFile(nameOrFile) : nameOrFile;
  const workerId = options.workerId ?? 0;
  switch (rig.kind) {
    case 'emulated': return new EmulatedRig(rig.name, rig.capabilities, workerId);
    case 'vpcd': {
      if (rig.cards) return (require('../containers/remote-card') as typeof import('../containers/remote-card')).RemoteCardRig.open(rig, workerId);
      return VpcdRig.open(rig, workerId);
    }
    case 'pcsc': {
      const { PcscRig } = require('./pcsc-rig') as typeof import('./pcsc-rig');
      return PcscRig.open(rig, options);
    }
    case 'serial': {
      const { SerialRig } = require('./serial-rig') as typeof import('./serial-rig');
      return SerialRig.open(rig, options);
    }
  }
}
