// EmulatedPsam: the terminal's secure access module (card-spec §7) as a second card. It holds
// the RKSSSE master key, so the terminal never does: given a card's identification code it
// derives that card's external-authentication key inside itself, then encrypts what the
// terminal hands it (the card's challenge). Its commands follow the PBOC PSAM style (our
// decision, documented in emulator/README.md):
//   SELECT 00 A4 04 00 09 "PSAM.SSSE"        the application (FCI 6F 0B 84 09 …)
//   READ BINARY 00 B0 96 00 06              SFI 16: the terminal number, 6 bytes BCD
//   DELIVERY KEY 80 1A 01 01 10 <card id>    card key = SM4(master, card id); 6A88 another key
//   CIPHER DATA 80 FA 00 00 Lc <blocks>      SM4-ECB under the delivered key; 69 85 without one

import type { Command } from './apdu';
import { ApduDispatcher } from './os';
import { diversifyKey, sm4Ecb } from './security';
import { SW, raise } from './sw';
import { digitsToBcd, equalBytes, fromHex, tlv } from './hex';
import { ServedCard } from './served-card';
import type { PsamProfile } from './types';
import { PSAM_DF_NAME, PSAM_TERMINAL_SFI } from '../spec';

/** DELIVERY KEY P1 (key usage: external authentication of the social security application) and P2 (key index). */
export const PSAM_KEY_USAGE = 0x01;
export const PSAM_KEY_INDEX = 0x01;

const EMPTY = new Uint8Array(0);
const MF_FCI = tlv(0x6f, tlv(0x83, Uint8Array.of(0x3f, 0x00)));
const APP_FCI = tlv(0x6f, tlv(0x84, PSAM_DF_NAME));

class PsamOS extends ApduDispatcher {
  private selected = false;
  private cardKey: Uint8Array | null = null;

  constructor(private readonly masterKey: Uint8Array, private readonly terminalNumber: Uint8Array) {
    super('T=0');
    this.handle(0xa4, 'SELECT', 0x00, 'response', (c) => this.select(c));
    this.handle(0xb0, 'READ BINARY', 0x00, 'prefix', (c) => this.readBinary(c));
    this.handle(0x1a, 'DELIVERY KEY', 0x80, 'none', (c) => this.deliveryKey(c));
    this.handle(0xfa, 'CIPHER DATA', 0x80, 'response', (c) => this.cipherData(c));
  }

  reset(): void {
    this.selected = false;
    this.cardKey = null;
    this.pending = null;
    this.lastFile = null;
  }

  private select(c: Command): Uint8Array {
    if (c.p2 !== 0x00 && c.p2 !== 0x0c) raise(SW.INCORRECT_P1P2);
    let app: boolean;
    if (c.p1 === 0x04 && c.data.length) {
      if (!equalBytes(c.data, PSAM_DF_NAME)) raise(SW.FILE_NOT_FOUND);
      app = true;
    } else if (c.p1 === 0x00 && (c.data.length === 0 || (c.data.length === 2 && c.data[0] === 0x3f && c.data[1] === 0x00))) {
      app = false;
    } else return raise(c.p1 === 0x00 || c.p1 === 0x04 ? SW.FILE_NOT_FOUND : SW.INCORRECT_P1P2);
    this.selected = app;
    this.cardKey = null; // a new selection forgets the delivered key
    this.lastFile = app ? 'PSAM.SSSE' : 'MF';
    if (c.p2 === 0x0c) return EMPTY;
    return app ? APP_FCI : MF_FCI;
  }

  private readBinary(c: Command): Uint8Array {
    if (c.data.length) raise(SW.WRONG_LENGTH);
    if (c.p1 !== (0x80 | PSAM_TERMINAL_SFI)) raise(c.p1 & 0x80 ? SW.FILE_NOT_FOUND : SW.NO_CURRENT_EF);
    this.lastFile = 'EF0016 终端机编号 / terminal number';
    if (c.p2 >= this.terminalNumber.length) raise(SW.WRONG_P1P2);
    return this.terminalNumber.subarray(c.p2);
  }

  private deliveryKey(c: Command): Uint8Array {
    if (!this.selected) raise(SW.CONDITIONS_NOT_SATISFIED);
    if (c.p1 !== PSAM_KEY_USAGE || c.p2 !== PSAM_KEY_INDEX) raise(SW.REFERENCED_DATA_NOT_FOUND);
    if (c.data.length !== 16 || c.case !== 3) raise(SW.WRONG_LENGTH);
    this.cardKey = diversifyKey(this.masterKey, c.data);
    return EMPTY;
  }

  private cipherData(c: Command): Uint8Array {
    if (c.p1 !== 0x00 || c.p2 !== 0x00) raise(SW.INCORRECT_P1P2);
    const n = c.data.length;
    if (n === 0 || n % 16 !== 0) raise(SW.WRONG_LENGTH);
    if (!this.selected || !this.cardKey) raise(SW.CONDITIONS_NOT_SATISFIED);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 16) out.set(sm4Ecb(this.cardKey, c.data.subarray(i, i + 16)), i);
    return out;
  }
}

export interface EmulatedPsamOptions {
  /** How many exchanges the trace keeps (ring buffer). Default 1000; 0 keeps none. */
  traceLimit?: number;
}

/** A PSAM a rig can serve like a card (powerOn / transmit / powerOff), with its own trace. */
export class EmulatedPsam extends ServedCard {
  readonly profile: PsamProfile;
  private readonly os: PsamOS;

  constructor(profile: PsamProfile, options: EmulatedPsamOptions = {}) {
    super(fromHex(profile.atr), options.traceLimit);
    this.profile = profile;
    this.os = new PsamOS(fromHex(profile.masterKey), digitsToBcd(profile.terminalNumber, 6));
  }

  protected process(apdu: Uint8Array): Uint8Array { return this.os.process(apdu); }
  protected reset(): void { this.os.reset(); }
  protected lastFile(): string | null { return this.os.lastFile; }
}
