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
  0x8010001d: 'pcscd is not running (it stopped, or is restarting): start it (as root) with `pcscd`, or run `npx medcard doctor`',
  0x8010001e: 'pcscd stopped: start it (as root) with `pcscd`, or run `npx medcard doctor`',
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

/**
 * The binding (smartcard 3.7) rejects with pcsc-lite's text and no code: the code back from
 * the text (the binding's GetPCSCErrorString), so the plain words above apply.
 */
const BINDING_TEXTS: Record<string, number> = {
  'PC/SC service not running': 0x8010001d,
  'PC/SC service stopped': 0x8010001e,
  'Invalid handle': 0x80100003,
  'No readers available': 0x8010002e,
  'Unknown reader': 0x80100009,
  'No smart card present': 0x8010000c,
  'Card was removed': 0x80100069,
  'Card is unresponsive': 0x80100066,
  'Card is unpowered': 0x80100067,
  'Sharing violation': 0x8010000b,
  'Operation timed out': 0x8010000a,
  'Reader unavailable': 0x80100017,
  'Card was reset': 0x80100068,
  'Transaction failed': 0x80100016,
};

/** The PC/SC code of an error from the binding (its `code`, or from its text), unsigned. */
export function pcscCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code >>> 0;
  return BINDING_TEXTS[err instanceof Error ? err.message : String(err)];
}

export function explainPcscError(err: unknown, reader: string): ReaderError {
  if (err instanceof ReaderError) return err;
  const code = pcscCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const hint = code !== undefined ? PCSC_ERRORS[code] : undefined;
  const hex = code !== undefined ? `0x${code.toString(16).toUpperCase()}` : '';
  const said = hint && BINDING_TEXTS[message] !== undefined ? ` (${message}, ${hex})` : hex ? ` (${hex})` : '';
  return new ReaderError(`reader "${reader}": ${hint ?? message}${said}`, code !== undefined ? `0x${code.toString(16)}` : undefined);
}

/**
 * A context (or card handle) of a pcscd that is no longer there: pcsc-lite answers every call on
 * it with "service not running", even once pcscd is back, so it must be made again.
 */
const DEAD_CONTEXT = new Set([0x8010001d, 0x8010001e, 0x80100003]);
const isDeadContext = (err: unknown) => DEAD_CONTEXT.has(pcscCode(err) ?? 0);

export const PCSCD_GONE = PCSC_ERRORS[0x8010001d]!;

/** A reader pcscd does not list (any more): what it lists instead, and what to do. */
export function readerGoneMessage(reader: string, known: readonly string[], since = ''): string {
  return `reader "${reader}" is gone${since}: pcscd no longer lists it (unplugged, or pcscd restarted without it); readers pcscd knows: ${known.map((n) => `"${n}"`).join(', ') || 'none'}: plug it back in`;
}

/** What pcscd says about one reader now. */
export type ReaderStatus =
  | { reader: 'listed'; card: boolean }
  /** pcscd runs but does not list it: unplugged, or pcscd restarted without it. */
  | { reader: 'gone'; known: string[] }
  /** pcscd is not there at all. */
  | { reader: 'no-pcscd'; error: ReaderError };

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
    if (isDeadContext(err)) throw new ReaderError(`reader "${reader}": ${PCSCD_GONE}`, '0x8010001d');
    throw explainPcscError(err, reader);
  }
}

/** Names of the readers pcscd knows, or a ReaderError saying why there are none. */
export function listReaderNames(): string[] {
  const ctx = openContext('*');
  try {
    return ctx.listReaders().map((r) => r.name);
  } catch (err) {
    if (pcscCode(err) === 0x8010002e) return [];
    throw explainPcscError(err, '*');
  } finally {
    ctx.close();
  }
}

export class PcscChannel implements CardChannel {
  /** Undefined once pcscd went away: the next call establishes a new one. */
  private ctx: Context | undefined;
  private card: Card | undefined;
  private monitor: ReaderMonitor | undefined;
  private monitorRetry: NodeJS.Timeout | undefined;
  private listeners = new Set<(present: boolean) => void>();
  private present: boolean;
  /** Has pcscd listed this reader since the channel was made? Then missing from its list is "gone", not a wrong name. */
  private seen = false;

  constructor(readonly name: string) {
    this.ctx = openContext(name);
    this.present = this.readState().present;
  }

  /**
   * Run `f` on the context; one of a pcscd that went away (restarted, or stopped) is dropped
   * and a new one made, once per call. pcscd not there: a ReaderError saying to start it.
   */
  private withContext<T>(f: (ctx: Context) => T): T {
    let fresh = false;
    for (;;) {
      if (!this.ctx) { this.ctx = openContext(this.name); fresh = true; }
      try {
        return f(this.ctx);
      } catch (err) {
        if (!isDeadContext(err) || fresh) throw err;
        this.dropContext();
      }
    }
  }

