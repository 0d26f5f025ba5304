// Profile → file system: the MF, the SSSE application and its record EFs (card-spec §2–3).

import type { CardProfile } from './types';
import { DedicatedFile, FileSystem, RecordFile, TransparentFile } from './filesystem';
import { encodeGbk } from './gbk';
import { digitsToBcd, fromHex } from './hex';

/** 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF: "sx1.sh." + 社会保障 in GBK. */
export const SSSE_AID = Uint8Array.from([0x73, 0x78, 0x31, 0x2e, 0x73, 0x68, 0x2e, 0xc9, 0xe7, 0xbb, 0xe1, 0xb1, 0xa3, 0xd5, 0xcf]);

export const EF05_FID = 0xef05;
export const EF06_FID = 0xef06;

/** Record identifiers (= record numbers on this card) and their names, for traces and tests. */
export const RECORDS: Record<number, { file: 'EF05' | 'EF06'; zh: string; en: string; length: number }> = {
  0x01: { file: 'EF05', zh: '卡识别码', en: 'card identification code', length: 16 },
  0x02: { file: 'EF05', zh: '卡类别', en: 'card type', length: 1 },
  0x03: { file: 'EF05', zh: '规范版本', en: 'spec version', length: 4 },
  0x04: { file: 'EF05', zh: '初始化机构编号', en: 'issuing organisation code', length: 12 },
  0x05: { file: 'EF05', zh: '发卡日期', en: 'issue date', length: 4 },
  0x06: { file: 'EF05', zh: '卡有效期', en: 'expiry date', length: 4 },
  0x07: { file: 'EF05', zh: '卡号', en: 'card number', length: 9 },
  0x08: { file: 'EF06', zh: '社会保障号码', en: 'social security number', length: 18 },
  0x09: { file: 'EF06', zh: '姓名', en: 'name', length: 30 },
  0x0a: { file: 'EF06', zh: '性别', en: 'sex', length: 1 },
  0x0b: { file: 'EF06', zh: '民族', en: 'nation', length: 1 },
  0x0c: { file: 'EF06', zh: '出生地', en: 'birthplace', length: 3 },
  0x0d: { file: 'EF06', zh: '出生日期', en: 'birth date', length: 4 },
};

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

  ef05.setRecord(0x01, fromHex(p.card.identificationCode));
  ef05.setRecord(0x02, fromHex(p.card.type));
  ef05.setRecord(0x03, ascii(p.card.specVersion));
  ef05.setRecord(0x04, fromHex(p.card.issuerCode));
  ef05.setRecord(0x05, dateBcd(p.card.issueDate));
  ef05.setRecord(0x06, dateBcd(p.card.expiryDate));
  ef05.setRecord(0x07, ascii(p.card.number));

  ef06.setRecord(0x08, ascii(p.holder.idNumber));
  ef06.setRecord(0x09, padded(encodeGbk(p.holder.name), 30));
  ef06.setRecord(0x0a, ascii(p.holder.sex));
  ef06.setRecord(0x0b, digitsToBcd(p.holder.nation));
  ef06.setRecord(0x0c, digitsToBcd(p.holder.birthplace, 3));
  ef06.setRecord(0x0d, dateBcd(p.holder.birthDate));

  for (const b of p.files?.binary ?? []) {
    const parent = b.parent === 'MF' ? mf : ssse;
    parent.add(new TransparentFile(b.label, parseInt(b.fid, 16), b.sfi ?? null, fromHex(b.data), b.readNeedsPin ? 'pin' : 'always'));
  }
  return { fs: new FileSystem(mf), mf, ssse, ef05, ef06 };
}
