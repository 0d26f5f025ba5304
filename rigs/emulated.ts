// The emulated rig's channel: the card runs in-process, no transport at all.
import { CardAbsentError, ReaderError, type CardChannel, type VirtualCard } from './types';

export class EmulatedChannel implements CardChannel {
  private card: VirtualCard | undefined;
  private powered = false;
  private listeners = new Set<(present: boolean) => void>();

  constructor(readonly name: string) {}

  insert(card: VirtualCard): void {
    if (this.card) this.remove();
    this.card = card;
    for (const l of this.listeners) l(true);
  }

  remove(): void {
    if (!this.card) return;
    this.card.powerOff();
    this.card = undefined;
    this.powered = false;
    for (const l of this.listeners) l(false);
  }

  isCardPresent(): boolean {
    return this.card !== undefined;
  }

  async powerOn(): Promise<Uint8Array> {
    if (!this.card) throw new CardAbsentError(this.name);
    this.powered = true;
    return this.card.powerOn();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.card) throw new ReaderError(`reader "${this.name}": the card was removed`);
    if (!this.powered) throw new ReaderError(`reader "${this.name}": the card is not powered; call powerOn() first`);
    return this.card.transmit(apdu);
  }

  async powerOff(): Promise<void> {
    this.powered = false;
    this.card?.powerOff();
  }

  onPresence(listener: (present: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async close(): Promise<void> {
    this.remove();
    this.listeners.clear();
  }
}
