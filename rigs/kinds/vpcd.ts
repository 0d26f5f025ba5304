// The vpcd rig: our emulator connects as a virtual card to pcscd's vpcd driver, and the
// terminal reads it through real PC/SC. Every capability: the card is ours.
import { EmulatedCard, type CardInterface, type CardProfile } from '../../emulator';
import { CAPABILITIES } from '../files';
import { PcscChannel } from '../pcsc';
import { TracingChannel } from '../tracing';
import { z } from 'zod';
import type { CardSlot, RigCapability, RigFile, Rig, RigKindDriver } from '../types';
import { VPCD_BASE_PORT, VPCD_READERS, VpcdCard } from '../vpcd-card';

const READERS_WORDS = 'a list of vpcd reader names, e.g. ["Virtual PCD 00 00", "Virtual PCD 00 01"]';
/** `reader:` of a rig on vpcd's virtual readers: a list of their names (default both). */
export const VPCD_READER_FIELD = z.array(z.string().regex(/^Virtual PCD \d\d \d\d$/, { error: READERS_WORDS }), { error: READERS_WORDS }).nullish()
  .transform((r) => r ?? undefined).describe('the virtual readers, one per parallel worker (default both)');

/** This worker's virtual reader and the vpcd port its card side connects to ("Virtual PCD 00 NN" listens on 35963 + NN). */
export function vpcdReaderFor(rig: RigFile, workerId: number): { reader: PcscChannel; port: number } {
  const readers = (rig.settings.reader as string[] | undefined) ?? [...VPCD_READERS];
  const readerName = readers[workerId];
  if (readerName === undefined) {
    throw new Error(`rig "${rig.name}" has ${readers.length} virtual readers, so at most ${readers.length} parallel workers (worker ${workerId} asked for one)`);
  }
  return { reader: new PcscChannel(readerName), port: VPCD_BASE_PORT + Number(readerName.slice(-2)) };
}

/** The virtual readers `workers` workers use, one each. */
export function vpcdReadersOf(rig: RigFile, workers: number): string[] {
  return ((rig.settings.reader as string[] | undefined) ?? [...VPCD_READERS]).slice(0, workers);
}

class VpcdRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private inserted: VpcdCard | undefined;
  private readonly channel: TracingChannel;

  constructor(readonly name: string, caps: RigCapability[], private readonly port: number, private readonly reader: PcscChannel) {
    this.capabilities = new Set(caps);
    this.channel = new TracingChannel(reader);
  }

  async insertCard(profile: CardProfile, how: { interface?: CardInterface } = {}): Promise<CardSlot> {
    await this.removeCard();
    const card = new EmulatedCard(profile, { interface: how.interface });
    this.inserted = await VpcdCard.insert({ card, port: this.port });
    if (!(await this.reader.waitForCard(5000))) {
      // After a card was pulled in the middle of another program's exchange, vpcd can miss the
      // next connection: insert it once more before giving up.
      await this.inserted.remove();
      this.inserted = await VpcdCard.insert({ card, port: this.port });
      if (!(await this.reader.waitForCard(10_000))) {
        throw new Error(`the card was inserted at vpcd port ${this.port} (twice) but pcscd shows no card in "${this.reader.name}" after 15 s`);
      }
    }
    this.channel.clearTrace();
    return { channel: this.channel, card, trace: () => this.channel.trace(), clearTrace: () => this.channel.clearTrace() };
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

export const driver: RigKindDriver = {
  summary: 'our emulator behind pcscd (vsmartcard-vpcd), read through real PC/SC',
  fields: { reader: VPCD_READER_FIELD },
  capabilities: () => ({ max: CAPABILITIES, why: '' }),
  open(rig, options) {
    const { reader, port } = vpcdReaderFor(rig, options.workerId ?? 0);
    return new VpcdRig(rig.name, rig.capabilities, port, reader);
  },
  describe: (rig) => `reader ${((rig.settings.reader as string[] | undefined) ?? VPCD_READERS).join(' | ')}`,
  readers: vpcdReadersOf,
};
