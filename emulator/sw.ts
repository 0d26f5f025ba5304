// Status words: one `as const` table of named SWs, one error type (CardStatus) that handlers
// throw and only the dispatcher (os.ts) catches. Instances are interned, so throwing one
// allocates nothing on the hot path.

export const SW = {
  OK: 0x9000,
  /** 61xx: xx more bytes available with GET RESPONSE (T=0). Use SW.bytesAvailable(n). */
  BYTES_AVAILABLE: 0x6100,
  WARN_END_OF_FILE: 0x6282,
  WARN_FILE_DEACTIVATED: 0x6283,
  WRONG_PIN: 0x63c0, // 63Cx: x tries left
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  CHAINING_NOT_SUPPORTED: 0x6884,
  INCOMPATIBLE_FILE_STRUCTURE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  PIN_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  NO_CURRENT_EF: 0x6986,
  INCORRECT_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  /** 6Cxx: wrong Le, xx is the exact length. Use SW.wrongLe(n). */
  WRONG_LE: 0x6c00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

export type SwName = keyof typeof SW;

/** 61xx for n pending bytes (n ≥ 256 → 6100). */
export function bytesAvailable(n: number): number { return 0x6100 | (n >= 256 ? 0 : n); }
/** 6Cxx for an exact length n (256 → 6C00). */
export function wrongLe(n: number): number { return 0x6c00 | (n & 0xff); }
/** 63Cx for x tries left. */
export function wrongPin(triesLeft: number): number { return 0x63c0 | Math.min(triesLeft, 15); }

interface Meaning { zh: string; en: string }
const MEANINGS: Record<number, Meaning> = {
  [SW.OK]: { zh: '正常', en: 'OK' },
  [SW.WARN_END_OF_FILE]: { zh: '读到文件末尾，数据少于Le', en: 'end of file reached before reading Le bytes' },
  [SW.WARN_FILE_DEACTIVATED]: { zh: '所选文件已失效（卡未启用）', en: 'selected file deactivated (card not activated)' },
  [SW.MEMORY_FAILURE]: { zh: '存储器故障', en: 'memory failure' },
  [SW.WRONG_LENGTH]: { zh: '长度错误', en: 'wrong length' },
  [SW.LOGICAL_CHANNEL_NOT_SUPPORTED]: { zh: '不支持逻辑通道', en: 'logical channel not supported' },
  [SW.SECURE_MESSAGING_NOT_SUPPORTED]: { zh: '不支持安全报文', en: 'secure messaging not supported' },
  [SW.CHAINING_NOT_SUPPORTED]: { zh: '不支持命令链', en: 'command chaining not supported' },
  [SW.INCOMPATIBLE_FILE_STRUCTURE]: { zh: '命令与文件结构不相容', en: 'command incompatible with file structure' },
  [SW.SECURITY_STATUS_NOT_SATISFIED]: { zh: '安全状态不满足（需先校验PIN）', en: 'security status not satisfied (PIN not verified)' },
  [SW.PIN_BLOCKED]: { zh: '密码已锁定', en: 'PIN blocked' },
  [SW.CONDITIONS_NOT_SATISFIED]: { zh: '使用条件不满足', en: 'conditions of use not satisfied' },
  [SW.NO_CURRENT_EF]: { zh: '命令不允许（无当前EF）', en: 'command not allowed (no current EF)' },
  [SW.INCORRECT_DATA]: { zh: '数据域参数不正确', en: 'incorrect parameters in the data field' },
  [SW.FUNCTION_NOT_SUPPORTED]: { zh: '功能不支持', en: 'function not supported' },
  [SW.FILE_NOT_FOUND]: { zh: '文件未找到', en: 'file or application not found' },
  [SW.RECORD_NOT_FOUND]: { zh: '记录未找到', en: 'record not found' },
  [SW.INCORRECT_P1P2]: { zh: '参数P1、P2不正确', en: 'incorrect parameters P1-P2' },
  [SW.REFERENCED_DATA_NOT_FOUND]: { zh: '引用数据未找到', en: 'referenced data not found' },
  [SW.WRONG_P1P2]: { zh: '参数错误（偏移量超出EF）', en: 'wrong parameters P1-P2 (offset outside the EF)' },
  [SW.INS_NOT_SUPPORTED]: { zh: '指令不支持', en: 'instruction not supported' },
  [SW.CLA_NOT_SUPPORTED]: { zh: '类别不支持', en: 'class not supported' },
  [SW.NO_PRECISE_DIAGNOSIS]: { zh: '无精确诊断', en: 'no precise diagnosis' },
};

/** Is this one of the status words the card can send (the table, 61xx, 63Cx, 6Cxx)? */
export function isKnownSw(sw: number): boolean {
  const hi = sw & 0xff00;
  return MEANINGS[sw] !== undefined || hi === 0x6100 || hi === 0x6c00 || (sw & 0xfff0) === 0x63c0;
}

/** '正常 / OK', '密码错误，还可尝试2次 / wrong PIN, 2 tries left', ... */
export function swMeaning(sw: number): string {
  const m = MEANINGS[sw];
  if (m) return `${m.zh} / ${m.en}`;
  const hi = sw & 0xff00;
  const lo = sw & 0xff;
  if (hi === 0x6100) {
    const n = lo === 0 ? '256+' : String(lo);
    return `还有${n}字节响应数据，用GET RESPONSE取回 / ${n} bytes available with GET RESPONSE`;
  }
  if (hi === 0x6c00) return `Le错误，应为${lo === 0 ? 256 : lo} / wrong Le, resend with Le=${lo.toString(16).toUpperCase().padStart(2, '0')}`;
  if ((sw & 0xfff0) === 0x63c0) {
    const x = sw & 0x0f;
    return `密码错误，还可尝试${x}次 / wrong PIN, ${x} ${x === 1 ? 'try' : 'tries'} left`;
  }
  if (sw === 0x6300) return '校验失败 / verification failed';
  if (hi === 0x6200 || hi === 0x6300) return `警告 / warning`;
  return '未知状态字 / unknown status word';
}

/** The one error type: a status word raised by a layer, caught by the dispatcher. */
export class CardStatus {
  private static readonly cache = new Map<number, CardStatus>();
  private constructor(readonly sw: number) {}
  static of(sw: number): CardStatus {
    let s = CardStatus.cache.get(sw);
    if (!s) { s = new CardStatus(sw); CardStatus.cache.set(sw, s); }
    return s;
  }
  toString(): string { return `CardStatus ${this.sw.toString(16).toUpperCase().padStart(4, '0')}`; }
}

/** Raise a status word; only the dispatcher catches it. */
export function raise(sw: number): never {
  throw CardStatus.of(sw);
}
