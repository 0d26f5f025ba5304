// The card side of the reference terminal: power, SELECT SSSE, read EF05/EF06, verify the
// PIN, check expiry and holder (card-spec.md §1–§4). It knows only the CardChannel seam.
import { CardAbsentError, type CardChannel } from '../rigs';
import { CARD_RECORDS, SSSE_AID, type RecordEncoding } from '../spec';
import { TerminalRefusal } from './refusal';
import type { CardData, CryptogramSource } from './types';

/** EF06 record 4E, 姓名扩展 (card-spec §7). */
const NAME_EXTENSION_TAG = 0x4e;
const isThirdGeneration = (version: string | undefined) => version?.startsWith('3') ?? false;

const ascii = (b: Buffer) => b.toString('latin1').replace(/[\x00\xff ]+$/g, '').trim();
const bcdDate = (b: Buffer) => { const h = b.toString('hex'); return `${h.slice(0, 4)}-${h.slice(4, 6)}-${h.slice(6, 8)}`; };
const gbkDecoder = new TextDecoder('gbk');
const gbk = (b: Buffer) => { let end = b.length; while (end > 0 && (b[end - 1] === 0 || b[end - 1] === 0x20 || b[end - 1] === 0xff)) end--; return gbkDecoder.decode(b.subarray(0, end)); };

/** How the terminal decodes each record encoding of the card layout (spec/card-layout.ts). */
const DECODE: Record<RecordEncoding, (b: Buffer) => string> = {
  hex: (b) => b.toString('hex').toUpperCase(),
  ascii,
  gbk,
  'bcd-date': bcdDate,
  'bcd-digits': (b) => b.toString('hex').toUpperCase().replace(/F+$/, ''),
};

export interface Response { data: Buffer; sw: number }
export const swHex = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** PC/SC's "the card was removed" (ReaderError.code), as rigs/pcsc.ts reports it. */
const SCARD_W_REMOVED_CARD = '0x80100069';

/** A card session: one power-on, T=0 exchanges with 61xx/6Cxx handled here. */
export class CardSession {
  private atrHex = '';
  constructor(readonly channel: CardChannel, private readonly opts: { timeoutMs?: number } = {}) {}

  get atr(): string { return this.atrHex; }

  async powerOn(): Promise<string> {
    let atr: Uint8Array;
    try {
      atr = await this.withTimeout(this.channel.powerOn());
    } catch (err) {
      if (err instanceof CardAbsentError || (err as Error).name === 'CardAbsentError') throw new TerminalRefusal('no-card', this.channel.name);
      if (err instanceof TerminalRefusal) throw err;
      throw new TerminalRefusal('card-silent', (err as Error).message);
    }
    if (!atr || atr.length < 2) throw new TerminalRefusal('card-silent', 'empty ATR');
    this.atrHex = Buffer.from(atr).toString('hex').toUpperCase();
    return this.atrHex;
  }

  async powerOff(): Promise<void> { await this.channel.powerOff(); }

  /** Send one APDU; resend on 6Cxx with the right Le; collect 61xx with GET RESPONSE. */
  async exchange(apdu: Uint8Array): Promise<Response> {
    let r = await this.raw(apdu);
    if ((r.sw >> 8) === 0x6c) {
      const again = Buffer.from(apdu);
      again[again.length - 1] = r.sw & 0xff;
      r = await this.raw(again);
    }
    const chunks: Buffer[] = [r.data];
    let guard = 0;
    while ((r.sw >> 8) === 0x61 && guard++ < 64) {
      r = await this.raw(Uint8Array.from([0x00, 0xc0, 0x00, 0x00, r.sw & 0xff]));
      chunks.push(r.data);
    }
    return { data: Buffer.concat(chunks), sw: r.sw };
  }