  /**
   * Forget the context of a pcscd that is gone. A card handle made on it is kept until it is
   * next used, so that use fails saying what happened (transmit) or connects afresh (powerOn).
   */
  private dropContext() {
    try { this.ctx?.close(); } catch { /* already dead */ }
    this.ctx = undefined;
  }

  /** What pcscd says about this reader now: listed (with or without a card), gone from its list, or pcscd not there. */
  status(): ReaderStatus {
    let readers;
    try {
      readers = this.withContext((ctx) => ctx.listReaders());
    } catch (err) {
      if (pcscCode(err) === 0x8010002e) return { reader: 'gone', known: [] };
      if (isDeadContext(err) || (err instanceof ReaderError && err.code === '0x8010001d')) {
        this.dropContext();
        return { reader: 'no-pcscd', error: new ReaderError(`reader "${this.name}": ${PCSCD_GONE}`, '0x8010001d') };
      }
      throw explainPcscError(err, this.name);
    }
    const reader = readers.find((r) => r.name === this.name);
    if (!reader) return { reader: 'gone', known: readers.map((r) => r.name) };
    this.seen = true;
    return { reader: 'listed', card: (reader.state & pcsc.SCARD_STATE_PRESENT) !== 0 && (reader.state & pcsc.SCARD_STATE_MUTE) === 0 };
  }

  private readState(): { present: boolean; exists: boolean } {
    const s = this.status();
    if (s.reader === 'no-pcscd') throw s.error;
    return { present: s.reader === 'listed' && s.card, exists: s.reader === 'listed' };
  }

  private requireReader() {
    const readers = this.withContext((ctx) => ctx.listReaders());
    const reader = readers.find((r) => r.name === this.name);
    const known = readers.map((r) => r.name);
    if (!reader && this.seen) throw new ReaderError(readerGoneMessage(this.name, known), 'ENOREADER');
    if (!reader) throw new ReaderError(`reader "${this.name}" not found; readers pcscd knows: ${known.map((n) => `"${n}"`).join(', ') || 'none'}`, 'ENOREADER');
    this.seen = true;
    return reader;
  }

  /** Is a card in? pcscd not running is a ReaderError saying so. */
  isCardPresent(): boolean {
    this.setPresent(this.readState().present);
    return this.present;
  }

  /** The protocol pcscd chose with the powered card (from its ATR), or undefined unpowered: a real reader may answer with T=1. */
  get protocol(): 'T=0' | 'T=1' | undefined {
    if (!this.card?.connected) return undefined;
    return this.card.protocol === pcsc.SCARD_PROTOCOL_T1 ? 'T=1' : this.card.protocol === pcsc.SCARD_PROTOCOL_T0 ? 'T=0' : undefined;
  }

  /**
   * Wait until a card is in the reader (true) or the timeout passes (false). pcscd away for a
   * moment (restarting) counts as no card; still away at the end is its ReaderError.
   */
  async waitForCard(timeoutMs: number, wanted = true): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.status();
      const present = s.reader === 'listed' && s.card;
      if (present === wanted) return true;
      if (Date.now() >= deadline) {
        if (s.reader === 'no-pcscd') throw s.error;
        return false;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async powerOn(): Promise<Uint8Array> {
    try {
      if (this.card?.connected) {
        try {
          await this.card.reconnect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T0 | pcsc.SCARD_PROTOCOL_T1, pcsc.SCARD_UNPOWER_CARD);
          return new Uint8Array(this.card.getStatus().atr);
        } catch (err) {
          // A handle from a pcscd that has since restarted: a power-on is a cold start anyway, so connect afresh.
          if (!isDeadContext(err)) throw err;
          this.dropContext();
          this.card = undefined;
        }
      }
      this.card = await this.connect();
      return new Uint8Array(this.card.getStatus().atr);
    } catch (err) {
      if (err instanceof CardAbsentError || err instanceof ReaderError) throw err;
      if (pcscCode(err) === 0x8010000c) throw new CardAbsentError(this.name);
      throw explainPcscError(err, this.name);
    }
  }

  /** Connect to the card in the reader; a context pcscd dropped between listing and connecting is made again once. */
  private async connect(): Promise<Card> {
    for (let attempt = 0; ; attempt++) {
      const reader = this.requireReader();
      if (!this.isCardPresent()) throw new CardAbsentError(this.name);
      try {
        return await this.connectShared(reader);
      } catch (err) {
        if (!isDeadContext(err) || attempt > 0) throw err;
        this.dropContext();
      }
    }
  }

