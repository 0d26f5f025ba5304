// Records every exchange on a channel, decoded, as the terminal side saw it. This is the
// trace reports attach: on the vpcd rig it is real PC/SC traffic, not the card's own view.
import { decodeExchange, type TraceEntry } from '../emulator';
import type { CardChannel } from './types';

export class TracingChannel implements CardChannel {
  private entries: TraceEntry[] = [];

  constructor(private readonly inner: CardChannel, private readonly limit = 10_000) {}

  get name(): string { return this.inner.name; }

  trace(): TraceEntry[] { return [...this.entries]; }
  clearTrace(): void { this.entries = []; }

  powerOn(): Promise<Uint8Array> { return this.inner.powerOn(); }
  powerOff(): Promise<void> { return this.inner.powerOff(); }
  isCardPresent(): boolean { return this.inner.isCardPresent(); }
  onPresence(listener: (present: boolean) => void): () => void { return this.inner.onPresence(listener); }
  close(): Promise<void> { return this.inner.close(); }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const time = new Date().toISOString();
    const response = await this.inner.transmit(apdu);
    if (this.entries.length >= this.limit) this.entries.shift();
    this.entries.push({ time, ...decodeExchange(apdu, response) });
    return response;
  }
}

/** The trace as text, one exchange per line, for reports and logs. */
export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries.map((e) => `${e.time}  ${e.name.padEnd(22)} ${e.detail}\n  > ${e.command}\n  < ${e.response}  ${e.sw} ${e.swMeaning}`).join('\n');
}
