// The code tables the engine answers with and checks against — one place for each, which
// settlements, 1101 and the 1901 dictionary query all read. insutype and med_type are the
// spec's own (spec/identifiers.ts); the rest are the engine's.
import { INSU_TYPES, MED_TYPES } from '../spec';

const zh = (t: Readonly<Record<string, { zh: string }>>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.zh]));

/** 就诊凭证类型 (platform-api.md §3a). */
export const CERT_TYPES = { '01': '医保电子凭证', '02': '居民身份证', '03': '社会保障卡' } as const;
export const CERT_TYPE_CODES = Object.keys(CERT_TYPES) as Array<keyof typeof CERT_TYPES>;

/** 人员类别: the engine tells only in-service from retired people. */
export const PSN_TYPES = { '1101': '在职', '1102': '退休' } as const;
export const psnTypeOf = (retired: boolean): keyof typeof PSN_TYPES => (retired ? '1102' : '1101');

/** 清算类别: a settlement clears as outpatient or inpatient. */
export const CLR_TYPES = { '11': '门诊', '21': '住院' } as const;
export const CLR_TYPE_CODES = Object.keys(CLR_TYPES) as Array<keyof typeof CLR_TYPES>;
export const clrTypeOf = (medType: string): keyof typeof CLR_TYPES => (medType === '21' ? '21' : '11');

/** 目录类别 of the catalogues the engine serves (3301 list_type, the 13xx downloads). */
export const LIST_TYPES = { '101': '西药中成药', '102': '中药饮片', '201': '医疗服务项目', '301': '医用耗材' } as const;
export type ListType = keyof typeof LIST_TYPES;
export const LIST_TYPE_CODES = Object.keys(LIST_TYPES) as ListType[];

/** The dictionaries of 1901, by type: value → label. */
export const DICTIONARIES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  insutype: zh(INSU_TYPES), med_type: zh(MED_TYPES), psn_type: PSN_TYPES, mdtrt_cert_type: CERT_TYPES, clr_type: CLR_TYPES, list_type: LIST_TYPES,
};

/** The catalogue an item belongs to, by its 医疗收费项目类别: 09 西药 and 11 中成药, 10 中药饮片, 08 卫生材料; any other is a service. */
export function listTypeOf(chrgitmType: string): ListType {
  if (chrgitmType === '09' || chrgitmType === '11') return '101';
  if (chrgitmType === '10') return '102';
  if (chrgitmType === '08') return '301';
  return '201';
}
