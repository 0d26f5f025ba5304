// EmulatedCard: power, ATR, the APDU trace and the harness controls around the card OS.

import type { CardProfile, TraceEntry } from './types';
import { buildFileSystem, dateBcd, type BuiltCard } from './build';
import { CardOS } from './os';
import { ExternalAuthKey, PinState, diversifyKey, pooledRandom } from './security';
import { SW } from './sw';
import { fromHex, toHex } from './hex';
import { decodeRaw, type RawExchange } from './trace';
import { isCalendarDate } from '../spec';

export interface EmulatedCardOptions {
  /** Source of GET CHALLENGE bytes (default: crypto.randomBytes, pooled). */
  random?: (n: number) => Uint8Array;
  /** How many exchanges the card's own trace keeps (ring buffer). Default 1000; 0 keeps none. */
  traceLimit?: number;
  /**
   * How the reader meets the card (default 'contact'). 'contactless' presents the
   * third-generation card's contactless ATR; a second-generation card has no such interface.
   */
  interface?: CardInterface;
}

export type CardInterface = 'contact' | 'contactless';

const NOT_POWERED = SW.NO_PRECISE_DIAGNOSIS;

export class EmulatedCard {
  readonly profile: CardProfile;
  private readonly built: BuiltCard;
  private readonly os: CardOS;
  private readonly atrBytes: Uint8Array;
  readonly cardInterface: CardInterface;
  private powered = false;
  private readonly traceLimit: number;
  private ring: RawExchange[] = [];
  private ringStart = 0;
  private readonly listeners = new Set<(e: TraceEntry) => void>();

  constructor(profile: CardProfile, options: EmulatedCardOptions = {}) {
    this.profile = profile;
    this.built = buildFileSystem(profile);
    this.cardInterface = options.interface ?? 'contact';
    if (this.cardInterface === 'contactless' && !profile.gen3) {
      throw new RangeError(`EmulatedCard: ${profile.id} is a second-generation card, contact only; contactless needs generation: 3`);
    }
    this.atrBytes = fromHex(this.cardInterface === 'contactless' ? profile.gen3!.contactlessAtr : profile.atr);
    this.traceLimit = Math.max(0, Math.floor(options.traceLimit ?? 1000));
    this.os = new CardOS({
      fs: this.built.fs,
      ssse: this.built.ssse,
      pin: new PinState(profile.pin.value, profile.pin.tries, profile.pin.tries, profile.pin.isInitial),
      protocol: profile.protocol ?? 'T=0',
      auth: { algorithm: profile.auth.algorithm, key: fromHex(profile.auth.key) },
      externalAuth: profile.generation === 3 && profile.gen3
        ? new ExternalAuthKey(diversifyKey(fromHex(profile.gen3.masterKey), fromHex(profile.card.identificationCode)), profile.gen3.externalAuthTries)
        : null,
      random: options.random ?? pooledRandom(),
    });
  }

  // ---- power --------------------------------------------------------------------------------

  /** Cold reset: returns the ATR; clears the selection, the PIN-verified state and pending GET RESPONSE data. */
  powerOn(): Uint8Array {
    this.powered = true;
    this.os.reset();
    return this.atr;
  }

  powerOff(): void {
    this.powered = false;
    this.os.reset();
  }

  get isPowered(): boolean { return this.powered; }

  get atr(): Uint8Array { return this.atrBytes.slice(); }

  /**
   * Send one command APDU; returns data + SW1 SW2. Never throws. An unpowered card answers
   * 6F00 (no precise diagnosis) — rigs power the card first.
   */
  transmit(apdu: Uint8Array): Uint8Array {
    let response: Uint8Array;
    try {
      response = this.powered ? this.os.process(apdu) : Uint8Array.of(NOT_POWERED >> 8, NOT_POWERED & 0xff);
    } catch {
      response = Uint8Array.of(0x6f, 0x00);
    }
    if (this.traceLimit > 0 || this.listeners.size > 0) this.record(apdu, response);
    return response;
  }

  // ---- trace --------------------------------------------------------------------------------

