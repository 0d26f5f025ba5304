// Records every exchange on a channel, decoded, as the terminal side saw it. This is the
// trace reports attach: on the vpcd rig it is real PC/SC traffic, not the card's own view.
import { decodeExchange, formatTraceEntry, type TraceEntry } from '../emulator';
import type { CardChannel } from './types';

export class TracingChannel implements CardChannel {
  private entries: TraceEntry[] = [];
  /** The EF the last successful SELECT chose, so READ RECORD on the current EF decodes by name. */
  private selected: string | null = null;

  constructor(private readonly inner: CardChannel, private readonly limit = 10_000) {}

  get name(): string { return this.inner.name; }

  trace(): TraceEntry[] { return [...this.entries]; }
  clearTrace(): void { this.entries = []; }

  powerOn(): Promise<Uint8Array> { this.selected = null; return this.inner.powerOn(); }
  powerOff(): Promise<void> { return this.inner.powerOff(); }
  isCardPresent(): boolean { return this.inner.isCardPresent(); }
  onPresence(listener: (present: boolean) => void): () => void { return this.inner.onPresence(listener); }
  close(): Promise<void> { return this.inner.close(); }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const time = new Date().toISOString();
    const response = await this.inner.transmit(apdu);
    if (this.entries.length >= this.limit) this.entries.shift();
    this.entries.push({ time, ...decodeExchange(apdu, response, { file: this.selected }) });
    this.trackSelection(apdu, response);
    return response;
  }

  private trackSelection(apdu: Uint8Array, response: Uint8Array): void {
    if (apdu.length < 5 || apdu[1] !== 0xa4 || response.length < 2) return;
    const sw1 = response[response.length - 2];
    if (sw1 !== 0x90 && sw1 !== 0x61) return;
    const fid = apdu[4] === 2 && apdu.length >= 7 && apdu[2] !== 0x04 ? Buffer.from(apdu.subarray(5, 7)).toString('hex').toUpperCase() : null;
    this.selected = fid && fid !== '3F00' ? fid : null;
  }
}

/** The trace as text, one exchange per entry, for reports and logs. */
export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries.map(formatTraceEntry).join('\n');
}