  /** Connect, sharing the card; a card another program holds exclusively is waited for SHARING_GRACE_MS, then the programs that may hold it are named. */
  private async connectShared(reader: ReturnType<PcscChannel['requireReader']>): Promise<Card> {
    const deadline = Date.now() + SHARING_GRACE_MS;
    for (;;) {
      try {
        return await reader.connect(pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T0 | pcsc.SCARD_PROTOCOL_T1);
      } catch (err) {
        if (pcscCode(err) !== SHARING_VIOLATION) throw err;
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
      if (isDeadContext(err)) throw this.lostToPcscd(err);
      // Some failures carry no PC/SC code ("Transaction failed"): say what the reader state shows.
      const code = pcscCode(err);
      if (code === undefined || PCSC_ERRORS[code] === undefined) {
        if (await this.waitForCard(1000, false).catch(() => true)) {
          const s = this.status();
          if (s.reader === 'gone') throw new ReaderError(`reader "${this.name}": the reader went during the operation (${err instanceof Error ? err.message : String(err)}): ${readerGoneMessage(this.name, s.known)}`, '0x80100017');
          if (s.reader === 'no-pcscd') throw this.lostToPcscd(err);
          throw new ReaderError(`reader "${this.name}": ${PCSC_ERRORS[0x80100069]} (${err instanceof Error ? err.message : String(err)})`, '0x80100069');
        }
      }
      throw explainPcscError(err, this.name);
    }
  }

  /**
   * The card's connection belonged to a pcscd that is gone: the operation cannot go on (the
   * card was reset, or is in no reader). Say whether pcscd is back, and with the reader or not.
   */
  private lostToPcscd(err: unknown): ReaderError {
    this.dropContext();
    const said = err instanceof Error ? err.message : String(err);
    const s = this.status();
    const now = s.reader === 'no-pcscd' ? `pcscd is not running now: start it (as root) with \`pcscd\`, or run \`npx medcard doctor\``
      : s.reader === 'gone' ? readerGoneMessage(this.name, s.known)
      : 'the reader is back: rerun the scenario';
    return new ReaderError(`reader "${this.name}": pcscd restarted (or the reader was unplugged) during the operation: the card's connection is lost (${said}); ${now}`, '0x8010001d');
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
      // The card may already be gone (or its pcscd): powered off either way.
    }
  }

  onPresence(listener: (present: boolean) => void): () => void {
    this.listeners.add(listener);
    if (!this.monitor && !this.monitorRetry) this.startMonitor();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopMonitor();
    };
  }

  private setPresent(present: boolean) {
    if (present === this.present) return;
    this.present = present;
    for (const l of this.listeners) l(present);
  }

  private startMonitor() {
    // Readers present before start() fire no event, so state is read first (tomkp/smartcard#30).
    const s = this.status();
    this.setPresent(s.reader === 'listed' && s.card);
    let monitor: ReaderMonitor;
    try {
      if (s.reader === 'no-pcscd') throw s.error;
      monitor = new pcsc.ReaderMonitor();
      monitor.start((event: MonitorEvent) => {
        // The monitor's context died with its pcscd and reports that every second: start a new one.
        // (Deferred: stopping it joins its thread, which must not happen inside its own callback.)
        if (event.type === 'error') { if (this.monitor === monitor) setImmediate(() => { if (this.monitor === monitor) this.restartMonitor(); }); return; }
        if (event.reader !== this.name) return;
        const present = event.type === 'card-inserted' ? true : event.type === 'card-removed' || event.type === 'reader-detached' ? false : undefined;
        if (present !== undefined) this.setPresent(present);
      });
    } catch {
      this.restartMonitor();
      return;
    }
    this.monitor = monitor;
  }

  /** Stop the monitor and try a new one in a second, while anyone listens (pcscd may be restarting). */
  private restartMonitor() {
    this.stopMonitor();
    if (this.listeners.size === 0) return;
    this.monitorRetry = setTimeout(() => { this.monitorRetry = undefined; if (this.listeners.size) this.startMonitor(); }, 1000);
    this.monitorRetry.unref();
  }

  private stopMonitor() {
    clearTimeout(this.monitorRetry);
    this.monitorRetry = undefined;
    const monitor = this.monitor;
    this.monitor = undefined;
    try { monitor?.stop(); } catch { /* already stopped */ }
  }

  async close(): Promise<void> {
    await this.powerOff();
    this.listeners.clear();
    this.stopMonitor();
    try { this.ctx?.close(); } catch { /* closed */ }
    this.ctx = undefined;
  }
}
