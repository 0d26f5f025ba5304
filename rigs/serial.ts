// The serial rig: a reader bridge or card robot on a serial line, speaking vpcd's framing
// (2-byte big-endian length + body) with vpcd's control codes plus insert / eject / presence.
// Unlike vpcd over TCP, EVERY message on the line is answered with exactly one frame, so the
// host always knows whether the far end is alive and never has two requests in flight.
// The card side (SerialCardServer) is what `medcard emulate --serial` runs; the harness runs
// it too, on the far end of a socat pty pair, when the rig file gives no serial.path.
// Protocol details: rigs/README.md ("The serial line").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { encodeFrame, Control } from './frames';
import { CardAbsentError, ReaderError, type CardChannel, type VirtualCard } from './types';

/** Control codes on the serial line: vpcd's 00 01 02 04, plus the robot's 10 11 12 13 and 20–2F. */
export const SerialControl = {
  ...Control,
  insert: 0x10,   // put the card in the reader; answer: status
  eject: 0x11,    // take it out; answer: status
  presence: 0x12, // is a card in? answer: status
  slots: 0x13,    // how many card slots has the robot? answer: one byte, the count
  slot: 0x20,     // 20 + k: swap in the card of slot k (0–15); answer: its ATR, or an empty frame
} as const;

/** Slots a robot can have: 20–2F. */
export const MAX_SLOTS = 16;

/** One-byte answers to control codes 00 01 02 10 11 12. */
export const SerialStatus = { absent: 0x00, present: 0x01, unknownCode: 0xff } as const;

/** Largest body either side sends: a short APDU with 255 data bytes + Le, or 256 bytes + SW. */
export const MAX_BODY = 261;

/**
 * Frames from a byte stream that may carry noise: a length of 0 or above `maxBody` is not a
 * frame start, so one byte is dropped and parsing resumes (resynchronisation); a frame begun
 * but not finished within `interByteMs` of its last byte is dropped.
 */
export class ResyncDecoder {
  private pending = Buffer.alloc(0);
  private lastByteAt = 0;
  /** Bytes thrown away while resynchronising. */
  dropped = 0;

  constructor(private readonly maxBody = MAX_BODY, private readonly interByteMs = 100, private readonly allowEmpty = false) {}

  push(chunk: Uint8Array, now = Date.now()): Buffer[] {
    if (this.pending.length && now - this.lastByteAt > this.interByteMs) {
      this.dropped += this.pending.length;
      this.pending = Buffer.alloc(0);
    }
    this.lastByteAt = now;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const frames: Buffer[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if ((length === 0 && !this.allowEmpty) || length > this.maxBody) {
        this.pending = this.pending.subarray(1);
        this.dropped++;
        continue;
      }
      if (this.pending.length < 2 + length) break;
      frames.push(Buffer.from(this.pending.subarray(2, 2 + length)));
      this.pending = this.pending.subarray(2 + length);
    }
    return frames;
  }

  /** Bytes of a frame begun but not finished; the declared length when known. */
  get partial(): { have: number; want?: number } {
    return { have: this.pending.length, want: this.pending.length >= 2 ? this.pending.readUInt16BE(0) + 2 : undefined };
  }

  reset(): void { this.pending = Buffer.alloc(0); }
}

/**
 * A serial line, opened without the serialport package's I/O: that reads and writes through
 * libuv's thread pool, four thread hand-offs per request and answer, which cost more than half
 * of a 115200-baud APDU's round trip (bench/serial.ts). Here the line is a tty: `stty` sets the
 * speed and raw mode, a tty.ReadStream reads on the event loop itself, and a frame is written
 * with one write(2) (the kernel's tty buffer takes it whole; EAGAIN only when it is full).
 */
class SerialLine {
  private readonly input: tty.ReadStream;
  private gone = false;

