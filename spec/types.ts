// Types of the formats the national standards fix (spec/identifiers.ts, spec/card-layout.ts).

/** A message in both of the harness's languages. */
export interface Bilingual { zh: string; en: string }

/**
 * One identifier format: how to read it (normalize), what is wrong with a value (problem),
 * and what a correct one looks like (what). Every part checks identifiers through these.
 */
export interface IdFormat {
  readonly name: Bilingual;
  /** The expected form, for messages: "9 位字母数字" / "9 letters or digits". */
  readonly what: Bilingual;
  /** The longest value, for length checks before the pattern. */
  readonly maxLength: number;
  /** The canonical form of a value: trimmed, upper case where the format is. */
  normalize(text: string): string;
  /** Why a (normalized) value is not of this format, or undefined when it is. */
  problem(value: string): Bilingual | undefined;
}

/** 险种类型: employee (职工) or resident (城乡居民) basic medical insurance. */
export type InsuType = '310' | '390';
/** 医疗类别 (platform-api.md §2). */
export type MedType = '11' | '12' | '14' | '21' | '41' | '51';

/** How the reference terminal and the steps name a visit; each maps to one MedType. */
export type VisitKind = 'outpatient' | 'inpatient' | 'pharmacy' | 'family-planning';

/** How a record's bytes encode its value (card-spec.md §3). */
export type RecordEncoding = 'hex' | 'ascii' | 'gbk' | 'bcd-date' | 'bcd-digits';

/** One record of EF05 / EF06: its identifier (= record number on this card), file, length and meaning. */
export interface CardRecord {
  readonly tag: number;
  readonly file: 'EF05' | 'EF06';
  readonly length: number;
  readonly encoding: RecordEncoding;
  /** The field name the terminal and the emulator's profile use for it. */
  readonly key: CardField;
  readonly zh: string;
  readonly en: string;
}

export type CardField =
  | 'identificationCode' | 'cardType' | 'specVersion' | 'issuerCode' | 'issueDate' | 'expiryDate' | 'cardNumber'
  | 'idNumber' | 'name' | 'sex' | 'nation' | 'birthplace' | 'birthDate';
