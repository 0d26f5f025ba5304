// The identifiers of the medical insurance card and the platform, one format each: how a
// value is read, what makes it wrong (in Chinese and English), and how a correct one is
// made. The emulator's profiles, the engine's requests and fixtures, the terminal and the
// steps all check and make identifiers here, so one rule cannot be written two ways.
import type { Bilingual, IdFormat, InsuType, MedType, VisitKind } from './types';

const got = (v: string) => JSON.stringify(v);

function patternFormat(o: { name: Bilingual; what: Bilingual; maxLength: number; re: RegExp; normalize: (s: string) => string; more?: (v: string) => Bilingual | undefined }): IdFormat {
  return {
    name: o.name, what: o.what, maxLength: o.maxLength, normalize: o.normalize,
    problem(v) {
      if (!o.re.test(v)) return { zh: `格式不正确，应为${o.what.zh}`, en: `expected ${o.what.en}, got ${got(v)}` };
      return o.more?.(v);
    },
  };
}

const upper = (s: string) => s.trim().toUpperCase();
const upperNoSpace = (s: string) => s.replace(/\s/g, '').toUpperCase();

/** YYYY-MM-DD that names a real calendar day. */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

// ------------------------------------------------------------------ card number 卡号

/** 社保卡号: 9 digits or upper-case letters (card-spec.md §3, EF05 record 07). */
export const CARD_NUMBER = patternFormat({
  name: { zh: '社保卡号', en: 'card number' }, what: { zh: '9 位数字或大写字母', en: '9 letters or digits' },
  maxLength: 9, re: /^[0-9A-Z]{9}$/, normalize: upper,
});

const B36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** A card number from any whole number: "M" and 8 base-36 characters. */
export function makeCardNumber(n: number): string {
  let s = '';
  let v = n % 36 ** 8;
  for (let i = 0; i < 8; i++) { s = B36[v % 36] + s; v = Math.floor(v / 36); }
  return 'M' + s;
}

// ------------------------------------------------------------------ card identification code 卡识别码

/** 卡识别码: 16 bytes, written as 32 hex digits (EF05 record 01). */
export const CARD_SN = patternFormat({
  name: { zh: '卡识别码', en: 'card identification code' }, what: { zh: '32 位十六进制', en: '32 hex digits' },
  maxLength: 32, re: /^[0-9A-F]{32}$/, normalize: upperNoSpace,
});

/** A card identification code: the region, "D156" (China), then `serial` digits to 32. */
export function makeCardSn(region: string, serial: string): string {
  return (region + 'D156' + serial.padStart(22, '0')).slice(0, 32).toUpperCase();
}

// ------------------------------------------------------------------ ID number 公民身份号码 / 社会保障号码

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The GB 11643 check character for the first 17 digits of an ID number. */
export function idCheckDigit(first17: string): string {
  let s = 0;
  for (let i = 0; i < 17; i++) s += (first17.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
  return ID_CHECK[s % 11]!;
}

/** The birth date an ID number carries (digits 7–14), as YYYY-MM-DD. */
export function idBirthDate(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** The sex an ID number carries: its 17th digit, odd for male ('1'), even for female ('2'). */
export function idSex(id: string): '1' | '2' {
  return Number(id[16]) % 2 === 1 ? '1' : '2';
}

/** 18 characters: 6-digit area, 8-digit birth date, 3-digit sequence, GB 11643 check character. */
export const ID_NUMBER = patternFormat({
  name: { zh: '身份证号', en: 'ID number' }, what: { zh: '18 位身份证号（17 位数字加校验位）', en: '18 characters: 17 digits and a check digit or X' },
  maxLength: 18, re: /^\d{17}[\dX]$/, normalize: upper,
  more(v) {
    if (!isCalendarDate(idBirthDate(v))) return { zh: `第 7–14 位应为出生日期，实为 ${v.slice(6, 14)}`, en: `digits 7–14 must be a birth date, got ${got(v.slice(6, 14))}` };
    const want = idCheckDigit(v.slice(0, 17));
    if (v[17] !== want) return { zh: `校验位不正确：${v} 的第 18 位应为 ${want}（GB 11643）`, en: `check digit of ${got(v)} should be ${want}` };
    return undefined;
  },
});

/** An ID number for a 6-digit area, a birth date (YYYY-MM-DD) and a 3-digit sequence, with its check character. */
export function makeIdNumber(area: string, birthDate: string, sequence: number): string {
  const body = area.slice(0, 6).padEnd(6, '0') + birthDate.replace(/-/g, '') + String(sequence % 1000).padStart(3, '0');
  return body + idCheckDigit(body);
}

// ------------------------------------------------------------------ person number, region, codes

/** 人员编号 and the platform's other codes: letters, digits, "-" and "_". */
export const PERSON_NUMBER = patternFormat({
  name: { zh: '人员编号', en: 'person number' }, what: { zh: '字母数字', en: 'letters, digits, - or _' },
  maxLength: 30, re: /^[A-Za-z0-9_-]+$/, normalize: (s) => s,
});

/** 医保区划 / 行政区划代码: 6 digits (GB/T 2260), e.g. 500000 for Chongqing. */
export const REGION_CODE = patternFormat({
  name: { zh: '医保区划', en: 'region code' }, what: { zh: '6 位数字', en: '6 digits (administrative region code, e.g. 500000)' },
  maxLength: 6, re: /^\d{6}$/, normalize: (s) => s,
});

// ------------------------------------------------------------------ insurance type 险种

/** 险种类型 and their names. */
export const INSU_TYPES: Readonly<Record<InsuType, Bilingual>> = {
  '310': { zh: '职工基本医疗保险', en: 'employee basic medical insurance' },
  '390': { zh: '城乡居民基本医疗保险', en: 'resident basic medical insurance' },
};
export const INSU_TYPE_CODES = Object.keys(INSU_TYPES) as InsuType[];
export const isInsuType = (v: unknown): v is InsuType => typeof v === 'string' && Object.prototype.hasOwnProperty.call(INSU_TYPES, v);

// ------------------------------------------------------------------ medical type 医疗类别

/** 医疗类别 and their names (platform-api.md §2). */
export const MED_TYPES: Readonly<Record<MedType, Bilingual>> = {
  '11': { zh: '普通门诊', en: 'outpatient' },
  '12': { zh: '门诊挂号', en: 'outpatient registration' },
  '14': { zh: '门诊慢特病', en: 'outpatient chronic and special disease' },
  '21': { zh: '普通住院', en: 'inpatient' },
  '41': { zh: '定点药店购药', en: 'pharmacy purchase' },
  '51': { zh: '生育门诊', en: 'maternity and family planning' },
};
export const MED_TYPE_CODES = Object.keys(MED_TYPES) as MedType[];
/** The medical types an outpatient visit (门诊 registration 2201, settlement 2207) may carry: all but inpatient. */
export const OUTPATIENT_MED_TYPES = MED_TYPE_CODES.filter((c) => c !== '21');
export const isMedType = (v: unknown): v is MedType => typeof v === 'string' && Object.prototype.hasOwnProperty.call(MED_TYPES, v);

/** The medical type of each kind of visit the terminal and the steps make. */
export const MED_TYPE_OF_VISIT: Readonly<Record<VisitKind, MedType>> = {
  outpatient: '11', inpatient: '21', pharmacy: '41', 'family-planning': '51',
};
