// EmulatedCard: the social security card OS served as a card (power and trace: served-card.ts) and the harness controls around it.

import type { CardProfile } from './types';
import { buildFileSystem, dateBcd, type BuiltCard } from './build';
import { CardOS } from './os';
import { ExternalAuthKey, PinState, diversifyKey, pooledRandom } from './security';
import { fromHex, toHex } from './hex';
import { ServedCard } from './served-card';
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

export class EmulatedCard extends ServedCard {
  readonly profile: CardProfile;
  private readonly built: BuiltCard;
  private readonly os: CardOS;
  readonly cardInterface: CardInterface;

  constructor(profile: CardProfile, options: EmulatedCardOptions = {}) {
    const cardInterface = options.interface ?? 'contact';
    if (cardInterface === 'contactless' && !profile.gen3) {
      throw new RangeError(`EmulatedCard: ${profile.id} is a second-generation card, contact only; contactless needs generation: 3`);
    }
    super(fromHex(cardInterface === 'contactless' ? profile.gen3!.contactlessAtr : profile.atr), options.traceLimit);
    this.profile = profile;
    this.cardInterface = cardInterface;
    this.built = buildFileSystem(profile);
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

  protected process(apdu: Uint8Array): Uint8Array { return this.os.process(apdu); }
  protected reset(): void { this.os.reset(); }
  protected lastFile(): string | null { return this.os.lastFile; }

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
      atr: toHex(this.atr),
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
