// The card side of vpcd: connect a VirtualCard to pcscd's vsmartcard-vpcd driver over TCP.
// Connecting is card insertion, closing is removal: PC/SC clients see both as real events.
import net from 'node:net';
import { FrameDecoder, answerFrame, encodeFrame } from './frames';
import { quickAck } from './quickack';
import { describeHolder, release, reserve, ReservedError, vpcdSlotKey } from './reservations';
import type { VirtualCard } from './types';

export const VPCD_BASE_PORT = 35963;
/** vpcd's virtual readers, in port order (Debian's /etc/reader.conf.d/vpcd). */
export const VPCD_READERS = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;

export interface VpcdCardOptions {
  card: VirtualCard;
  host?: string;
  port?: number;
  /** Set TCP_QUICKACK after every read (default true): removes the 20-APDU/s stall. */
  quickAck?: boolean;
  /** How long to wait for vpcd to accept the connection. */
  connectTimeoutMs?: number;
}

export class VpcdError extends Error {
  override name = 'VpcdError';
}

/** How long a card another process holds in the slot may take to go (one on its way out) before it is named. */
const SLOT_GRACE_MS = 3000;

/** Hold vpcd `port`'s card slot for this process, or fail naming who has a card in it. */
export async function takeSlot(port: number): Promise<void> {
  try {
    await reserve(vpcdSlotKey(port), `vpcd port ${port}`, { waitMs: SLOT_GRACE_MS });
  } catch (err) {
    if (!(err instanceof ReservedError)) throw err;
    const h = err.holder;
    throw new VpcdError(`${VPCD_READERS[port - VPCD_BASE_PORT] ?? `vpcd port ${port}`} already holds a card from ${describeHolder(h)}: stop that process (kill ${h.pid}), or use the other virtual reader`);
  }
}

/** A card inserted into a vpcd virtual reader. */
export class VpcdCard {
  private socket: net.Socket | undefined;
  private closedByUs = false;
  readonly address: string;
  /** Resolves when the connection ends, for whatever reason. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private quickAckActive = false;

  private constructor(private readonly options: Required<VpcdCardOptions>) {
    this.address = `${options.host}:${options.port}`;
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
  }

  /** Connect (insert the card). Rejects with a VpcdError that says what to do when vpcd is not there. */
  static async insert(options: VpcdCardOptions): Promise<VpcdCard> {
    const card = new VpcdCard({
      host: '127.0.0.1', port: VPCD_BASE_PORT, quickAck: true, connectTimeoutMs: 5000, ...options,
    });
    // vpcd takes one card per reader: a card another process of ours holds there is named at once.
    const local = card.options.host === '127.0.0.1' || card.options.host === 'localhost';
    if (local) await takeSlot(card.options.port);
    try {
      await card.connect();
    } catch (err) {
      if (local) release(vpcdSlotKey(card.options.port));
      throw err;
    }
    if (local) void card.closed.then(() => release(vpcdSlotKey(card.options.port)));
    return card;
  }

  /** Whether quick-ACK is in effect on this connection (false: the addon is missing). */
  get isQuickAckActive(): boolean { return this.quickAckActive; }

  private connect(): Promise<void> {
    const { host, port, connectTimeoutMs, card } = this.options;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new VpcdError(`vpcd at ${this.address} did not accept the card within ${connectTimeoutMs} ms: vpcd takes one card per reader, so another card is probably in it (another \`medcard run\` or \`medcard emulate\`?)`));
      }, connectTimeoutMs);
      const decoder = new FrameDecoder();
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.options.quickAck) this.quickAckActive = quickAck(socket);
        resolve();
      });
      socket.on('data', (chunk) => {
        if (this.options.quickAck) quickAck(socket);
        for (const body of decoder.push(chunk)) {
          const answer = answerFrame(card, body);
          if (answer) socket.write(encodeFrame(answer));
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.code === 'ECONNREFUSED') {
          reject(new VpcdError(`nothing listens for a virtual card at ${this.address}: pcscd with the vsmartcard-vpcd driver must be running (run \`npx medcard doctor\`; as root: apt-get install pcscd vsmartcard-vpcd && pcscd)`));
        } else {
          reject(new VpcdError(`vpcd connection to ${this.address} failed: ${err.message}`));
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        card.powerOff();
        this.resolveClosed();
      });
    });
  }

  /** Remove the card. */
  async remove(): Promise<void> {
    if (!this.socket || this.closedByUs) return;
    this.closedByUs = true;
    // Pulling a card is abrupt: vpcd does not answer a half-close, so the socket is destroyed.
    this.socket.destroy();
    await this.closed;
  }
}
