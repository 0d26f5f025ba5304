// The world's reference data as analysts write it: fixtures/world/{employers,institutions,
// catalogue,people,cards}.yaml, each a list under its own key. A record's fields are the
// fields of the agency transactions (91xx) and are checked by the same rules, with the same
// words (validate.ts check); the zod schemas here carry them, so the YAML files are checked
// field by field with file, line and field, and editors get schemas/world-*.schema.json.
// Nothing here touches the database: steps and `medcard schemas` load it without the engine.
import { z } from 'zod';
import { BILINGUAL_WORDING, defineFormat, PARENT, ruled, type Format, type Wording } from '../schema';
import { BizError, check, req, str, id, en, money, bool, date, int, safe, CODE, type Field, type Spec } from './validate';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, PERSON_NUMBER, REGION_CODE, INSU_TYPE_CODES } from '../spec';

export const EMPLOYER: Spec = {
  emp_no: req(str('单位编号', 30, { re: CODE, what: '字母数字' })),
  emp_name: req(str('单位名称', 100)),
  insuplc_admdvs: req(id('参保地医保区划', REGION_CODE)),
  arrears: bool('是否欠费'),
};
export const INSTITUTION: Spec = {
  fixmedins_code: req(str('定点医药机构编号', 30, { re: CODE, what: '字母数字' })),
  fixmedins_name: req(str('定点医药机构名称', 100)),
  admvs: req(id('机构所在医保区划', REGION_CODE)),
  hosp_lv: int('医院等级', 1, 3, true),
  fixmedins_type: en('机构类型', ['hospital', 'clinic', 'pharmacy'], true),
  designated: bool('是否定点', true),
  key: str('签名密钥', 128),
};
export const CATALOGUE: Spec = {
  med_list_codg: req(str('医保目录编码', 50, { re: CODE, what: '字母数字' })),
  name: req(str('项目名称', 100)),
  cls: en('目录类别（A 甲类 / B 乙类 / self 自费）', ['A', 'B', 'self'], true),
  pric_uplmt_amt: money('最高限价'),
  selfpay_prop: str('乙类先行自付比例', 6, { re: /^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, what: '0 到 1 之间的小数，如 0.10' }),
  med_chrgitm_type: str('医疗收费项目类别', 10, { re: CODE }),
  ver: str('版本号', 20, { re: /^[0-9]{1,20}$/, what: '数字（最多 20 位），如 20240101000000' }),
};
export const PERSON: Spec = {
  psn_no: req(id('人员编号', PERSON_NUMBER)),
  psn_name: req(str('姓名', 50)),
  certno: req(id('身份证号', ID_NUMBER)),
  gend: en('性别', ['1', '2'], true),
  brdy: date('出生日期', true),
  naty: str('民族', 2, { re: /^[0-9]{2}$/ }),
  insutype: en('险种类型', INSU_TYPE_CODES, true),
  insuplc_admdvs: req(id('参保地医保区划', REGION_CODE)),
  psn_insu_stas: en('参保状态', ['1', '2', '3']),
  psn_insu_date: date('参保日期', true),
  emp_no: str('单位编号', 30, { re: CODE }),
  contribution_base: money('缴费基数（月）'),
  retired: bool('是否退休'),
  pension: money('基本养老金（月）'),
  evoucher: str('医保电子凭证码', 64, { re: CODE }),
};
export const CARD: Spec = {
  card_no: req(id('社保卡号', CARD_NUMBER)),
  card_sn: req(id('卡识别码', CARD_SN)),
  psn_no: req(id('人员编号', PERSON_NUMBER)),
  issue_date: date('发卡日期', true),
  expiry_date: date('有效期至', true),
  admvs: req(id('发卡地区', REGION_CODE)),
  card_stas: en('卡状态', ['issued', 'active', 'lost', 'replaced', 'cancelled']),
  activated_date: date('激活日期'),
};
/** A person of people.yaml: the 9101 fields and money carried over from earlier years. */
export const WORLD_PERSON: Spec = { ...PERSON, opening_balance: money('期初余额（结转）') };

/** A record as check() returns it: money in fen. */
export type WorldRecord = Record<string, unknown>;

/** A person of people.yaml after validation: identifiers normalized, money in fen. */
export interface WorldPersonRecord {
  psn_no: string; psn_name: string; certno: string; gend: '1' | '2'; brdy: string; naty?: string; insutype: string;
  insuplc_admdvs: string; psn_insu_stas?: string; psn_insu_date: string; emp_no?: string; contribution_base?: number;
  retired?: boolean; pension?: number; evoucher?: string; opening_balance?: number;
}

