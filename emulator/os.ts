// The card OS: a dispatch table INS → handler `(cmd) → response data`, CLA checks, and the
// one place that formats responses (61xx / 6Cxx / GET RESPONSE). Handlers and the layers
// below raise status words (CardStatus); only `process` catches them. It never throws.

import { parseApdu, type Command } from './apdu';
import { CardStatus, SW, bytesAvailable, raise, wrongLe } from './sw';
import type { FileSystem, DedicatedFile, ElementaryFile, AnyFile } from './filesystem';
import { internalAuthCryptogram, type AuthAlgorithm, type ExternalAuthKey, type PinState } from './security';
import { bcdToDigits, concat, equalBytes, tlv } from './hex';
import type { Protocol } from './atr';

/**
 * How the dispatcher turns a handler's data into a response:
 * - 'none': no response data (9000);
 * - 'exact': outgoing data whose length the terminal must know: Le ≠ length → 6Cxx
 *   (an absent Le counts as 256, what P3 = 00 means under T=0);
 * - 'prefix': transparent data, Le ≤ length returns the first Le bytes;
 * - 'response': data produced by an incoming command (FCI, cryptogram): under T=0 announced
 *   with 61xx and fetched with GET RESPONSE.
 */
export type ReplyMode = 'none' | 'exact' | 'prefix' | 'response';

export interface Handler {
  name: string;
  cla: 0x00 | 0x80;
  mode: ReplyMode;
  run: (cmd: Command) => Uint8Array;
}

export interface CardOsConfig {
  fs: FileSystem;
  ssse: DedicatedFile;
  pin: PinState;
  protocol: Protocol;
  auth: { algorithm: AuthAlgorithm; key: Uint8Array };
  /** Third-generation card: EXTERNAL AUTHENTICATE with this (diversified) key; null: INS 82 unknown. */
  externalAuth: ExternalAuthKey | null;
  random: (n: number) => Uint8Array;
}

const EMPTY = new Uint8Array(0);
const SW_CACHE = new Map<number, Uint8Array>();
/** A response that is only a status word (cached: callers get their own copy via slice). */
function swOnly(sw: number): Uint8Array {
  let r = SW_CACHE.get(sw);
  if (!r) { r = Uint8Array.from([sw >> 8, sw & 0xff]); SW_CACHE.set(sw, r); }
  return r.slice();
}
function withSw(data: Uint8Array, sw: number, n = data.length): Uint8Array {
  const out = new Uint8Array(n + 2);
  out.set(n === data.length ? data : data.subarray(0, n));
  out[n] = sw >> 8;
  out[n + 1] = sw & 0xff;
  return out;
}

/**
 * The APDU dispatcher every emulated card shares (the social security card, the PSAM): the
 * INS table, the CLA check, and the one place that formats responses (61xx / 6Cxx / GET
 * RESPONSE). Subclasses register handlers with `handle`.
 */
export class ApduDispatcher {
  readonly protocol: Protocol;
  /** Response data waiting for GET RESPONSE (T=0). */
  pending: Uint8Array | null = null;
  /** The EF or DF the last command touched, for the trace. */
  lastFile: string | null = null;
  private readonly table: Array<Handler | undefined> = new Array(256);

  constructor(protocol: Protocol) {
    this.protocol = protocol;
    this.handle(0xc0, 'GET RESPONSE', 0x00, 'none', () => EMPTY); // handled in process()
  }

  protected handle(ins: number, name: string, cla: 0x00 | 0x80, mode: ReplyMode, run: (c: Command) => Uint8Array): void {
    this.table[ins] = { name, cla, mode, run };
  }

  /** One APDU in, one response out. Never throws. */
  process(apdu: Uint8Array): Uint8Array {
    const pending = this.pending;
    this.pending = null; // any command but GET RESPONSE discards pending data
    this.lastFile = null;
    const cmd = parseApdu(apdu);
    if (!cmd) return swOnly(SW.WRONG_LENGTH);
    try {
      checkCla(cmd.cla);
      const entry = this.table[cmd.ins];
      if (!entry) return raise(SW.INS_NOT_SUPPORTED);
      if (entry.cla !== cmd.cla) return raise(SW.CLA_NOT_SUPPORTED);
      if (cmd.ins === 0xc0) return this.getResponse(cmd, pending);
      return this.reply(cmd, entry.mode, entry.run(cmd));
    } catch (e) {
      if (e instanceof CardStatus) return swOnly(e.sw);
      return swOnly(SW.NO_PRECISE_DIAGNOSIS); // a bug in a handler: the card still answers
    }
  }

