// The APDU trace: decode one command/response pair for reports. `decodeExchange` is pure,
// so rigs can trace traffic they did not produce (e.g. on the PC/SC side). PIN digits
// never appear: neither in `detail` nor in the command hex (replaced by '*'), whatever the
// command's shape. This file is the one place that masks; every trace line comes from here.

import type { TraceEntry } from './types';
import { parseApdu } from './apdu';
import { swMeaning } from './sw';
import { byteHex, toHex, bcdToDigits, equalBytes } from './hex';
import { cardRecord, PSAM_DF_NAME, SSSE_AID } from '../spec';
import { decodeGbk } from './gbk';
import { NAME_EXTENSION_TAG, PPSE_NAME, UNIONPAY_AID } from './build';

const INS_NAMES: Record<number, string> = {
  0x04: 'DEACTIVATE FILE', 0x0e: 'ERASE BINARY', 0x20: 'VERIFY', 0x24: 'CHANGE REFERENCE DATA',
  0x2c: 'RESET RETRY COUNTER', 0x44: 'ACTIVATE FILE', 0x70: 'MANAGE CHANNEL', 0x82: 'EXTERNAL AUTHENTICATE',
  0x84: 'GET CHALLENGE', 0x88: 'INTERNAL AUTHENTICATE', 0xa4: 'SELECT', 0xb0: 'READ BINARY', 0xb2: 'READ RECORD',
  0xc0: 'GET RESPONSE', 0xca: 'GET DATA', 0xd6: 'UPDATE BINARY', 0xda: 'PUT DATA', 0xdc: 'UPDATE RECORD',
  0xe2: 'APPEND RECORD',
};
/** Proprietary (CLA 8x) instructions: the SSSE CHANGE PIN and PBOC-style commands. */
const PROPRIETARY_INS_NAMES: Record<number, string> = {
  0x5e: 'CHANGE PIN', 0x50: 'INITIALIZE', 0x52: 'UPDATE OVERDRAW LIMIT', 0x54: 'PURCHASE/LOAD', 0x5c: 'GET BALANCE',
  0x5a: 'GET TRANSACTION PROOF', 0xca: 'GET DATA', 0x84: 'GET CHALLENGE',
  0x1a: 'DELIVERY KEY', 0xfa: 'CIPHER DATA', // the PSAM's (emulator/psam.ts)
};
/**
 * Instructions whose data carries PIN digits, whatever the CLA: VERIFY, CHANGE REFERENCE
 * DATA, RESET RETRY COUNTER / RELOAD PIN, their odd (BER-TLV) forms, DISABLE / ENABLE
 * VERIFICATION REQUIREMENT (they carry the PIN too) and the SSSE CHANGE PIN.
 */
const PIN_INS = new Set([0x20, 0x21, 0x24, 0x25, 0x26, 0x28, 0x2c, 0x2d, 0x5e]);

const FILE_NAMES: Record<number, string> = {
  0x3f00: 'MF',
  0xef05: 'EF05 卡的识别信息 / card information',
  0xef06: 'EF06 持卡人基本信息 / holder information',
};
const SFI_FILES: Record<number, string> = { 5: 'EF05', 6: 'EF06' };

export interface DecodeOptions {
  /** The file the card resolved (e.g. 'EF05' for READ RECORD on the current EF). */
  file?: string | null;
}

/**
 * The command hex with everything that may be PIN digits replaced by '*'. For a PIN
 * instruction only the header and an Lc that matches the data stay: a malformed command's
 * length bytes cannot say where its PIN ends, and a PIN command has no Le, so a byte after
 * the data is more data.
 */
export function maskedCommandHex(command: Uint8Array): string {
  const hex = toHex(command);
  if (command.length <= 4 || !PIN_INS.has(command[1])) return hex;
  const lc = command[4];
  const keep = lc !== 0 && command.length === 5 + lc ? 10 : 8;
  return hex.slice(0, keep) + '*'.repeat(hex.length - keep);
}

