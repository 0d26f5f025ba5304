// Measures APDU throughput through pcscd + vpcd: a card is inserted on a vpcd port and a
// PC/SC client sends commands for a fixed time. Used by `medcard doctor` and the benches.
import { PcscChannel } from './pcsc';
import type { VirtualCard } from './types';
import { VPCD_BASE_PORT, VpcdCard } from './vpcd-card';

/** A card that answers 90 00 at once: the transport's own limit. */
export const DO_NOTHING_CARD: VirtualCard = {
  atr: Uint8Array.from([0x3b, 0x02, 0x14, 0x50]),
  powerOn() { return this.atr; },
  powerOff() {},
  transmit() { return Uint8Array.from([0x90, 0x00]); },
};

export interface VpcdMeasurement {
  apdus: number;
  seconds: number;
  perSecond: number;
  msPerApdu: number;
}

export async function measureVpcd(options: {
  card: VirtualCard;
  readerName: string;
  port?: number;
  quickAck: boolean;
  commands: Uint8Array[];
  seconds: number;
  /** Commands sent once after power-on, not counted (e.g. SELECT SSSE). */
  setup?: Uint8Array[];
}): Promise<VpcdMeasurement> {
  const inserted = await VpcdCard.insert({ card: options.card, port: options.port ?? VPCD_BASE_PORT, quickAck: options.quickAck });
  const channel = new PcscChannel(options.readerName);
  try {
    if (!(await channel.waitForCard(5000))) throw new Error(`no card appeared in "${options.readerName}"`);
    await channel.powerOn();
    for (const c of options.setup ?? []) await channel.transmit(c);
    const start = process.hrtime.bigint();
    const limit = BigInt(Math.round(options.seconds * 1e9));
    let apdus = 0;
    while (process.hrtime.bigint() - start < limit) {
      await channel.transmit(options.commands[apdus % options.commands.length]);
      apdus++;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { apdus, seconds, perSecond: apdus / seconds, msPerApdu: (seconds * 1000) / apdus };
  } finally {
    await channel.powerOff();
    await inserted.remove();
    await channel.waitForCard(3000, false);
    await channel.close();
  }
}
