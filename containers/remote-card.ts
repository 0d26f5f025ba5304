// The remote-card rig: each card the scenarios insert is served by `medcard emulate` in a
// container of its own, connecting to the host's pcscd through vpcd (pcscd's vpcd listens on
// all addresses; from a container the host is the bridge gateway). The terminal reads it
// through real PC/SC, as from a card on another machine. One virtual reader per worker, so
// two workers run two card containers at once. The harness cannot reach into a card served
// elsewhere: no card-state capability (those scenarios are skipped with the reason).
import type { CardProfile, TraceEntry } from '../emulator';
import { PcscChannel } from '../rigs/pcsc';
import { TracingChannel } from '../rigs/tracing';
import type { CardSlot, Rig } from '../rigs';
import type { RigFile } from '../rigs/files';
import type { RigCapability } from '../rigs/types';
import { VPCD_BASE_PORT, VPCD_READERS } from '../rigs/vpcd-card';
import { ENGINE_IMAGE, removeCardContainers, startCardContainer, type CardContainer } from './index';

export class RemoteCardRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private inserted: CardContainer | undefined;

  private constructor(readonly name: string, caps: RigCapability[], private readonly image: string,
    private readonly port: number, private readonly reader: PcscChannel, private readonly channel: TracingChannel) {
    this.capabilities = new Set(caps.filter((c) => c !== 'card-state'));
  }

  static open(rig: RigFile, workerId: number): RemoteCardRig {
    const readers: readonly string[] = (rig.reader as string[] | undefined) ?? VPCD_READERS;
    const readerName = readers[workerId];
    if (readerName === undefined) throw new Error(`rig "${rig.name}" has ${readers.length} virtual readers, so at most ${readers.length} parallel workers (worker ${workerId} asked for one)`);
    const index = Number(readerName.slice(-2));
    const reader = new PcscChannel(readerName);
    const image = (rig as RigFile & { cards?: { image?: string } }).cards?.image ?? ENGINE_IMAGE;
    return new RemoteCardRig(rig.name, rig.capabilities, image, VPCD_BASE_PORT + index, reader, new TracingChannel(reader));
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    await this.removeCard();
    this.inserted = await startCardContainer(JSON.stringify(profile), { image: this.image, vpcdPort: this.port });
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
    await this.reader.waitForCard(5000, false);
  }

  async close(): Promise<void> {
    await this.removeCard().catch(() => undefined);
    await this.channel.close().catch(() => undefined);
    removeCardContainers();
  }
}
