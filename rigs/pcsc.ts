// A CardChannel over real PC/SC (pcscd), by reader name, through the `smartcard` binding.
// Used by the vpcd rig (our card behind the real stack) and by real readers. Responses are
// passed through raw: 61xx / 6Cxx are the terminal's business, so traces show true traffic.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as pcsc from 'smartcard';
import type { CardInterface as Card, ContextInterface as Context, MonitorEvent, ReaderMonitorInterface as ReaderMonitor } from 'smartcard';
import { CardAbsentError, ReaderError, type CardChannel } from './types';

/** PC/SC error codes, in plain words with what to do. */
const PCSC_ERRORS: Record<number, string> = {
  0x8010001d: 'pcscd is not running: start it (as root) with `pcscd`, or run `npx medcard doctor`',
  0x8010002e: 'no smart card reader is connected (for the vpcd rig: apt-get install vsmartcard-vpcd, then restart pcscd)',
  0x80100009: 'no reader by that name: `npx medcard doctor` lists the readers pcscd knows',
  0x8010000c: 'no card in the reader: insert the card',
  0x80100069: 'the card was removed during the operation: put it back and rerun the scenario',
  0x80100066: 'the card does not answer (mute): check that it is inserted the right way round, or that the emulator serving it is alive',
  0x80100067: 'the card is not powered',
  0x8010000b: 'another program holds the card exclusively: close it (e.g. pcsc_scan) and retry',
  0x8010000a: 'PC/SC timed out waiting for the card',
  0x80100017: 'the reader is unavailable: it was unplugged, or its driver stopped',
  0x80100068: 'the card was reset by another program: retry',
};

export function explainPcscError(err: unknown, reader: string): ReaderError {
  const code = (err as { code?: number }).code;
  const message = err instanceof Error ? err.message : String(err);
  const hint = code !== undefined ? PCSC_ERRORS[code >>> 0] : undefined;
  const hex = code !== undefined ? ` (0x${(code >>> 0).toString(16).toUpperCase()})` : '';
  return new ReaderError(`reader "${reader}": ${hint ?? message}${hex}`, code !== undefined ? `0x${(code >>> 0).toString(16)}` : undefined);
}

const SHARING_VIOLATION = 0x8010000b;
/** How long a card another program holds exclusively may take to be let go (a tool reading it once) before that is an error. */
export const SHARING_GRACE_MS = 3000;

/**
 * The other programs with a connection to pcscd now (`ss -xp`: the peers of pcscd's socket), as
 * "pid N (command)": PC/SC does not say who holds a card, but the holder is one of these. Empty
 * when `ss` is missing or shows no other (another user's processes are visible only to root).
 */