  /** The one formatter: data + 9000, 6Cxx, or 61xx with the data kept for GET RESPONSE. */
  private reply(cmd: Command, mode: ReplyMode, data: Uint8Array): Uint8Array {
    const len = data.length;
    if (mode === 'none' || len === 0) return swOnly(SW.OK);
    const ne = cmd.le === 0 ? 256 : cmd.le;
    const t0 = this.protocol === 'T=0';
    switch (mode) {
      case 'exact':
        if (ne === len || (!t0 && (cmd.le === 0 || ne >= len))) return withSw(data, SW.OK);
        return swOnly(wrongLe(len));
      case 'prefix':
        if (ne <= len) return withSw(data, SW.OK, ne);
        if (t0) return swOnly(wrongLe(len));
        return withSw(data, cmd.le === 256 || cmd.le === 0 ? SW.OK : SW.WARN_END_OF_FILE);
      case 'response':
        if (cmd.case === 2) return this.reply(cmd, 'exact', data); // T=0 case 2 can carry data
        if (t0) {
          this.pending = data;
          return swOnly(bytesAvailable(len));
        }
        if (cmd.case === 3) return swOnly(SW.OK); // T=1 with no Le: no data expected (ISO)
        return this.reply(cmd, 'exact', data);
    }
  }

  /** GET RESPONSE `00 C0 00 00 xx`: hand out pending data; a failed GET RESPONSE keeps it. */
  private getResponse(cmd: Command, pending: Uint8Array | null): Uint8Array {
    this.pending = pending;
    if (cmd.p1 !== 0 || cmd.p2 !== 0) raise(SW.INCORRECT_P1P2);
    if (cmd.data.length) raise(SW.WRONG_LENGTH);
    if (!pending) raise(SW.CONDITIONS_NOT_SATISFIED);
    const ne = cmd.le === 0 ? 256 : cmd.le;
    const rem = pending.length;
    if (ne > rem) return swOnly(wrongLe(rem));
    if (ne === rem) { this.pending = null; return withSw(pending, SW.OK); }
    this.pending = pending.subarray(ne);
    return withSw(pending, bytesAvailable(rem - ne), ne);
  }

  /** The command name for an INS this card knows (for the trace). */
  handlerName(ins: number): string | undefined {
    return this.table[ins]?.name;
  }
}

export class CardOS extends ApduDispatcher {
  readonly fs: FileSystem;
  readonly pin: PinState;
  readonly ssse: DedicatedFile;
  private readonly auth: CardOsConfig['auth'];
  readonly externalAuth: ExternalAuthKey | null;
  private readonly random: (n: number) => Uint8Array;
  lastChallenge: Uint8Array | null = null;

  constructor(cfg: CardOsConfig) {
    super(cfg.protocol);
    this.fs = cfg.fs;
    this.pin = cfg.pin;
    this.ssse = cfg.ssse;
    this.auth = cfg.auth;
    this.externalAuth = cfg.externalAuth;
    this.random = cfg.random;
    const h = this.handle.bind(this);
    h(0xa4, 'SELECT', 0x00, 'response', (c) => this.select(c));
    h(0xb2, 'READ RECORD', 0x00, 'exact', (c) => this.readRecord(c));
    h(0xb0, 'READ BINARY', 0x00, 'prefix', (c) => this.readBinary(c));
    h(0x20, 'VERIFY', 0x00, 'none', (c) => this.verify(c));
    h(0x5e, 'CHANGE PIN', 0x80, 'none', (c) => (c.p1 === 0x00 ? this.reloadPin(c) : this.changePin(c)));
    h(0x84, 'GET CHALLENGE', 0x00, 'exact', (c) => this.getChallenge(c));
    h(0x88, 'INTERNAL AUTHENTICATE', 0x00, 'response', (c) => this.internalAuthenticate(c));
    if (cfg.externalAuth) h(0x82, 'EXTERNAL AUTHENTICATE', 0x00, 'none', (c) => this.externalAuthenticate(c));
  }

  /** Power-on / reset: selection, PIN-verified state and pending data are cleared. */
  reset(): void {
    this.fs.reset();
    this.pin.verified = false;
    if (this.externalAuth) this.externalAuth.authenticated = false;
    this.pending = null;
    this.lastChallenge = null;
    this.lastFile = null;
  }

  // ---- SELECT -------------------------------------------------------------------------