  private async raw(apdu: Uint8Array): Promise<Response> {
    let res: Uint8Array;
    try {
      res = await this.withTimeout(this.channel.transmit(apdu));
    } catch (err) {
      if (err instanceof CardAbsentError || (err as Error).name === 'CardAbsentError') throw new TerminalRefusal('no-card', this.channel.name);
      if ((err as { code?: unknown }).code === SCARD_W_REMOVED_CARD) throw new TerminalRefusal('card-removed', this.channel.name);
      throw new TerminalRefusal('card-silent', (err as Error).message);
    }
    if (!res || res.length < 2) throw new TerminalRefusal('card-silent', 'response shorter than a status word');
    const b = Buffer.from(res);
    return { data: b.subarray(0, b.length - 2), sw: b.readUInt16BE(b.length - 2) };
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout;
    return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })])
      .finally(() => clearTimeout(timer));
  }

  async selectSsse(): Promise<void> {
    const r = await this.exchange(Uint8Array.from([0x00, 0xa4, 0x04, 0x00, SSSE_AID.length, ...SSSE_AID]));
    if (r.sw === 0x9000) return;
    if (r.sw === 0x6283 || r.sw === 0x6985) throw new TerminalRefusal('card-not-activated', `SELECT SSSE ${swHex(r.sw)}`);
    if (r.sw === 0x6a82) throw new TerminalRefusal('wrong-card-type', 'no social security application (SELECT SSSE 6A82)');
    throw new TerminalRefusal('card-read-failed', `SELECT SSSE ${swHex(r.sw)}`);
  }

  async selectEf(fid: 'EF05' | 'EF06'): Promise<void> {
    const r = await this.exchange(Uint8Array.from([0x00, 0xa4, 0x02, 0x00, 0x02, 0xef, fid === 'EF05' ? 0x05 : 0x06]));
    if (r.sw !== 0x9000) throw new TerminalRefusal('card-read-failed', `SELECT ${fid} ${swHex(r.sw)}`);
  }

  /** READ RECORD by identifier on the selected EF (P2 = 00); returns the value of the TLV. */
  async readRecord(tag: number, len: number): Promise<Buffer> {
    const r = await this.exchange(Uint8Array.from([0x00, 0xb2, tag, 0x00, len + 2]));
    if (r.sw === 0x6982) throw new TerminalRefusal('card-read-failed', `record ${tag.toString(16)} needs the PIN (6982)`);
    if (r.sw !== 0x9000) throw new TerminalRefusal('card-read-failed', `READ RECORD ${tag.toString(16).padStart(2, '0')} ${swHex(r.sw)}`);
    if (r.data.length < 2 || r.data[0] !== tag) throw new TerminalRefusal('card-read-failed', `record ${tag.toString(16).padStart(2, '0')} is not a TLV with tag ${tag.toString(16)}`);
    const l = r.data[1]!;
    return r.data.subarray(2, 2 + l);
  }

  /**
   * Power, select SSSE, read EF05 and EF06. A third-generation card (version 3.x, card-spec §7)
   * opens EF06 only after EXTERNAL AUTHENTICATE with a cryptogram from the terminal's PSAM;
   * its name is record 09 followed by the name extension 4E.
   */
  async read(psam?: CryptogramSource): Promise<CardData> {
    const atr = await this.powerOn();
    await this.selectSsse();
    const out: Partial<CardData> = { atr };
    let current: string | undefined;
    for (const r of CARD_RECORDS) {
      if (current !== r.file) {
        await this.selectEf(r.file);
        current = r.file;
        if (r.file === 'EF06' && isThirdGeneration(out.specVersion)) await this.externalAuthenticate(out.identificationCode!, psam);
      }
      out[r.key] = DECODE[r.encoding](await this.readRecord(r.tag, r.length));
    }
    if (isThirdGeneration(out.specVersion)) out.name += await this.nameExtension();
    out.region = (out.issuerCode ?? '').slice(0, 6);
    return out as CardData;
  }

  /** GET CHALLENGE, the PSAM's cryptogram, EXTERNAL AUTHENTICATE (key 01). */
  private async externalAuthenticate(cardIdCode: string, psam: CryptogramSource | undefined): Promise<void> {
    if (!psam) throw new TerminalRefusal('no-psam', `卡片版本 3.x / card version 3.x`);
    const ch = await this.exchange(Uint8Array.from([0x00, 0x84, 0x00, 0x00, 0x08]));
    if (ch.sw !== 0x9000 || ch.data.length !== 8) throw new TerminalRefusal('card-read-failed', `GET CHALLENGE ${swHex(ch.sw)}`);
    const cryptogram = await psam.cryptogram(cardIdCode, ch.data);
    const r = await this.exchange(Uint8Array.from([0x00, 0x82, 0x00, 0x01, 0x08, ...cryptogram]));
    if (r.sw === 0x9000) return;
    if ((r.sw & 0xfff0) === 0x63c0 || r.sw === 0x6983) throw new TerminalRefusal('external-auth-failed', `EXTERNAL AUTHENTICATE ${swHex(r.sw)}`);
    throw new TerminalRefusal('card-read-failed', `EXTERNAL AUTHENTICATE ${swHex(r.sw)}`);
  }

  /** EF06 record 4E (GBK), '' when the card has none (6A83). */
  private async nameExtension(): Promise<string> {
    const r = await this.exchange(Uint8Array.from([0x00, 0xb2, NAME_EXTENSION_TAG, 0x00, 0x00]));
    if (r.sw === 0x6a83) return '';
    if (r.sw !== 0x9000 || r.data.length < 2 || r.data[0] !== NAME_EXTENSION_TAG) throw new TerminalRefusal('card-read-failed', `READ RECORD 4E ${swHex(r.sw)}`);
    return gbk(r.data.subarray(2, 2 + r.data[1]!));
  }

  /** VERIFY the PIN (6 digits, BCD). Refuses with the reader-side reason on failure. */
  async verifyPin(pin: string): Promise<void> {
    if (!/^\d{6}$/.test(pin)) throw new TerminalRefusal('pin-wrong', 'the PIN has 6 digits');
    const r = await this.exchange(Uint8Array.from([0x00, 0x20, 0x00, 0x00, 0x03, ...Buffer.from(pin, 'hex')]));
    if (r.sw === 0x9000) return;
    if ((r.sw & 0xfff0) === 0x63c0) {
      const left = r.sw & 0x0f;
      if (left === 0) throw new TerminalRefusal('pin-locked', 'VERIFY 63C0');
      throw new TerminalRefusal('pin-wrong', '', left);
    }
    if (r.sw === 0x6983) throw new TerminalRefusal('pin-locked');
    if (r.sw === 0x6984 || r.sw === 0x6a81) throw new TerminalRefusal('pin-initial', `VERIFY ${swHex(r.sw)}`);
    throw new TerminalRefusal('card-read-failed', `VERIFY ${swHex(r.sw)}`);
  }
}

