// The serial rig. With `serial.path` in the rig file, the far end is a real reader bridge or
// card robot (or `medcard emulate --serial`), reached only through the line: insert / eject
// work, the card itself is out of reach. Without a path, the harness makes a socat pty pair
// per worker and serves the scenario's card on the far end itself, so the whole suite runs
// through the serial code path with every capability (the card is ours, only the wire is real).
import { EmulatedCard, loadCardProfile, type CardProfile } from '../emulator';
import type { RigFile } from './files';
import { makePtyPair, SerialCardServer, SerialChannel, type PtyPair } from './serial';
import { TracingChannel } from './tracing';
import { CapabilityMissingError, CardAbsentError, type RigCapability } from './types';
import type { CardSlot, Rig, RigOptions } from './index';

export class SerialRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;

  private constructor(readonly name: string, readonly serial: SerialChannel, private readonly channel: TracingChannel,
    caps: RigCapability[], private readonly physical?: CardProfile, private readonly server?: SerialCardServer, private readonly pair?: PtyPair) {
    this.capabilities = new Set(caps);
  }

  static async open(rig: RigFile, _options: RigOptions = {}): Promise<SerialRig> {
    const s = rig.serial ?? { baudRate: 115200, timeoutMs: 2000 };
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
    if (!(await this.serial.insert())) {
      const err = new CardAbsentError(this.serial.name);
      err.message = `the card robot on ${this.serial.name} has no card to insert: load the test card${this.physical ? ` ${this.physical.card.number}` : ''} and retry`;
      throw err;
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
    await this.pair?.close();
  }
}