  private select(c: Command): Uint8Array {
    const { p1, p2, data } = c;
    if (p2 !== 0x00 && p2 !== 0x04 && p2 !== 0x0c) raise(SW.INCORRECT_P1P2);
    const fs = this.fs;
    const fid = (): number => {
      if (data.length !== 2) raise(SW.WRONG_LENGTH);
      return (data[0] << 8) | data[1];
    };
    let target: AnyFile;
    switch (p1) {
      case 0x00: target = data.length === 0 ? fs.mf : fs.findAnyByFid(fid()); break;
      case 0x01: {
        const f = fs.childByFid(fs.currentDf, fid());
        target = f && f.kind === 'DF' ? f : raise(SW.FILE_NOT_FOUND);
        break;
      }
      case 0x02: {
        const f = fs.childByFid(fs.currentDf, fid());
        target = f && f.kind !== 'DF' ? f : raise(SW.FILE_NOT_FOUND);
        break;
      }
      case 0x03:
        if (data.length) raise(SW.WRONG_LENGTH);
        target = fs.currentDf.parent ?? raise(SW.FILE_NOT_FOUND);
        break;
      case 0x04:
        if (data.length > 16) raise(SW.WRONG_LENGTH);
        target = data.length === 0 ? fs.mf : fs.findDfByName(data);
        break;
      default:
        return raise(SW.INCORRECT_P1P2);
    }
    this.lastFile = target.label;
    if (target.kind === 'DF') {
      fs.selectDf(target);
      if (!target.active) raise(SW.WARN_FILE_DEACTIVATED);
    } else fs.selectEf(target);
    if (p2 === 0x0c) return EMPTY;
    if (p2 === 0x04) return fcp(target);
    return target.kind === 'DF' ? fci(target) : EMPTY;
  }

  // ---- READ RECORD / READ BINARY ----------------------------------------------------------

