// vpcd framing, also spoken by the serial rig: every message is a 2-byte big-endian length
// and that many bytes. A 1-byte message is a control code; anything longer is an APDU.

export const Control = {
  powerOff: 0x00,
  powerOn: 0x01,
  reset: 0x02,
  getAtr: 0x04,
} as const;

export function encodeFrame(body: Uint8Array): Buffer {
  if (body.length > 0xffff) throw new RangeError(`frame body of ${body.length} bytes exceeds 65535`);
  const frame = Buffer.allocUnsafe(2 + body.length);
  frame.writeUInt16BE(body.length, 0);
  frame.set(body, 2);
  return frame;
}

/** Collects stream chunks and yields whole frames; a frame may arrive in any number of pieces. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const frames: Buffer[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) break;
      frames.push(this.pending.subarray(2, 2 + length));
      this.pending = this.pending.subarray(2 + length);
    }
    return frames;
  }

  /** Bytes of a frame begun but not finished (a cut line leaves these behind). */
  get buffered(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

/** The card side of the protocol: answer one frame. Returns undefined when no answer is due. */
export function answerFrame(card: { atr: Uint8Array; powerOn(): Uint8Array; powerOff(): void; transmit(apdu: Uint8Array): Uint8Array }, body: Uint8Array): Uint8Array | undefined {
  if (body.length === 1) {
    switch (body[0]) {
      case Control.powerOff: card.powerOff(); return undefined;
      case Control.powerOn:
      case Control.reset: card.powerOn(); return undefined;
      case Control.getAtr: return card.atr;
      default: return undefined; // unknown control codes are ignored, as vpcd's own cards do
    }
  }
  return card.transmit(body);
}
