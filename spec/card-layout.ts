// The card's file layout (card-spec.md §2–§3): the social security application's DF name
// and the records of EF05 (card) and EF06 (holder). The emulator builds its file system from
// this table and the terminal reads the card by it, so the two cannot drift.
import type { CardRecord } from './types';

/** DF name of the social security application: "sx1.sh." + 社会保障 in GBK. */
export const SSSE_AID = Uint8Array.from([0x73, 0x78, 0x31, 0x2e, 0x73, 0x68, 0x2e, 0xc9, 0xe7, 0xbb, 0xe1, 0xb1, 0xa3, 0xd5, 0xcf]);
/**
 * The terminal's PSAM (card-spec §7): its application's DF name, ASCII "PSAM.SSSE", and the
 * SFI of its terminal-number file (PBOC PSAMs keep it in EF 0016). Our decision: the national
 * PSAM specification is not public. The emulator serves them; terminals and libsscard use them.
 */
export const PSAM_DF_NAME = Uint8Array.from('PSAM.SSSE', (c) => c.charCodeAt(0));
export const PSAM_TERMINAL_SFI = 0x16;

/** The records, in the order a terminal reads them. */
export const CARD_RECORDS: readonly CardRecord[] = [
  { tag: 0x01, file: 'EF05', length: 16, encoding: 'hex', key: 'identificationCode', zh: '卡识别码', en: 'card identification code' },
  { tag: 0x02, file: 'EF05', length: 1, encoding: 'hex', key: 'cardType', zh: '卡类别', en: 'card type' },
  { tag: 0x03, file: 'EF05', length: 4, encoding: 'ascii', key: 'specVersion', zh: '规范版本', en: 'spec version' },
  { tag: 0x04, file: 'EF05', length: 12, encoding: 'hex', key: 'issuerCode', zh: '初始化机构编号', en: 'issuing organisation code' },
  { tag: 0x05, file: 'EF05', length: 4, encoding: 'bcd-date', key: 'issueDate', zh: '发卡日期', en: 'issue date' },
  { tag: 0x06, file: 'EF05', length: 4, encoding: 'bcd-date', key: 'expiryDate', zh: '卡有效期', en: 'expiry date' },
  { tag: 0x07, file: 'EF05', length: 9, encoding: 'ascii', key: 'cardNumber', zh: '卡号', en: 'card number' },
  { tag: 0x08, file: 'EF06', length: 18, encoding: 'ascii', key: 'idNumber', zh: '社会保障号码', en: 'social security number' },
  { tag: 0x09, file: 'EF06', length: 30, encoding: 'gbk', key: 'name', zh: '姓名', en: 'name' },
  { tag: 0x0a, file: 'EF06', length: 1, encoding: 'ascii', key: 'sex', zh: '性别', en: 'sex' },
  { tag: 0x0b, file: 'EF06', length: 1, encoding: 'bcd-digits', key: 'nation', zh: '民族', en: 'nation' },
  { tag: 0x0c, file: 'EF06', length: 3, encoding: 'bcd-digits', key: 'birthplace', zh: '出生地', en: 'birthplace' },
  { tag: 0x0d, file: 'EF06', length: 4, encoding: 'bcd-date', key: 'birthDate', zh: '出生日期', en: 'birth date' },
];

/** A record by its identifier (P1 of READ RECORD), for traces. */
export function cardRecord(tag: number): CardRecord | undefined {
  return CARD_RECORDS.find((r) => r.tag === tag);
}