  private readable(ef: ElementaryFile): void {
    if (ef.read === 'pin' && !this.pin.verified) raise(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (ef.read === 'external-auth' && !this.externalAuth?.authenticated) raise(SW.SECURITY_STATUS_NOT_SATISFIED);
  }

  private readRecord(c: Command): Uint8Array {
    const { p1, p2 } = c;
    if (c.data.length) raise(SW.WRONG_LENGTH);
    const sfi = p2 >> 3;
    const how = p2 & 7;
    if (sfi === 31 || how === 7) raise(SW.INCORRECT_P1P2);
    const fs = this.fs;
    const ef = sfi === 0 ? (fs.currentEf ?? raise(SW.NO_CURRENT_EF)) : fs.efBySfi(sfi);
    this.lastFile = ef.label;
    if (ef.kind !== 'RECORD') raise(SW.INCOMPATIBLE_FILE_STRUCTURE);
    this.readable(ef);
    fs.selectEf(ef);
    const recs = ef.records;
    const cur = fs.currentRecord ? recs.indexOf(fs.currentRecord) : -1;
    const matches = (i: number): boolean => p1 === 0 || recs[i].id === p1;
    let idx = -1;
    switch (how) {
      case 4: // P1 = record number (00 = current record)
        if (p1 === 0xff) raise(SW.INCORRECT_P1P2);
        if (p1 === 0) idx = cur;
        else for (let i = 0; i < recs.length; i++) if (recs[i].id === p1) { idx = i; break; }
        break;
      case 0: for (let i = 0; i < recs.length; i++) if (matches(i)) { idx = i; break; } break; // first occurrence
      case 1: for (let i = recs.length - 1; i >= 0; i--) if (matches(i)) { idx = i; break; } break; // last
      case 2: for (let i = cur + 1; i < recs.length; i++) if (matches(i)) { idx = i; break; } break; // next
      case 3: for (let i = (cur < 0 ? recs.length : cur) - 1; i >= 0; i--) if (matches(i)) { idx = i; break; } break; // previous
      default: raise(SW.FUNCTION_NOT_SUPPORTED); // 5, 6: several records at once
    }
    if (idx < 0) raise(SW.RECORD_NOT_FOUND);
    fs.currentRecord = recs[idx];
    return recs[idx].bytes;
  }

  private readBinary(c: Command): Uint8Array {
    const { p1, p2 } = c;
    if (c.data.length) raise(SW.WRONG_LENGTH);
    let ef: ElementaryFile;
    let offset: number;
    if (p1 & 0x80) {
      if (p1 & 0x60) raise(SW.INCORRECT_P1P2);
      const sfi = p1 & 0x1f;
      if (sfi === 0 || sfi === 31) raise(SW.INCORRECT_P1P2);
      ef = this.fs.efBySfi(sfi);
      offset = p2;
    } else {
      ef = this.fs.currentEf ?? raise(SW.NO_CURRENT_EF);
      offset = (p1 << 8) | p2;
    }
    this.lastFile = ef.label;
    if (ef.kind !== 'BINARY') raise(SW.INCOMPATIBLE_FILE_STRUCTURE);
    this.readable(ef);
    this.fs.selectEf(ef);
    if (offset >= ef.data.length) raise(SW.WRONG_P1P2);
    return ef.data.subarray(offset);
  }

  // ---- PIN --------------------------------------------------------------------------------

  private requireActive(): void {
    if (!this.ssse.active) raise(SW.CONDITIONS_NOT_SATISFIED);
  }

  private verify(c: Command): Uint8Array {
    if (c.p1 !== 0) raise(SW.INCORRECT_P1P2);
    if (c.p2 !== 0) raise(SW.REFERENCED_DATA_NOT_FOUND);
    if (c.data.length === 0) {
      if (c.case === 2) raise(SW.WRONG_LENGTH);
      this.pin.status(); // ISO 7816-4: VERIFY without data asks for the state
      return EMPTY;
    }
    if (c.data.length !== 3) raise(SW.WRONG_LENGTH);
    const digits = bcdToDigits(c.data);
    if (digits === null || digits.length !== 6) raise(SW.INCORRECT_DATA);
    this.requireActive();
    this.pin.verify(digits);
    return EMPTY;
  }

  /** CHANGE PIN `80 5E 01 00 07 <old, 3 bytes BCD> FF <new, 3 bytes BCD>`. */
  private changePin(c: Command): Uint8Array {
    if (c.p1 !== 0x01 || c.p2 !== 0x00) raise(SW.INCORRECT_P1P2);
    const d = c.data;
    if (d.length !== 7) raise(SW.WRONG_LENGTH);
    if (d[3] !== 0xff) raise(SW.INCORRECT_DATA);
    const oldPin = bcdToDigits(d.subarray(0, 3));
    const newPin = bcdToDigits(d.subarray(4, 7));
    if (oldPin === null || newPin === null || oldPin.length !== 6 || newPin.length !== 6) raise(SW.INCORRECT_DATA);
    this.requireActive();
    this.pin.change(oldPin, newPin);
    return EMPTY;
  }

  // ---- challenge and authentication -------------------------------------------------------

  private getChallenge(c: Command): Uint8Array {
    if (c.p1 !== 0 || c.p2 !== 0) raise(SW.INCORRECT_P1P2);
    if (c.data.length || (c.le !== 4 && c.le !== 8)) raise(SW.WRONG_LENGTH);
    const r = this.random(c.le);
    this.lastChallenge = r;
    return r;
  }

  /**
   * INTERNAL AUTHENTICATE `00 88 00 <key#> 08 <challenge>`: key# 00 or 01 is the profile key.
   * With Lc 10 (SM4 only) the 16 bytes are the HSM form: factor ‖ random, as a card reader's
   * `iReadCardBas_HSM_Step1` sends it (card-spec §6), encrypted as one block.
   */
  private internalAuthenticate(c: Command): Uint8Array {
    if (c.p1 !== 0) raise(SW.INCORRECT_P1P2);
    if (c.p2 > 1) raise(SW.REFERENCED_DATA_NOT_FOUND);
    if (c.data.length !== 8 && !(c.data.length === 16 && this.auth.algorithm === 'SM4')) raise(SW.WRONG_LENGTH);
    this.requireActive();
    return internalAuthCryptogram(this.auth.algorithm, this.auth.key, c.data);
  }

  /**
   * EXTERNAL AUTHENTICATE `00 82 00 <key id> 08 <cryptogram>`: the terminal (its PSAM) proves
   * it holds the card's key by encrypting the last GET CHALLENGE. The HSM form, Lc 10, is the
   * challenge ‖ cryptogram (card-spec §6, Step2): a challenge other than the card's is 6A80.
   * The challenge is used once, right or wrong; no challenge: 69 85; wrong cryptogram: 63 Cx,
   * then 69 83 for good.
   */
  private externalAuthenticate(c: Command): Uint8Array {
    const key = this.externalAuth!;
    if (c.p1 !== 0) raise(SW.INCORRECT_P1P2);
    if (c.p2 !== EXTERNAL_AUTH_KEY_ID) raise(SW.REFERENCED_DATA_NOT_FOUND);
    if ((c.data.length !== 8 && c.data.length !== 16) || c.case !== 3) raise(SW.WRONG_LENGTH);
    const challenge = this.lastChallenge;
    this.lastChallenge = null;
    if (!challenge) raise(SW.CONDITIONS_NOT_SATISFIED);
    let cryptogram = c.data;
    if (c.data.length === 16) {
      if (challenge.length !== 8 || !equalBytes(c.data.subarray(0, 8), challenge)) raise(SW.INCORRECT_DATA);
      cryptogram = c.data.subarray(8);
    }
    key.check(challenge, cryptogram);
    return EMPTY;
  }

  /**
   * RELOAD PIN `80 5E 00 00 03 <new PIN, 3 bytes BCD>` (our decision, card-spec §7): the
   * issuer's PIN reset, allowed only after EXTERNAL AUTHENTICATE (the PSAM holds the issuer's
   * key), so a second-generation card always answers 69 82. The tries go back to the maximum.
   */
  private reloadPin(c: Command): Uint8Array {
    if (c.p2 !== 0x00) raise(SW.INCORRECT_P1P2);
    if (c.data.length !== 3) raise(SW.WRONG_LENGTH);
    const next = bcdToDigits(c.data);
    if (next === null || next.length !== 6) raise(SW.INCORRECT_DATA);
    if (!this.externalAuth?.authenticated) raise(SW.SECURITY_STATUS_NOT_SATISFIED);
    this.requireActive();
    this.pin.reload(next);
    return EMPTY;
  }
}

/** The key id of the external-authentication key (RKSSSE) in P2. Decision: 01; card-spec names none. */
export const EXTERNAL_AUTH_KEY_ID = 0x01;

/** CLA: 00 (interindustry) for ISO commands, 80 (proprietary) for CHANGE PIN. */
function checkCla(cla: number): void {
  if (cla === 0x00 || cla === 0x80) return;
  if (cla === 0xff || cla & 0x80) raise(SW.CLA_NOT_SUPPORTED);
  if ((cla & 0xe0) === 0x20) raise(SW.CLA_NOT_SUPPORTED); // 001x xxxx is RFU
  if (cla & 0x10) raise(SW.CHAINING_NOT_SUPPORTED);
  if (cla & 0x40) raise(SW.LOGICAL_CHANNEL_NOT_SUPPORTED); // further interindustry class: channels 4–19
  if (cla & 0x0c) raise(SW.SECURE_MESSAGING_NOT_SUPPORTED);
  raise(SW.LOGICAL_CHANNEL_NOT_SUPPORTED); // channels 1–3
}

const fidBytes = (fid: number): Uint8Array => Uint8Array.from([fid >> 8, fid & 0xff]);

const fciCache = new WeakMap<object, Uint8Array>();
/**
 * FCI of a DF: `6F L 84 L <DF name>` when named, else `6F 04 83 02 <FID>`; then
 * `A5 L <proprietary>` when the DF has one (the algorithm tag 9F0C, a PPSE directory).
 */
function fci(df: DedicatedFile): Uint8Array {
  let f = fciCache.get(df);
  if (!f) {
    const id = df.name ? tlv(0x84, df.name) : tlv(0x83, fidBytes(df.fid ?? 0x3f00));
    f = tlv(0x6f, df.proprietary ? concat(id, tlv(0xa5, df.proprietary)) : id);
    fciCache.set(df, f);
  }
  return f;
}

/** FCP (P2 = 04): `62 L 82 <descriptor> [80 size] [83 FID] [84 name] [88 SFI]`. */
function fcp(f: AnyFile): Uint8Array {
  const parts: Uint8Array[] = [];
  if (f.kind === 'DF') parts.push(tlv(0x82, Uint8Array.of(0x38)));
  else if (f.kind === 'RECORD') parts.push(tlv(0x82, Uint8Array.of(0x04)));
  else parts.push(tlv(0x80, Uint8Array.of(f.data.length >> 8, f.data.length & 0xff)), tlv(0x82, Uint8Array.of(0x01)));
  if (f.fid !== null) parts.push(tlv(0x83, fidBytes(f.fid)));
  if (f.kind === 'DF' && f.name) parts.push(tlv(0x84, f.name));
  if (f.kind !== 'DF' && f.sfi !== null) parts.push(tlv(0x88, Uint8Array.of(f.sfi << 3)));
  return tlv(0x62, concat(...parts));
}
