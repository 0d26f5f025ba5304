// The remote-card rig: each card the scenarios insert is served by `medcard emulate` in a
// container of its own, connecting to the host's pcscd through vpcd (pcscd's vpcd listens on
// all addresses; from a container the host is the bridge gateway). The terminal reads it
// through real PC/SC, as from a card on another machine. One virtual reader per worker, so
// two workers run two card containers at once. The harness cannot reach into a card served
// elsewhere: no card-state capability (those scenarios are skipped with the reason).
import { ENGINE_IMAGE, removeCardContainers, startCardContainer, type CardContainer } from '../../containers';
import type { CardProfile, TraceEntry } from '../../emulator';
import type { PcscChannel } from '../pcsc';
import { TracingChannel } from '../tracing';
import type { CardSlot, Rig, RigCapability, RigKindDriver } from '../types';
import { z } from 'zod';
import { release, vpcdSlotKey } from '../reservations';
import { takeSlot } from '../vpcd-card';
import { vpcdReaderFor, vpcdReadersOf, VPCD_READER_FIELD } from './vpcd';

export class RemoteCardRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private inserted: CardContainer | undefined;

  private readonly channel: TracingChannel;

  constructor(readonly name: string, caps: RigCapability[], private readonly image: string,
    private readonly port: number, private readonly reader: PcscChannel, private readonly startupTimeoutMs?: number) {
    this.capabilities = new Set(caps);
    this.channel = new TracingChannel(reader);
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    await this.removeCard();
    // The container's card goes into this slot: it is ours while the container runs.
    await takeSlot(this.port);
    try {
      this.inserted = await startCardContainer(JSON.stringify(profile), { image: this.image, vpcdPort: this.port, startupTimeoutMs: this.startupTimeoutMs });
    } catch (err) {
      release(vpcdSlotKey(this.port));
      throw err;
    }
    if (!(await this.reader.waitForCard(10_000))) {
      throw new Error(`the card container ${this.inserted.id.slice(0, 12)} connected to vpcd port ${this.port}, but pcscd shows no card in "${this.reader.name}" after 10 s`);
    }
    this.channel.clearTrace();
    return { channel: this.channel, trace: (): TraceEntry[] => this.channel.trace(), clearTrace: () => this.channel.clearTrace() };
  }

  async removeCard(): Promise<void> {
    if (!this.inserted) return;
    await this.channel.powerOff().catch(() => undefined);
    const c = this.inserted;
    this.inserted = undefined;
    await c.stop();
    release(vpcdSlotKey(this.port));
    await this.reader.waitForCard(5000, false);
  }

  async close(): Promise<void> {
    await this.removeCard().catch(() => undefined);
    await this.channel.close().catch(() => undefined);
    removeCardContainers();
  }
}

export const driver: RigKindDriver = {
  summary: 'each card served by `medcard` in a container of its own, through vpcd to this host\'s pcscd',
  fields: {
    reader: VPCD_READER_FIELD,
    cards: z.strictObject({
      image: z.string(),
      timeoutMs: z.int({ error: 'milliseconds, at least 1000' }).min(1000, { error: 'milliseconds, at least 1000' }).optional()
        .describe('how long a card container may take to insert its card (default 30000); then it is removed and that scenario fails'),
    }, { error: 'a mapping { image: <image name>, timeoutMs? }, e.g. { image: medcard/engine }' })
      .default({ image: ENGINE_IMAGE }).describe('the image the card containers run'),
  },
  capabilities: () => ({ max: ['card-swap', 'card-remove'], why: 'a card served from a container cannot be changed on cue' }),
  open(rig, options) {
    const { reader, port } = vpcdReaderFor(rig, options.workerId ?? 0);
    const cards = rig.settings.cards as { image: string; timeoutMs?: number };
    return new RemoteCardRig(rig.name, rig.capabilities, cards.image, port, reader, cards.timeoutMs);
  },
  describe: (rig) => `cards from image ${(rig.settings.cards as { image: string }).image}`,
  readers: vpcdReadersOf,
};