// ------------------------------------------------------------------ a Spec as a zod schema

/** What an editor should accept for a field: what check() accepts (numbers for text, digits for whole numbers). */
function shapeOf(f: Field): z.ZodType {
  return kindShape(f).describe(f.k === 'id' ? `${f.label}：${f.format.what.zh} / ${f.format.what.en}` : f.label);
}
function kindShape(f: Field): z.ZodType {
  const whole = z.int().min(0);
  switch (f.k) {
    case 'str': {
      let s = z.string().max(f.max);
      if (f.min !== undefined) s = s.min(f.min);
      if (f.re) s = s.regex(f.re);
      return z.union([s, whole]);
    }
    case 'id': return z.union([z.string().max(f.format.maxLength), whole]);
    case 'enum': {
      const texts = z.enum(f.values as [string, ...string[]]);
      const numbers = f.values.filter((v) => /^\d+$/.test(v)).map(Number);
      return numbers.length ? z.union([texts, z.literal(numbers)]) : texts;
    }
    case 'money': return z.union([z.string().regex(/^\d+(\.\d{1,2})?$/), z.number().min(0)]);
    case 'int': return z.union([z.int().min(f.min).max(f.max), z.string().regex(/^-?[0-9]{1,9}$/)]);
    case 'bool': return z.boolean();
    case 'date': return z.iso.date();
    default: return z.any();
  }
}

const bizMessage = (e: unknown) => (e instanceof BizError ? e.message : undefined);

/**
 * A record of `spec` as a zod object: each field checked by check() (the 91xx rules and
 * words, `{parent}` naming the record: `people[0].certno（身份证号）…`), unknown fields refused.
 */
export function recordSchema(spec: Spec): z.ZodType<WorldRecord> {
  return z.strictObject(Object.fromEntries(Object.entries(spec).map(([key, f]) => {
    const field = ruled(shapeOf(f), (v) => check({ [key]: v }, { [key]: f }, PARENT)[key], bizMessage);
    return [key, f.req ? field : field.optional()];
  }))) as unknown as z.ZodType<WorldRecord>;
}

/** The file's own key in the engine's words of old (bilingual); a record's problems in check()'s. */
const WORLD_WORDING: Wording = {
  missing: BILINGUAL_WORDING.missing,
  unknownField: (key, allowed, where) => (where === '(document)' ? BILINGUAL_WORDING.unknownField(key, allowed, where) : `${where} 含未知字段 ${safe(key)}，不予受理`),
  notMapping: (field) => (field === '(document)' ? BILINGUAL_WORDING.notMapping(field) : `${field} 应为 JSON 对象`),
  notList: BILINGUAL_WORDING.notList,
};

function worldFile<T = WorldRecord>(key: string, spec: Spec, title: string, description: string): Format<T[]> {
  return defineFormat({
    id: `world-${key}`, title: `${title} (fixtures/world/${key}.yaml)`, description,
    schema: z.strictObject({ [key]: z.array(recordSchema(spec)) }).transform((d) => d[key] as T[]) as unknown as z.ZodType<T[]>,
    scalars: 'core', wording: WORLD_WORDING,
  });
}

/** The world files, by stem: each a list under its own key, checked as the 91xx transactions check them. */
export const WORLD_FORMATS = {
  employers: worldFile('employers', EMPLOYER, '参保单位 / employers', '9102 的字段 (domain.md §1)。arrears: true 表示欠费。'),
  institutions: worldFile('institutions', INSTITUTION, '定点医药机构 / institutions', '9103 的字段 (domain.md §1, §4.3)。'),
  catalogue: worldFile('catalogue', CATALOGUE, '医保目录 / catalogue items', '9104 的字段 (domain.md §4.1)。cls: A 甲类, B 乙类, self 自费。ver: 版本号（13xx 目录下载按版本增量），缺省为创建时间 yyyyMMddHHmmss。'),
  people: worldFile<WorldPersonRecord>('people', WORLD_PERSON, '参保人 / insured people', '9101 的字段，另加 opening_balance：上年结转到个人账户的金额（元）(domain.md §1, §3)。'),
  cards: worldFile('cards', CARD, '社保卡 / cards', '9105 的字段 (domain.md §7)。card_stas: issued, active, lost, replaced, cancelled。'),
} as const;
export type WorldStem = keyof typeof WORLD_FORMATS;
