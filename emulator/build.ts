// Profile → file system: the MF, the SSSE application and its record EFs (card-spec §2–3).

import { CARD_RECORDS, SSSE_AID, type CardField, type CardRecord } from '../spec';
import type { CardProfile } from './types';
import { DedicatedFile, FileSystem, RecordFile, TransparentFile } from './filesystem';
import { encodeGbk } from './gbk';
import { digitsToBcd, fromHex } from './hex';

export const EF05_FID = 0xef05;
export const EF06_FID = 0xef06;

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
}

export function buildFileSystem(p: CardProfile): BuiltCard {
  const mf = new DedicatedFile('MF', 0x3f00, null);
  const ssse = mf.add(new DedicatedFile('SSSE', null, SSSE_AID));
  ssse.active = p.activated;
  const needsPin = new Set(p.files?.readNeedsPin ?? []);
  const ef05 = ssse.add(new RecordFile('EF05', EF05_FID, 5, needsPin.has('EF05') ? 'pin' : 'always'));
  const ef06 = ssse.add(new RecordFile('EF06', EF06_FID, 6, needsPin.has('EF06') ? 'pin' : 'always'));

  const value = recordValues(p);
  for (const r of CARD_RECORDS) (r.file === 'EF05' ? ef05 : ef06).setRecord(r.tag, encodeRecord(r, value[r.key]));

  for (const b of p.files?.binary ?? []) {
    const parent = b.parent === 'MF' ? mf : ssse;
    parent.add(new TransparentFile(b.label, parseInt(b.fid, 16), b.sfi ?? null, fromHex(b.data), b.readNeedsPin ? 'pin' : 'always'));
  }
  return { fs: new FileSystem(mf), mf, ssse, ef05, ef06 };
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
