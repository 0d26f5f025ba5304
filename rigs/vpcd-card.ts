// The card side of vpcd: connect a VirtualCard to pcscd's vsmartcard-vpcd driver over TCP.
// Connecting is card insertion, closing is removal: PC/SC clients see both as real events.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

/**
 * Programs on this host other than this one with a connection to vpcd `port` now (`ss -tnp`):
 * a card side that is not medcard's (vicc, a vendor's emulator) holds no reservation. A card
 * served from a container connects from its own network namespace and is not seen here.
 */
export function vpcdCardPrograms(port: number): Array<{ pid: number; said: string }> {
  const ss = spawnSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8', timeout: 3000 });
  if (ss.status !== 0 || !ss.stdout) return [];
  const pids = new Set([...ss.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
  pids.delete(process.pid);
  return [...pids].map((pid) => {
    let command = '';
    try { command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
    return { pid, said: `pid ${pid} (${command.length > 100 ? `${command.slice(0, 100)}…` : command || '?'})` };
  });
}

/** Hold vpcd `port`'s card slot for this process, or fail naming who has a card in it. */
export async function takeSlot(port: number): Promise<void> {
  const reader = VPCD_READERS[port - VPCD_BASE_PORT] ?? `vpcd port ${port}`;
  try {
    await reserve(vpcdSlotKey(port), `vpcd port ${port}`, { waitMs: SLOT_GRACE_MS });
  } catch (err) {
    if (!(err instanceof ReservedError)) throw err;
    const h = err.holder;
    throw new VpcdError(`${reader} already holds a card from ${describeHolder(h)}: stop that process (kill ${h.pid}), or use the other virtual reader`);
  }
  // A card side that is not medcard's takes no reservation: look at the connections themselves.
  const deadline = Date.now() + SLOT_GRACE_MS;
  for (let others = vpcdCardPrograms(port); others.length; others = vpcdCardPrograms(port)) {
    if (Date.now() >= deadline) {
      release(vpcdSlotKey(port));
      throw new VpcdError(`${reader} already holds a card from ${others.map((o) => o.said).join(', ')}, a program that is not medcard (vpcd port ${port}): stop it (kill ${others.map((o) => o.pid).join(' ')}), or use the other virtual reader`);
    }
    await new Promise((r) => setTimeout(r, 250));
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