/** Dates compare as strings in YYYY-MM-DD. */
export function checkExpiry(card: CardData, today: string): void {
  if (card.expiryDate < today) throw new TerminalRefusal('card-expired', `有效期至 ${card.expiryDate}，今天 ${today}`);
}

export function checkHolder(card: CardData, presented: { idNumber?: string; name?: string }): void {
  if (presented.idNumber && presented.idNumber !== card.idNumber) {
    throw new TerminalRefusal('holder-mismatch', `卡上 ${card.name}，就诊人 ${presented.name ?? presented.idNumber}`);
  }
  if (!presented.idNumber && presented.name && presented.name !== card.name) {
    throw new TerminalRefusal('holder-mismatch', `卡上 ${card.name}，就诊人 ${presented.name}`);
  }
}

/**
 * The pipe-separated line vendor DLLs hand to terminals (card-spec §3): issuing region |
 * social security number | card number | card identification code | name | ATR | spec
 * version | issue date | expiry date | terminal number | terminal device number.
 * Dates as YYYYMMDD.
 */
export function vendorLine(card: CardData, terminal: { terminalNo: string; deviceNo: string }): string {
  const d = (s: string) => s.replace(/-/g, '');
  return [card.region, card.idNumber, card.cardNumber, card.identificationCode, card.name, card.atr,
    card.specVersion, d(card.issueDate), d(card.expiryDate), terminal.terminalNo, terminal.deviceNo].join('|');
}
