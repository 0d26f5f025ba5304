// What every emulated card a rig serves has in common (the social security card, the PSAM):
// power, the ATR, and the trace of what it was sent, kept raw in a ring buffer and decoded
// only when read. Subclasses give the card OS: `process` one APDU, `reset` it.

import { decodeRaw, type RawExchange } from './trace';
import type { TraceEntry } from './types';

const NOT_POWERED = Uint8Array.of(0x6f, 0x00); // no precise diagnosis: rigs power the card first

export abstract class ServedCard {
  private powered = false;
  private readonly traceLimit: number;
  private ring: RawExchange[] = [];
  private ringStart = 0;
  private readonly listeners = new Set<(e: TraceEntry) => void>();

  protected constructor(private readonly atrBytes: Uint8Array, traceLimit = 1000) {
    this.traceLimit = Math.max(0, Math.floor(traceLimit));
  }

  /** One command APDU through the card OS; never throws. */
  protected abstract process(apdu: Uint8Array): Uint8Array;
  /** Power-on / power-off: the OS forgets its selection and session state. */
  protected abstract reset(): void;
  /** The file the last command touched, for the trace. */
  protected abstract lastFile(): string | null;

  /** Cold reset: returns the ATR; clears the selection and the session state of the OS. */
  powerOn(): Uint8Array {
    this.powered = true;
    this.reset();
    return this.atr;
  }

  powerOff(): void {
    this.powered = false;
    this.reset();
  }

  get isPowered(): boolean { return this.powered; }

  get atr(): Uint8Array { return this.atrBytes.slice(); }

  /** Send one command APDU; returns data + SW1 SW2. Never throws. Unpowered: 6F00. */
  transmit(apdu: Uint8Array): Uint8Array {
    let response: Uint8Array;
    try {
      response = this.powered ? this.process(apdu) : NOT_POWERED.slice();
    } catch {
      response = Uint8Array.of(0x6f, 0x00);
    }
    if (this.traceLimit > 0 || this.listeners.size > 0) this.record(apdu, response);
    return response;
  }

  private record(apdu: Uint8Array, response: Uint8Array): void {
    try {
      const raw: RawExchange = { t: Date.now(), command: new Uint8Array(apdu), response: new Uint8Array(response), file: this.powered ? this.lastFile() : 'card not powered' };
      if (this.traceLimit > 0) {
        if (this.ring.length < this.traceLimit) this.ring.push(raw);
        else {
          this.ring[this.ringStart] = raw;
          this.ringStart = (this.ringStart + 1) % this.traceLimit;
        }
      }
      if (this.listeners.size) {
        const e = decodeRaw(raw);
        for (const l of this.listeners) {
          try { l(e); } catch { /* a listener's bug must not break the card */ }
        }
      }
    } catch { /* tracing never breaks transmit */ }
  }

  /** Called with every exchange, decoded. Returns an unsubscribe function. */
  onTrace(listener: (e: TraceEntry) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** The last `traceLimit` exchanges, oldest first, decoded. */
  get trace(): readonly TraceEntry[] {
    const ordered = this.ring.slice(this.ringStart).concat(this.ring.slice(0, this.ringStart));
    return ordered.map(decodeRaw);
  }

  clearTrace(): void {
    this.ring = [];
    this.ringStart = 0;
  }
}
