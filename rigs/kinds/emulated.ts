// The emulated rig: our emulator in-process, no transport at all. Every capability.
import { EmulatedCard, type CardInterface, type CardProfile } from '../../emulator';
import { EmulatedChannel } from '../emulated';
import { TracingChannel } from '../tracing';
import { CAPABILITIES } from '../files';
import type { CardSlot, Rig, RigCapability, RigKindDriver } from '../types';

class EmulatedRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private readonly reader: EmulatedChannel;
  private readonly channel: TracingChannel;

  constructor(readonly name: string, caps: RigCapability[], workerId: number) {
    this.capabilities = new Set(caps);
    this.reader = new EmulatedChannel(`emulated reader ${workerId}`);
    this.channel = new TracingChannel(this.reader);
  }

  async insertCard(profile: CardProfile, how: { interface?: CardInterface } = {}): Promise<CardSlot> {
    const card = new EmulatedCard(profile, { interface: how.interface });
    this.reader.insert(card);
    this.channel.clearTrace();
    return { channel: this.channel, card, trace: () => this.channel.trace(), clearTrace: () => this.channel.clearTrace() };
  }

  async removeCard(): Promise<void> { this.reader.remove(); }
  async close(): Promise<void> { await this.channel.close(); }
}

export const driver: RigKindDriver = {
  summary: 'our emulator, in-process',
  fields: {},
  capabilities: () => ({ max: CAPABILITIES, why: '' }),
  open: (rig, options) => new EmulatedRig(rig.name, rig.capabilities, options.workerId ?? 0),
};