  private constructor(readonly path: string, private readonly fd: number, onData: (chunk: Buffer) => void, onGone: (why: string) => void) {
    this.input = new tty.ReadStream(fd);
    this.input.on('data', (chunk: Buffer) => onData(chunk));
    // The far end gone (pty closed, adapter unplugged): EIO on read, then the end of the stream.
    const gone = (why: string) => { if (!this.gone) { this.gone = true; onGone(why); } };
    this.input.on('error', (err: NodeJS.ErrnoException) => gone(err.code === 'EIO' ? 'the line closed' : `error: ${err.message}`));
    this.input.on('end', () => gone('the line closed'));
    this.input.on('close', () => gone('the line closed'));
  }

  /** A tty this process already holds open: a pty's master (openPty), raw from the start. */
  static adopt(name: string, fd: number, onData: (chunk: Buffer) => void, onGone: (why: string) => void): SerialLine {
    return new SerialLine(name, fd, onData, onGone);
  }

  static open(linePath: string, baudRate: number, onData: (chunk: Buffer) => void, onGone: (why: string) => void): SerialLine {
    const cannot = (hint: string, code?: string) => new ReaderError(`serial line ${linePath}: cannot open at ${baudRate} baud: ${hint}`, code);
    let fd: number;
    try {
      fd = fs.openSync(linePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw cannot(code === 'ENOENT' ? 'no such device: is the reader bridge plugged in (ls /dev/ttyUSB* /dev/ttyACM*), or is `socat` running for a pty pair?'
        : code === 'EACCES' ? 'permission denied: add yourself to the dialout group, or run as root'
        : code === 'EBUSY' ? 'the port is in use by another program' : (err as Error).message, code || undefined);
    }
    if (!tty.isatty(fd)) { fs.closeSync(fd); throw cannot('not a serial line (a tty device or a pty)', 'ENOTTY'); }
    // Raw bytes both ways, no echo, no flow control; the receiver on; modem lines ignored.
    const stty = spawnSync('stty', ['-F', linePath, String(baudRate), 'raw', '-echo', '-ixon', '-ixoff', '-crtscts', 'clocal', 'cread', 'min', '1', 'time', '0'], { encoding: 'utf8' });
    if (stty.status !== 0) { fs.closeSync(fd); throw cannot(`stty could not set the line: ${(stty.stderr || stty.error?.message || '').trim()}`, 'EINVAL'); }
    return new SerialLine(linePath, fd, onData, onGone);
  }

  get isOpen(): boolean { return !this.gone; }

  /** Write the frame whole; waits only while the kernel's buffer is full. */
  async write(frame: Buffer): Promise<void> {
    let done = 0;
    while (done < frame.length) {
      if (this.gone) throw new ReaderError(`serial line ${this.path}: write failed: the line closed`, 'ELINE');
      try {
        done += fs.writeSync(this.fd, frame, done);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') throw new ReaderError(`serial line ${this.path}: write failed: ${(err as Error).message}`, 'ELINE');
        await sleep(1);
      }
    }
  }

  /** Close the line (the read stream owns the descriptor). */
  close(): Promise<void> {
    this.gone = true;
    if (this.input.destroyed) return Promise.resolve();
    return new Promise((resolve) => { this.input.once('close', () => resolve()); this.input.destroy(); });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Hold for `ms`, to a few microseconds (paceLine, the bench): a frame's time on a 115200-baud
 * line is 0.6–2 ms, which timers miss by up to a millisecond (they count whole ones), and
 * spinning the event loop for it loses the CPU to other processes. So: a futex sleep
 * (Atomics.wait) to 0.2 ms before the end, then a spin for the rest (a futex wakes tens of
 * microseconds late, and here, under load, up to 0.2 ms: measured, lead 0.1 ms overshot 34 µs
 * at p50, 0.2 ms 2 µs). It blocks this thread, which is what a paced host does anyway: it has
 * the answer and waits for the wire.
 */
function lineTime(ms: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  if (ms > 0.2) Atomics.wait(pause, 0, 0, ms - 0.2);
  while (process.hrtime.bigint() < until) { /* the last 0.2 ms */ }
}

export interface SerialChannelOptions {
  path: string;
  baudRate?: number;
  /** How long to wait for an answer frame (default 2000 ms). */
  timeoutMs?: number;
  /** Silence inside one frame after which its bytes are dropped (default max(20, timeoutMs/10) ms). */
  interByteMs?: number;
  /** Hold each write for the time the bytes take on a real line at this baud rate (bench). */
  paceLine?: boolean;
}

/** The host side: a CardChannel over a serial line. One request in flight at a time. */
export class SerialChannel implements CardChannel {
  readonly name: string;
  private line: SerialLine | undefined;
  private decoder: ResyncDecoder;
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closedReason: string | undefined;
  private present = false;
  private powered = false;
  private listeners = new Set<(present: boolean) => void>();
  /** Bytes that arrived while nothing was asked (line noise), dropped. */
  strayBytes = 0;
  private readonly o: Required<SerialChannelOptions>;

  private constructor(o: SerialChannelOptions) {
    const timeoutMs = o.timeoutMs ?? 2000;
    this.o = { baudRate: 115200, interByteMs: Math.max(20, Math.round(timeoutMs / 10)), paceLine: false, ...o, timeoutMs };
    this.name = `serial:${o.path}`;
    this.decoder = new ResyncDecoder(MAX_BODY, this.o.interByteMs, true);
  }

  static async open(o: SerialChannelOptions): Promise<SerialChannel> {
    const ch = new SerialChannel(o);
    ch.line = SerialLine.open(o.path, ch.o.baudRate, (chunk) => ch.onData(chunk), (why) => ch.lineGone(why));
    await ch.refreshPresence().catch(() => undefined);
    return ch;
  }

  get baudRate(): number { return this.o.baudRate; }
  /** The time `bytes` take on the line: 10 bits a byte (start, 8 data, stop). */
  private lineMs(bytes: number): number { return (bytes * 10 * 1000) / this.o.baudRate; }
  /** Bytes dropped while resynchronising on the line. */
  get droppedBytes(): number { return this.decoder.dropped + this.strayBytes; }

  private onData(chunk: Buffer) {
    if (!this.waiting) { this.strayBytes += chunk.length; return; }
    const frames = this.decoder.push(chunk);
    if (frames.length) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(frames[0]);
      // Anything after the answer is noise: one request, one answer.
      this.strayBytes += frames.slice(1).reduce((n, f) => n + f.length + 2, 0) + this.decoder.partial.have;
      this.decoder.reset();
    }
  }

  private lineGone(why: string) {
    if (this.closedReason) return;
    this.closedReason = `serial line ${this.o.path}: ${why} (cable pulled, robot powered off, or the far end stopped)`;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new ReaderError(this.closedReason, 'ELINE'));
    if (this.present) { this.present = false; for (const l of this.listeners) l(false); }
    this.powered = false;
  }

  /** Send one frame and wait for its one answer. Serialised: callers queue. */
  request(body: Uint8Array): Promise<Buffer> {
    const run = () => this.exchange(body);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async exchange(body: Uint8Array): Promise<Buffer> {
    if (this.closedReason) throw new ReaderError(this.closedReason, 'ELINE');
    const line = this.line!;
    this.decoder.reset();
    const frame = encodeFrame(body);
    const answer = new Promise<Buffer>((resolve, reject) => { this.waiting = { resolve, reject }; });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.waiting = undefined;
        const { have, want } = this.decoder.partial;
        this.decoder.reset();
        const what = body.length === 1 ? `control code ${body[0].toString(16).padStart(2, '0')}` : 'the APDU';
        reject(new ReaderError(have
          ? `serial line ${this.o.path}: the answer to ${what} stopped mid-frame (${have} of ${want ?? '?'} bytes, then ${this.o.interByteMs}+ ms of silence): the line dropped or the far end reset`
          : `serial line ${this.o.path}: no answer to ${what} within ${this.o.timeoutMs} ms at ${this.o.baudRate} baud: check the cable, the baud rate, and that the reader bridge is powered`, 'ETIMEDOUT'));
      }, this.o.timeoutMs);
    });
    try {
      await line.write(frame);
      const r = await Promise.race([answer, timeout]);
      // A pty delivers at once. Paced, the answer reaches the host as on a real line: after the
      // far end's own time (what the pty round trip took) plus both frames' time on the wire
      // (10 bits a byte). One wait after the answer, not one per frame: each wait wakes late.
      if (this.o.paceLine) lineTime(this.lineMs(frame.length + r.length + 2));
      return r;
    } finally {
      clearTimeout(timer);
      this.waiting = undefined;
    }
  }

  private setPresent(present: boolean) {
    if (present === this.present) return;
    this.present = present;
    if (!present) this.powered = false;
    for (const l of this.listeners) l(present);
  }

  private async control(code: number): Promise<number> {
    const r = await this.request(Uint8Array.of(code));
    if (r.length !== 1) throw new ReaderError(`serial line ${this.o.path}: control code ${code.toString(16).padStart(2, '0')} answered with ${r.length} bytes, not a status byte: is the far end speaking this protocol (rigs/README.md)?`, 'EPROTO');
    if (r[0] === SerialStatus.unknownCode) throw new ReaderError(`serial line ${this.o.path}: the far end does not know control code ${code.toString(16).padStart(2, '0')}`, 'EPROTO');
    this.setPresent(r[0] === SerialStatus.present);
    return r[0];
  }

  /** Ask the far end whether a card is in. */
  async refreshPresence(): Promise<boolean> {
    await this.control(SerialControl.presence);
    return this.present;
  }

  /**
   * The robot's card slots: the count it answers to 13; 1 for a far end that does not know
   * the code (a reader bridge, or a robot with one card).
   */
  async slotCount(): Promise<number> {
    const r = await this.request(Uint8Array.of(SerialControl.slots));
    if (r.length !== 1) throw new ReaderError(`serial line ${this.o.path}: control code 13 answered with ${r.length} bytes, not a slot count: is the far end speaking this protocol (rigs/README.md)?`, 'EPROTO');
    return r[0] === SerialStatus.unknownCode ? 1 : r[0]!;
  }

  /**
   * Have the robot swap in the card of `slot` (the card in the reader goes back to its own
   * slot). Resolves to the new card's ATR; the card is in and unpowered.
   */
  async selectSlot(slot: number): Promise<Uint8Array> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new ReaderError(`serial line ${this.o.path}: slot ${slot} does not exist (a robot has slots 0–${MAX_SLOTS - 1})`);
    await this.powerOff();
    const r = await this.request(Uint8Array.of(SerialControl.slot + slot));
    if (r.length === 1 && r[0] === SerialStatus.unknownCode) {
      throw new ReaderError(`serial line ${this.o.path}: the far end does not swap cards (control code ${(SerialControl.slot + slot).toString(16)} unknown): a rig file with \`cards:\` needs a card robot (rigs/README.md)`, 'EPROTO');
    }
    if (r.length === 0) {
      this.setPresent(false);
      throw new CardAbsentError(this.name, `slot ${slot} of the card robot on ${this.o.path} is empty (or the robot has no such slot): load the test card and retry`);
    }
    if (r.length < 2) throw new ReaderError(`serial line ${this.o.path}: slot ${slot} answered with ${r.length} byte(s), not an ATR`, 'EPROTO');
    this.setPresent(true);
    return new Uint8Array(r);
  }

  /** Tell the robot to insert the card. Resolves to whether a card is now in. */
  async insert(): Promise<boolean> { return (await this.control(SerialControl.insert)) === SerialStatus.present; }
  /** Tell the robot to eject the card. */
  async eject(): Promise<void> { await this.control(SerialControl.eject); }

  isCardPresent(): boolean { return this.present; }

  async powerOn(): Promise<Uint8Array> {
    if ((await this.control(SerialControl.powerOn)) !== SerialStatus.present) throw new CardAbsentError(this.name);
    const atr = await this.request(Uint8Array.of(SerialControl.getAtr));
    if (atr.length === 0) { this.setPresent(false); throw new CardAbsentError(this.name); }
    this.powered = true;
    return new Uint8Array(atr);
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (apdu.length < 4) throw new ReaderError(`reader "${this.name}": an APDU has at least 4 bytes (got ${apdu.length})`);
    if (!this.powered) throw new ReaderError(`reader "${this.name}": the card is not powered; call powerOn() first`);
    const r = await this.request(apdu);
    if (r.length === 0) {
      this.setPresent(false);
      throw new ReaderError(`reader "${this.name}": the card was removed during the operation: put it back and rerun the scenario`, 'EREMOVED');
    }
    if (r.length < 2) throw new ReaderError(`reader "${this.name}": a ${r.length}-byte answer to an APDU (noise on the line?)`, 'EPROTO');
    return new Uint8Array(r);
  }

  async powerOff(): Promise<void> {
    if (!this.powered) return;
    this.powered = false;
    if (this.closedReason) return;
    await this.control(SerialControl.powerOff).catch(() => undefined);
  }

  onPresence(listener: (present: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async close(): Promise<void> {
    await this.powerOff().catch(() => undefined);
    this.listeners.clear();
    this.closedReason ??= `serial line ${this.o.path}: closed by the harness`;
    await this.line?.close();
  }
}

export interface SerialCardServerOptions {
  /** The line: a device path, or `{ master }` of a pty made by openPty (the server then owns it). */
  path: string | { master: number };
  baudRate?: number;
  /** The card; absent means an empty robot until setCard. */
  card?: VirtualCard;
  /** A card robot: its slots' cards (slot 0 first, in the reader at the start); `card` is ignored. */
  slots?: readonly VirtualCard[];
  /** Start with the card inserted (default true). */
  inserted?: boolean;
  onExchange?: (command: Buffer, answer: Buffer) => void;
  /** Hold each answer for the time its bytes take on a real line at this baud rate (bench). */
  paceLine?: boolean;
}

/** The card side of the serial line: answers every frame (see rigs/README.md). */
export class SerialCardServer {
  private line: SerialLine | undefined;
  private decoder = new ResyncDecoder(MAX_BODY, 200);
  private card: VirtualCard | undefined;
  private inserted: boolean;
  /** The robot's slots (one, the card, when not a robot) and which one's card is at the reader. */
  private readonly slots: Array<VirtualCard | undefined>;
  private slot = 0;
  /** Frames answered; tests cut the line after a number of them. */
  frames = 0;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(private readonly o: SerialCardServerOptions) {
    this.slots = o.slots ? [...o.slots] : [o.card];
    this.card = this.slots[0];
    this.inserted = (o.inserted ?? true) && !!this.card;
    this.closed = new Promise((r) => { this.resolveClosed = r; });
  }

  static async open(o: SerialCardServerOptions): Promise<SerialCardServer> {
    const s = new SerialCardServer(o);
    const onData = (chunk: Buffer) => { for (const f of s.decoder.push(chunk)) s.answer(f); };
    s.line = typeof o.path === 'string' ? SerialLine.open(o.path, o.baudRate ?? 115200, onData, () => s.resolveClosed())
      : SerialLine.adopt('pty master', o.path.master, onData, () => s.resolveClosed());
    return s;
  }

  get droppedBytes(): number { return this.decoder.dropped; }
  get isInserted(): boolean { return this.inserted; }
  /** The slot whose card is at the reader (0 when not a robot). */
  get currentSlot(): number { return this.slot; }

  /** Load a card into the robot (not yet inserted when `insert` is false). */
  setCard(card: VirtualCard | undefined, insert = false): void {
    if (this.inserted) this.card?.powerOff();
    this.card = card;
    this.slots[this.slot] = card;
    this.inserted = insert && !!card;
  }

  private answer(body: Buffer) {
    const card = this.inserted ? this.card : undefined;
    let out: Uint8Array;
    if (body.length === 1) {
      const status = () => Uint8Array.of(card ? SerialStatus.present : SerialStatus.absent);
      switch (body[0]) {
        case SerialControl.powerOff: card?.powerOff(); out = status(); break;
        case SerialControl.powerOn: case SerialControl.reset: card?.powerOn(); out = status(); break;
        case SerialControl.getAtr: out = card ? card.atr : new Uint8Array(0); break;
        case SerialControl.insert: this.inserted = !!this.card; out = Uint8Array.of(this.inserted ? SerialStatus.present : SerialStatus.absent); break;
        case SerialControl.eject: card?.powerOff(); this.inserted = false; out = Uint8Array.of(SerialStatus.absent); break;
        case SerialControl.presence: out = status(); break;
        case SerialControl.slots: out = Uint8Array.of(this.slots.length); break;
        default:
          if (body[0]! >= SerialControl.slot && body[0]! < SerialControl.slot + this.slots.length) {
            // The card at the reader goes back to its slot; slot k's card goes in, unpowered.
            card?.powerOff();
            this.slot = body[0]! - SerialControl.slot;
            this.card = this.slots[this.slot];
            this.inserted = !!this.card;
            out = this.card ? this.card.atr : new Uint8Array(0);
          } else if (body[0]! >= SerialControl.slot && body[0]! < SerialControl.slot + MAX_SLOTS) {
            out = new Uint8Array(0); // no such slot: nothing to put in
          } else {
            out = Uint8Array.of(SerialStatus.unknownCode);
          }
      }
    } else {
      out = card ? card.transmit(body) : new Uint8Array(0);
    }
    this.frames++;
    this.o.onExchange?.(body, Buffer.from(out));
    const frame = encodeFrame(out);
    if (this.o.paceLine) setTimeout(() => this.write(frame), ((frame.length) * 10 * 1000) / (this.o.baudRate ?? 115200));
    else this.write(frame);
  }

  private write(frame: Buffer) {
    if (this.line?.isOpen) this.line.write(frame).catch(() => undefined); // a line gone is reported by the line itself
  }

  /** Stop answering and close the line: on a pty, the host's side hangs up at once (a cable pulled). */
  async close(): Promise<void> {
    await this.line?.close();
    this.resolveClosed();
  }
}

/** A pseudo-terminal whose far end this process serves: the host opens `path`; the card side owns `master`. */
export interface Pty { path: string; master: number }

// Node has no ioctl: libc's unlockpt and ptsname run in a python3 child that inherits the master as fd 3.
const UNLOCK_PTY = 'import ctypes,sys\nc=ctypes.CDLL(None)\nc.ptsname.restype=ctypes.c_char_p\nif c.unlockpt(3): sys.exit("unlockpt failed")\nprint(c.ptsname(3).decode())';

/**
 * A pty for a far end in this process (the serial rig without serial.path, the bench): the host
 * opens /dev/pts/N as it would a USB adapter, the card side reads and writes the master. No relay
 * between them: through a socat pair (makePtyPair) each byte crosses two ptys and socat's process,
 * which cost half the round trip (rigs/README.md, "At the line's speed").
 */
export function openPty(): Pty {
  const master = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  const r = spawnSync('python3', ['-c', UNLOCK_PTY], { stdio: ['ignore', 'pipe', 'pipe', master], encoding: 'utf8' });
  const slave = r.status === 0 ? r.stdout.trim() : '';
  if (!slave.startsWith('/dev/')) {
    fs.closeSync(master);
    throw new ReaderError(r.error ? `cannot make a pseudo-terminal: python3 is needed to unlock it (${r.error.message}): install it with \`apt-get install python3\` (or \`npm run setup\`)`
      : `cannot make a pseudo-terminal: ${(r.stderr || r.stdout).trim() || `python3 exited with ${r.status}`}`, 'EPTY');
  }
  return { path: slave, master };
}

/** A socat pseudo-terminal pair: two linked paths; whatever one writes the other reads. */
export interface PtyPair { a: string; b: string; dir: string; process: ChildProcess; close(): Promise<void> }

export async function makePtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-serial-'));
  const a = path.join(dir, 'host');
  const b = path.join(dir, 'card');
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new ReaderError(`cannot start socat (${(err as Error).message}): install it with \`apt-get install socat\` (or \`npm run setup\`)`);
  }
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + timeoutMs;
  while (!(fs.existsSync(a) && fs.existsSync(b))) {
    const failed = await Promise.race([spawnError, sleep(10).then(() => undefined)]);
    if (failed) throw new ReaderError(`cannot start socat (${failed.message}): install it with \`apt-get install socat\` (or \`npm run setup\`)`);
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new ReaderError(`socat did not make a pty pair within ${timeoutMs} ms: ${err.trim() || 'no output'}`);
    }
  }
  return {
    a, b, dir, process: child,
    async close() {
      if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