  private record(apdu: Uint8Array, response: Uint8Array): void {
    try {
      const raw: RawExchange = { t: Date.now(), command: new Uint8Array(apdu), response: new Uint8Array(response), file: this.powered ? this.os.lastFile : 'card not powered' };
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

  // ---- harness controls (state a real card cannot change on demand) ------------------------

  get pinTriesLeft(): number { return Math.max(0, this.os.pin.triesLeft); }
  get pinTriesMax(): number { return this.os.pin.maxTries; }
  get isPinLocked(): boolean { return this.os.pin.locked; }
  get isPinVerified(): boolean { return this.os.pin.verified; }
  /** Is the PIN still the issuing default (never changed with CHANGE PIN)? */
  get isPinInitial(): boolean { return this.os.pin.initial; }
  /** Third-generation card: did EXTERNAL AUTHENTICATE succeed since the last reset? */
  get isExternallyAuthenticated(): boolean { return this.os.externalAuth?.authenticated ?? false; }
  /** Third-generation card: EXTERNAL AUTHENTICATE attempts left (null on a second-generation card). */
  get externalAuthTriesLeft(): number | null { return this.os.externalAuth ? Math.max(0, this.os.externalAuth.triesLeft) : null; }
  get isActivated(): boolean { return this.built.ssse.active; }
  get expiryDate(): string {
    const r = this.built.ef05.byNumber(0x06)!.bytes;
    const d = toHex(r.subarray(2));
    return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  }

  /** Set the retry counter (0 … profile.pin.tries); 0 locks the PIN. Clears the verified state. */
  setPinTriesLeft(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.os.pin.maxTries) throw new RangeError(`setPinTriesLeft: expected 0–${this.os.pin.maxTries}, got ${n}`);
    this.os.pin.triesLeft = n;
    this.os.pin.verified = false;
  }

  /** Lock the PIN (retry counter 0): VERIFY answers 6983 even with the right PIN. */
  lockPin(): void { this.setPinTriesLeft(0); }

  /** Unlock: retry counter back to its maximum. */
  unlockPin(): void { this.setPinTriesLeft(this.os.pin.maxTries); }

  /** Replace the PIN (e.g. back to the issuing default with isInitial = true). */
  setPin(value: string, isInitial = false): void {
    if (!/^\d{6}$/.test(value)) throw new RangeError(`setPin: expected 6 digits, got "${value}"`);
    const pin = this.os.pin;
    pin.value = value;
    pin.initial = isInitial;
    pin.triesLeft = pin.maxTries;
    pin.verified = false;
  }

  /** Activate or deactivate the SSSE application: when off, SELECT SSSE answers 6283. */
  setActivated(on: boolean): void { this.built.ssse.active = on; }

  /** Rewrite EF05 record 06 (卡有效期), e.g. to expire the card for a scenario. */
  setExpiryDate(yyyyMmDd: string): void {
    if (!isCalendarDate(yyyyMmDd)) throw new RangeError(`setExpiryDate: expected YYYY-MM-DD, got "${yyyyMmDd}"`);
    this.built.ef05.setRecord(0x06, dateBcd(yyyyMmDd));
  }

  /**
   * Deterministic, JSON-serialisable state: every file's contents, the PIN and the
   * activation flag. Selection, the verified flag, challenges and the trace are left out.
   */
  snapshot(): CardSnapshot {
    const files: CardSnapshot['files'] = {};
    for (const { path, ef } of this.built.fs.allEfs()) {
      files[path] = ef.kind === 'RECORD'
        ? { records: Object.fromEntries(ef.records.map((r) => [toHex(Uint8Array.of(r.id)), toHex(r.bytes)])) }
        : { data: toHex(ef.data) };
    }
    const pin = this.os.pin;
    return {
      id: this.profile.id,
      atr: toHex(this.atrBytes),
      activated: this.built.ssse.active,
      pin: { value: pin.value, maxTries: pin.maxTries, triesLeft: pin.triesLeft, initial: pin.initial },
      files,
    };
  }
}

export interface CardSnapshot {
  id: string;
  atr: string;
  activated: boolean;
  pin: { value: string; maxTries: number; triesLeft: number; initial: boolean };
  files: Record<string, { records: Record<string, string> } | { data: string }>;
}