/** GBK text with the padding readers trim (0x00, 0x20, 0xFF) removed, quoted. */
function gbkValue(value: Uint8Array): string {
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x00 || value[end - 1] === 0x20 || value[end - 1] === 0xff)) end--;
  return JSON.stringify(decodeGbk(value.subarray(0, end)));
}

function recordValue(id: number, value: Uint8Array): string {
  switch (cardRecord(id)?.encoding) {
    case 'ascii': return JSON.stringify(String.fromCharCode(...value));
    case 'bcd-date': { const d = toHex(value); return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`; }
    case 'gbk': return gbkValue(value);
    case 'bcd-digits': return (bcdToDigits(value) ?? toHex(value));
    default: return toHex(value);
  }
}

function describeRecord(p1: number, p2: number, file: string | null | undefined, response: Uint8Array, ok: boolean): string {
  const sfi = p2 >> 3;
  const how = p2 & 7;
  const where = sfi ? (SFI_FILES[sfi] ?? `SFI ${sfi}`) : (file ?? 'current EF');
  const rec = p1 === NAME_EXTENSION_TAG ? { zh: '姓名扩展', en: 'name extension' } : cardRecord(p1);
  const which = how === 4 ? `record ${byteHex(p1)}` : `${['first', 'last', 'next', 'previous'][how] ?? `mode ${how}`} record with identifier ${byteHex(p1)}`;
  let s = `${where} ${which}${rec ? ` ${rec.zh} / ${rec.en}` : ''}`;
  if (ok && response.length >= 4) {
    const tag = response[0];
    const len = response[1];
    const known = cardRecord(tag);
    if (known && len + 4 === response.length) s += ` = ${recordValue(tag, response.subarray(2, 2 + len))}`;
    else if (tag === NAME_EXTENSION_TAG && len + 4 === response.length) s += ` = ${gbkValue(response.subarray(2, 2 + len))}`;
  }
  return s;
}

/** Decode one exchange (without the time). Pure; never throws. */
export function decodeExchange(command: Uint8Array, response: Uint8Array, opts: DecodeOptions = {}): Omit<TraceEntry, 'time'> {
  const commandHex = maskedCommandHex(command);
  const responseHex = toHex(response);
  const swNum = response.length >= 2 ? (response[response.length - 2] << 8) | response[response.length - 1] : -1;
  const sw = swNum >= 0 ? toHex(response.subarray(response.length - 2)) : '';
  const meaning = swNum >= 0 ? swMeaning(swNum) : '卡无响应 / no response from the card';
  const ok = swNum === 0x9000;
  const cmd = parseApdu(command);
  if (!cmd) {
    const name = command.length >= 2 ? nameOf(command[0], command[1]) : 'UNKNOWN';
    return { command: commandHex, response: responseHex, name, detail: `malformed APDU (${command.length} bytes: not a short APDU)`, sw, swMeaning: meaning };
  }
  const name = nameOf(cmd.cla, cmd.ins);
  const { p1, p2, data } = cmd;
  let detail: string;
  try {
    switch (name) {
      case 'SELECT': {
        if (p1 === 0x04) detail = data.length === 0 ? 'MF' : dfName(data);
        else if (p1 === 0x03) detail = 'parent DF';
        else if (data.length === 2) { const fid = (data[0] << 8) | data[1]; detail = FILE_NAMES[fid] ?? `FID ${toHex(data)}`; }
        else detail = data.length === 0 ? 'MF' : `P1 ${byteHex(p1)} data ${toHex(data)}`;
        if (p2 === 0x0c) detail += ' (no FCI)';
        else if (p2 === 0x04) detail += ' (FCP)';
        break;
      }
      case 'READ RECORD': detail = describeRecord(p1, p2, opts.file, response, ok); break;
      case 'READ BINARY': {
        const sfi = p1 & 0x80 ? p1 & 0x1f : 0;
        const offset = p1 & 0x80 ? p2 : (p1 << 8) | p2;
        detail = `${sfi ? `SFI ${sfi}` : (opts.file ?? 'current EF')} offset ${offset}, Le ${cmd.le || 'absent'}`;
        break;
      }
      case 'VERIFY': {
        if (data.length === 0) { detail = 'PIN state query'; break; }
        const digits = bcdToDigits(data);
        detail = `PIN (${digits ? digits.length : data.length * 2} digits hidden)`;
        break;
      }
      case 'CHANGE PIN':
        if (p1 === 0x00) return { command: commandHex, response: responseHex, name: 'RELOAD PIN', detail: data.length ? 'new PIN hidden' : 'no data', sw, swMeaning: meaning };
        detail = data.length ? 'old and new PIN hidden' : 'no data'; break;
      case 'CHANGE REFERENCE DATA': case 'RESET RETRY COUNTER':
        detail = data.length ? 'old and new PIN hidden' : 'no data'; break;
      case 'DELIVERY KEY': detail = `key ${byteHex(p1)}/${byteHex(p2)}, card identification code ${toHex(data)}`; break;
      case 'CIPHER DATA': detail = `${data.length} bytes to encrypt`; break;
      case 'GET CHALLENGE': detail = `${cmd.le || 'no'} bytes`; break;
      case 'INTERNAL AUTHENTICATE': detail = `key ${byteHex(p2)}, challenge ${toHex(data)}`; break;
      case 'EXTERNAL AUTHENTICATE':
        detail = `key ${byteHex(p2)}, cryptogram ${toHex(data)}`;
        // 63Cx here counts the key's tries, not the PIN's.
        if ((swNum & 0xfff0) === 0x63c0) return { command: commandHex, response: responseHex, name, detail, sw, swMeaning: `外部认证失败，还可尝试${swNum & 0x0f}次 / external authentication failed, ${swNum & 0x0f} tries left` };
        break;
      case 'GET RESPONSE': detail = `${cmd.le || 256} bytes`; break;
      // A PIN instruction under another CLA lands here: its "Le" may be a PIN byte.
      default: detail = `CLA ${byteHex(cmd.cla)} INS ${byteHex(cmd.ins)} P1 ${byteHex(p1)} P2 ${byteHex(p2)}${data.length ? ` Lc ${data.length}` : ''}${cmd.le && !PIN_INS.has(cmd.ins) ? ` Le ${cmd.le}` : ''}`;
    }
  } catch {
    detail = '(undecodable)';
  }
  return { command: commandHex, response: responseHex, name, detail, sw, swMeaning: meaning };
}

function dfName(name: Uint8Array): string {
  if (equalBytes(name, SSSE_AID)) return 'SSSE 社会保障应用 / social security application';
  if (equalBytes(name, PPSE_NAME)) return 'PPSE 2PAY.SYS.DDF01 (银行应用目录 / bank application directory)';
  if (equalBytes(name, PSAM_DF_NAME)) return 'PSAM.SSSE 安全模块应用 / PSAM application';
  if (equalBytes(name, UNIONPAY_AID)) return `银联借记应用 / UnionPay debit ${toHex(name)}`;
  return `DF name ${toHex(name)}`;
}

function nameOf(cla: number, ins: number): string {
  if (cla === 0xff) return 'UNKNOWN';
  return (cla & 0x80 ? PROPRIETARY_INS_NAMES[ins] : INS_NAMES[ins]) ?? 'UNKNOWN';
}

/** A raw exchange kept by the card; decoded only when someone reads the trace. */
export interface RawExchange {
  t: number;
  command: Uint8Array;
  response: Uint8Array;
  file: string | null;
  decoded?: TraceEntry;
}

export function decodeRaw(r: RawExchange): TraceEntry {
  if (!r.decoded) r.decoded = { time: new Date(r.t).toISOString(), ...decodeExchange(r.command, r.response, { file: r.file }) };
  return r.decoded;
}

/** One line per exchange, for text reports. */
export function formatTraceEntry(e: TraceEntry): string {
  return `${e.time} > ${e.command}  < ${e.response}  ${e.name} ${e.detail} — ${e.sw} ${e.swMeaning}`;
}