export function pcscClients(): string[] {
  const ss = spawnSync('ss', ['-xp'], { encoding: 'utf8', timeout: 3000 });
  if (ss.status !== 0 || !ss.stdout) return [];
  const rows = ss.stdout.split('\n').map((l) => l.trim().split(/\s+/));
  // u_str ESTAB 0 0 <local path or *> <local inode> <peer path or *> <peer inode> users:((…))
  const clientInodes = new Set(rows.filter((r) => /pcscd\.comm$/.test(r[4] ?? '')).map((r) => r[7]));
  const pids = new Set<number>();
  for (const r of rows) {
    if (!clientInodes.has(r[5])) continue;
    for (const m of r.slice(8).join(' ').matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
  }
  pids.delete(process.pid);
  return [...pids].map((pid) => {
    let command = '';
    try { command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
    return `pid ${pid} (${command.length > 100 ? `${command.slice(0, 100)}…` : command || '?'})`;
  });
}

function openContext(reader: string): Context {
  try {
    const ctx = new pcsc.Context();
    if (!ctx.isValid) throw Object.assign(new Error('SCardEstablishContext failed'), { code: 0x8010001d });
    return ctx;
  } catch (err) {
    throw explainPcscError(err, reader);
  }
}

/** Names of the readers pcscd knows, or a ReaderError saying why there are none. */
export function listReaderNames(): string[] {
  const ctx = openContext('*');
  try {
    return ctx.listReaders().map((r) => r.name);
  } catch (err) {
    if ((err as { code?: number }).code === 0x8010002e) return [];
    throw explainPcscError(err, '*');
  } finally {
    ctx.close();
  }
}

export class PcscChannel implements CardChannel {
  private ctx: Context;
  private card: Card | undefined;
  private monitor: ReaderMonitor | undefined;
  private listeners = new Set<(present: boolean) => void>();
  private present: boolean;

  constructor(readonly name: string) {
    this.ctx = openContext(name);
    this.present = this.readState().present;
  }

  private readState(): { present: boolean; exists: boolean } {
    let readers;
    try {
      readers = this.ctx.listReaders();
    } catch (err) {
      if ((err as { code?: number }).code === 0x8010002e) return { present: false, exists: false };
      throw explainPcscError(err, this.name);
    }
    const reader = readers.find((r) => r.name === this.name);
    if (!reader) return { present: false, exists: false };
    return { present: (reader.state & pcsc.SCARD_STATE_PRESENT) !== 0 && (reader.state & pcsc.SCARD_STATE_MUTE) === 0, exists: true };
  }

  private requireReader() {
    const reader = this.ctx.listReaders().find((r) => r.name === this.name);
    if (!reader) {
      const known = this.ctx.listReaders().map((r) => `"${r.name}"`).join(', ') || 'none';
      throw new ReaderError(`reader "${this.name}" not found; readers pcscd knows: ${known}`);
    }
    return reader;
  }

  isCardPresent(): boolean {
    this.present = this.readState().present;
    return this.present;
  }

  /** The protocol pcscd chose with the powered card (from its ATR), or undefined unpowered: a real reader may answer with T=1. */
  get protocol(): 'T=0' | 'T=1' | undefined {
    if (!this.card?.connected) return undefined;
    return this.card.protocol === pcsc.SCARD_PROTOCOL_T1 ? 'T=1' : this.card.protocol === pcsc.SCARD_PROTOCOL_T0 ? 'T=0' : undefined;
  }

  /** Wait until a card is in the reader (true) or the timeout passes (false). */
  async waitForCard(timeoutMs: number, wanted = true): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.isCardPresent() === wanted) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.isCardPresent() === wanted;
  }

  async powerOn(): Promise<Uint8Array> {
    try {
      if (this.card?.connected) {
        await this.card.reconnect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T0 | pcsc.SCARD_PROTOCOL_T1, pcsc.SCARD_UNPOWER_CARD);
      } else {
        const reader = this.requireReader();
        if (!this.isCardPresent()) throw new CardAbsentError(this.name);
        this.card = await this.connectShared(reader);
      }
      return new Uint8Array(this.card.getStatus().atr);
    } catch (err) {
      if (err instanceof CardAbsentError || err instanceof ReaderError) throw err;
      if ((err as { code?: number }).code === 0x8010000c) throw new CardAbsentError(this.name);
      throw explainPcscError(err, this.name);
    }
  }

  /** Connect, sharing the card; a card another program holds exclusively is waited for SHARING_GRACE_MS, then the programs that may hold it are named. */
  private async connectShared(reader: ReturnType<PcscChannel['requireReader']>): Promise<Card> {
    const deadline = Date.now() + SHARING_GRACE_MS;
    for (;;) {
      try {
        return await reader.connect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T0 | pcsc.SCARD_PROTOCOL_T1);
      } catch (err) {
        // The binding's connect gives no code, only pcsc-lite's text ("Sharing violation").
        if (((err as { code?: number }).code ?? 0) >>> 0 !== SHARING_VIOLATION && !/sharing violation/i.test((err as Error).message)) throw err;
        if (Date.now() >= deadline) {
          const clients = pcscClients();
          throw new ReaderError(`reader "${this.name}": another program has held the card exclusively for ${SHARING_GRACE_MS / 1000} s (SCARD_E_SHARING_VIOLATION): ${clients.length
            ? `programs connected to pcscd now: ${clients.join(', ')}; close the one that holds it (kill <pid>) and retry`
            : 'no other program connected to pcscd is visible to this user: close the one that holds it (pcsc_scan, a vendor tool) and retry'}`, '0x8010000b');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.card?.connected) throw new ReaderError(`reader "${this.name}": the card is not powered; call powerOn() first`);
    try {
      return new Uint8Array(await this.card.transmit(Buffer.from(apdu), { maxRecvLength: 258 }));
    } catch (err) {
      this.card = undefined;
      // Some failures carry no PC/SC code ("Transaction failed"): say what the reader state shows.
      const code = (err as { code?: number }).code;
      if (code === undefined || PCSC_ERRORS[code >>> 0] === undefined) {
        if (await this.waitForCard(1000, false)) throw new ReaderError(`reader "${this.name}": ${PCSC_ERRORS[0x80100069]} (${err instanceof Error ? err.message : String(err)})`, '0x80100069');
      }
      throw explainPcscError(err, this.name);
    }
  }

  async powerOff(): Promise<void> {
    const card = this.card;
    this.card = undefined;
    if (!card?.connected) return;
    // SCARD_LEAVE_CARD, not UNPOWER: the binding's disconnect is synchronous, and when the
    // card is served from this same process (the vpcd rig) pcscd's power-off waits on our
    // blocked event loop — a deadlock. pcscd powers an idle card down by itself.
    try {
      card.disconnect(pcsc.SCARD_LEAVE_CARD);
    } catch {
      // The card may already be gone; powered off either way.
    }
  }

  onPresence(listener: (present: boolean) => void): () => void {
    this.listeners.add(listener);
    if (!this.monitor) {
      // Readers present before start() fire no event, so state is read first (tomkp/smartcard#30).
      this.present = this.readState().present;
      this.monitor = new pcsc.ReaderMonitor();
      this.monitor.start((event: MonitorEvent) => {
        if (event.reader !== this.name) return;
        const present = event.type === 'card-inserted' ? true : event.type === 'card-removed' ? false : undefined;
        if (present === undefined || present === this.present) return;
        this.present = present;
        for (const l of this.listeners) l(present);
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopMonitor();
    };
  }

  private stopMonitor() {
    try { this.monitor?.stop(); } catch { /* already stopped */ }
    this.monitor = undefined;
  }

  async close(): Promise<void> {
    await this.powerOff();
    this.listeners.clear();
    this.stopMonitor();
    try { this.ctx.close(); } catch { /* closed */ }
  }
}
