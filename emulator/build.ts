// Profile → file system: the MF, the SSSE application and its record EFs (card-spec §2–3).

import { CARD_RECORDS, SSSE_AID, type CardField, type CardRecord } from '../spec';
import type { CardProfile } from './types';
import { DedicatedFile, FileSystem, RecordFile, TransparentFile } from './filesystem';
import { encodeGbk } from './gbk';
import { concat, digitsToBcd, fromHex, tlv } from './hex';

export const EF05_FID = 0xef05;
export const EF06_FID = 0xef06;
/** EF06 record 4E: the name extension of a third-generation card (card-spec §7). */
export const NAME_EXTENSION_TAG = 0x4e;
const NAME_EXTENSION_LENGTH = 40; // Decision: card-spec gives no length; 40 bytes GBK, 0x00 padded
/** The bank application stub (card-spec §7): PPSE and the UnionPay debit AID. */
export const PPSE_NAME = Uint8Array.from('2PAY.SYS.DDF01', (c) => c.charCodeAt(0));
export const UNIONPAY_AID = fromHex('A000000333010101');
const UNIONPAY_LABEL = Uint8Array.from('UnionPay Debit', (c) => c.charCodeAt(0));

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
export const dateBcd = (yyyyMmDd: string): Uint8Array => digitsToBcd(yyyyMmDd.replace(/-/g, ''));

function padded(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n); // 0x00 padding (card-spec §3, Decision)
  out.set(b.subarray(0, n));
  return out;
}

export interface BuiltCard {
  fs: FileSystem;
  mf: DedicatedFile;
  ssse: DedicatedFile;
  ef05: RecordFile;
  ef06: RecordFile;
  /** The UnionPay application (third-generation profile with a bank number), else null. */
  bank: DedicatedFile | null;
}

export function buildFileSystem(p: CardProfile): BuiltCard {
  const mf = new DedicatedFile('MF', 0x3f00, null);
  const ssse = mf.add(new DedicatedFile('SSSE', null, SSSE_AID));
  ssse.active = p.activated;
  const needsPin = new Set(p.files?.readNeedsPin ?? []);
  const ef05 = ssse.add(new RecordFile('EF05', EF05_FID, 5, needsPin.has('EF05') ? 'pin' : 'always'));
  const g3 = p.generation === 3 ? p.gen3 : undefined;
  // PIN first: a profile asking for both keeps EF06 behind the PIN; EXTERNAL AUTHENTICATE guards it otherwise.
  const ef06Read = needsPin.has('EF06') ? 'pin' : g3?.externalAuth === 'required' ? 'external-auth' : 'always';
  const ef06 = ssse.add(new RecordFile('EF06', EF06_FID, 6, ef06Read));

  const value = recordValues(p);
  for (const r of CARD_RECORDS) (r.file === 'EF05' ? ef05 : ef06).setRecord(r.tag, encodeRecord(r, value[r.key]));
  let bank: DedicatedFile | null = null;
  if (g3) {
    ef06.setRecord(NAME_EXTENSION_TAG, padded(encodeGbk(g3.nameExtension), NAME_EXTENSION_LENGTH));
    ssse.proprietary = tlv(0x9f0c, fromHex(g3.algorithm));
    if (g3.bankNumber) bank = addBankApplication(mf, g3.bankNumber, p.card.expiryDate);
  }

  for (const b of p.files?.binary ?? []) {
    const parent = b.parent === 'MF' ? mf : ssse;
    parent.add(new TransparentFile(b.label, parseInt(b.fid, 16), b.sfi ?? null, fromHex(b.data), b.readNeedsPin ? 'pin' : 'always'));
  }
  return { fs: new FileSystem(mf), mf, ssse, ef05, ef06, bank };
}

/**
 * PPSE (its FCI lists the UnionPay AID, EMV-style: `BF0C { 61 { 4F AID, 50 label, 87 01 } }`)
 * and the UnionPay application, whose SFI 1 record 1 is `70 { 5A PAN, 5F24 expiry YYMMDD }`.
 * Only SELECT and READ RECORD: the medical flow never uses it.
 */
function addBankApplication(mf: DedicatedFile, bankNumber: string, expiryDate: string): DedicatedFile {
  const entry = concat(tlv(0x4f, UNIONPAY_AID), tlv(0x50, UNIONPAY_LABEL), tlv(0x87, Uint8Array.of(1)));
  const ppse = mf.add(new DedicatedFile('PPSE', null, PPSE_NAME));
  ppse.proprietary = tlv(0xbf0c, tlv(0x61, entry));
  const bank = mf.add(new DedicatedFile('UnionPay', null, UNIONPAY_AID));
  bank.proprietary = concat(tlv(0x50, UNIONPAY_LABEL), tlv(0x87, Uint8Array.of(1)));
  const records = bank.add(new RecordFile('UnionPay SFI 1', null, 1));
  const yymmdd = digitsToBcd(expiryDate.replace(/-/g, '').slice(2));
  records.setRecordBytes(1, tlv(0x70, concat(tlv(0x5a, digitsToBcd(bankNumber)), tlv(0x5f24, yymmdd))));
  return bank;
}

/** The profile's value for each record of the card layout (spec/card-layout.ts). */
function recordValues(p: CardProfile): Record<CardField, string> {
  const { card: c, holder: h } = p;
  return {
    identificationCode: c.identificationCode, cardType: c.type, specVersion: c.specVersion, issuerCode: c.issuerCode,
    issueDate: c.issueDate, expiryDate: c.expiryDate, cardNumber: c.number,
    idNumber: h.idNumber, name: h.name, sex: h.sex, nation: h.nation, birthplace: h.birthplace, birthDate: h.birthDate,
  };
}

function encodeRecord(r: CardRecord, v: string): Uint8Array {
  switch (r.encoding) {
    case 'hex': return fromHex(v);
    case 'ascii': return ascii(v);
    case 'gbk': return padded(encodeGbk(v), r.length);
    case 'bcd-date': return dateBcd(v);
    case 'bcd-digits': return digitsToBcd(v, r.length);
  }
}
