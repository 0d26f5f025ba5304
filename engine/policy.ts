// Policies are data: fixtures/policies/<region>.yaml, validated on load (domain.md §3–§7)
// against the zod schema below (schema/ part), which also gives schemas/policy.schema.json.
// All amounts in fen, all rates in basis points (1 bp = 0.01%).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BILINGUAL_WORDING, defineFormat, identifier, loadYaml, ruled, Refusal, whenValid, YamlError, type Format } from '../schema';
import { toFen, MoneyError } from '../platform';
import { REGION_CODE } from '../spec';

export { YamlError as PolicyError };

export type CreditRule =
  | { model: 'chongqing'; personBp: number; employerBp: number; employerShareBp: number }
  | { model: 'age_banded'; bands: Array<{ minAge: number; maxAge: number | null; bp: number }>; retireePensionBp: number };

export interface Bracket { upTo: number /* fen, cumulative; Infinity-free: the cap is resolved */; personBp: number }

export interface Policy {
  region: string;
  /** The region's name as analysts write it (重庆市); steps accept it, and it without 市/省/自治区. */
  name: string;
  /** An English name (Chongqing), when the file gives one (`name_en`). */
  nameEn?: string;
  file: string;
  credit: CreditRule;
  contribution: { socialAverageWage: number; floorBp: number; ceilingBp: number } | null;
  classBPreselfpayBp: number;
  deductible: number;
  /** Pooled brackets above the line, ascending, the last one ending at the cap. */
  brackets: Bracket[];
  cap: number;
  levelExtraBp: Record<1 | 2 | 3, number>;
  unfiledExtraBp: number;
  accountPaysUncovered: boolean;
  demandBp: number;
  threeMonthBp: number;
}

// ------------------------------------------------------------------ values, in the words analysts read

const refuse = (message: string): never => { throw new Refusal(message); };
const absent = (v: unknown) => v === undefined || v === null;

/** Text; an unquoted number is read as its digits. */
const textOf = (v: unknown) => (typeof v === 'number' ? String(v) : v);
const notText = { error: (i: { input?: unknown }) => (absent(i.input) ? undefined : '应为文本 / expected text') };
const text = (max: number) => z.preprocess(textOf, z.string(notText).max(max, `过长（最多 ${max} 字符）/ too long`));

/** Yuan, "400.00" or 400, → fen (platform's toFen: no floating point). */
const yuanRule = (v: unknown): number => {
  if (absent(v)) refuse('缺少金额 / missing amount');
  try { return toFen(v); } catch (e) {
    if (e instanceof MoneyError) refuse(`${e.message} / bad amount`);
    throw e;
  }
};
const YUAN_SHAPE = z.union([z.string().regex(/^\d+(\.\d{1,2})?$/), z.number().min(0)]).meta({ description: '金额，元，最多两位小数，如 "400.00" / yuan, e.g. "400.00"' });
const yuan = () => ruled(YUAN_SHAPE, yuanRule);

const PCT_RE = /^\s*([0-9]{1,4})(?:\.([0-9]{1,2}))?\s*%\s*$/;
/** "2.5%" → 250 basis points (1 bp = 0.01%). At most 100% unless `maxBp` says more ("300%" base ceilings). */
const pct = ({ maxBp = 10000 }: { maxBp?: number } = {}) => ruled(
  z.string().regex(PCT_RE).meta({ description: `百分数，如 "2.5%"，最多 ${maxBp / 100}% / a percentage like "2.5%"` }),
  (v): number => {
    if (absent(v)) refuse('缺少比例 / missing percentage');
    const m = typeof v === 'string' ? PCT_RE.exec(v) : null;
    if (!m) return refuse('比例应写成百分数，如 "2.5%" / expected a percentage like "2.5%"');
    const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
    if (bp > maxBp) refuse(`比例不能超过 ${maxBp / 100}% / over ${maxBp / 100}%`);
    return bp;
  });

const int = (min: number, max: number) => ruled(z.int().min(min).max(max), (v): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return refuse('应为整数 / expected an integer');
  if (v < min) refuse(`不能小于 ${min} / below ${min}`);
  if (v > max) refuse(`不能大于 ${max} / above ${max}`);
  return v;
});
const bool = () => ruled(z.boolean(), (v): boolean => (typeof v === 'boolean' ? v : refuse('应为 true 或 false / expected true or false')));
const list = <T extends z.ZodType>(item: T, min: number) => z.array(item).min(min, `至少 ${min} 项 / at least ${min} items`);

// ------------------------------------------------------------------ the file

const band = z.strictObject({ min_age: int(0, 150).optional(), max_age: int(0, 150).optional(), rate: pct() });

const chongqingCredit = z.strictObject({
  model: z.literal('chongqing').describe('每月 基数×个人费率 + 基数×单位费率×划入比例 / base × person rate + base × employer rate × share'),
  person_rate: pct(), employer_rate: pct(), employer_share_to_account: pct(),
}).transform((c): CreditRule => ({ model: 'chongqing', personBp: c.person_rate, employerBp: c.employer_rate, employerShareBp: c.employer_share_to_account }));

const ageBandedCredit = z.strictObject({
  model: z.literal('age_banded').describe('按年龄段的划入比例 / rates by age band'),
  bands: list(band, 1),
  retiree_pension_rate: pct(),
}).superRefine((c, ctx) => {
  // Contiguous from 0, only the last one open (domain.md §3: "35 to 45" is 35 ≤ age ≤ 45).
  let expect = 0;
  c.bands.forEach((b, i) => {
    const at = (...p: string[]) => ['bands', i, ...p];
    const minAge = b.min_age ?? 0;
    const maxAge = b.max_age ?? null;
    const last = i === c.bands.length - 1;
    if (maxAge !== null && maxAge < minAge) ctx.addIssue({ code: 'custom', path: at('max_age'), message: `不能小于 ${minAge} / below ${minAge}` });
    if (minAge !== expect) ctx.addIssue({ code: 'custom', path: at('min_age'), message: `年龄段应从 ${expect} 岁开始，不能有空档或重叠 / bands must be contiguous from ${expect}` });
    if (maxAge === null && !last) ctx.addIssue({ code: 'custom', path: at(), message: '只有最后一个年龄段可以没有上限 / only the last band may be open' });
    if (maxAge !== null && last) ctx.addIssue({ code: 'custom', path: at('max_age'), message: '最后一个年龄段不应有上限 / the last band must be open' });
    expect = (maxAge ?? 0) + 1;
  });
}, whenValid(['bands'])).transform((c): CreditRule => ({
  model: 'age_banded',
  bands: c.bands.map((b) => ({ minAge: b.min_age ?? 0, maxAge: b.max_age ?? null, bp: b.rate })),
  retireePensionBp: c.retiree_pension_rate,
}));

const credit = z.discriminatedUnion('model', [chongqingCredit, ageBandedCredit], {
  error: (iss) => {
    if (iss.code !== 'invalid_union') return undefined;
    const model = (iss.input as { model?: unknown } | undefined)?.model;
    return absent(model) ? '缺少字段 model / missing field model' : '格式不正确，应为 chongqing | age_banded / bad format';
  },
});

const contribution = z.strictObject({
  social_average_wage: yuan(),
  base_floor: pct(),
  base_ceiling: pct({ maxBp: 999999 }),
  employer_rate: pct().optional(), employer_mutual_aid_rate: pct().optional(), person_rate: pct().optional(),
  person_mutual_aid: yuan().optional(),
}).superRefine((c, ctx) => {
  if (c.base_floor > c.base_ceiling) ctx.addIssue({ code: 'custom', path: ['base_floor'], message: '下限高于上限 / floor above ceiling' });
}, whenValid(['base_floor'], ['base_ceiling'])).transform((c) => ({ socialAverageWage: c.social_average_wage, floorBp: c.base_floor, ceilingBp: c.base_ceiling }));

const cap = z.strictObject({
  multiple: int(1, 100).optional(),
  average_contribution_base: yuan().optional(),
  amount: yuan().optional(),
}).superRefine((c, ctx) => {
  if (c.amount !== undefined) {
    if (c.multiple !== undefined) ctx.addIssue({ code: 'custom', path: [], message: '写 amount，或写 multiple + average_contribution_base，不能都写 / amount or multiple, not both' });
    return;
  }
  if (c.multiple === undefined) ctx.addIssue({ code: 'custom', path: ['multiple'], message: '应为整数 / expected an integer' });
  if (c.average_contribution_base === undefined) ctx.addIssue({ code: 'custom', path: ['average_contribution_base'], message: '缺少金额 / missing amount' });
}).transform((c) => c.amount ?? c.multiple! * c.average_contribution_base!);

const bracket = z.strictObject({
  up_to: ruled(z.union([z.literal('cap'), YUAN_SHAPE]), (v): number | 'cap' => (v === 'cap' ? 'cap' : yuanRule(v))),
  person: pct(),
});

const points = int(0, 100);
const settlement = z.strictObject({
  deductible: yuan(),
  brackets: list(bracket, 1),
  cap,
  level_extra_points: z.strictObject({ 1: points.optional(), 2: points.optional(), 3: points.optional() }).optional(),
  unfiled_extra_points: points.optional(),
  account_pays_uncovered: bool().optional(),
}).superRefine((s, ctx) => {
  if (s.cap <= s.deductible) {
    ctx.addIssue({ code: 'custom', path: ['cap'], message: '封顶线必须高于起付线 / the cap must be above the deductible line' });
    return;
  }
  let prev = s.deductible;
  s.brackets.forEach((b, i) => {
    const upTo = b.up_to === 'cap' ? s.cap : b.up_to;
    const fail = (message: string) => ctx.addIssue({ code: 'custom', path: ['brackets', i, 'up_to'], message });
    if (upTo <= prev) fail(`必须高于上一段的上限（${prev / 100} 元）/ brackets must ascend above the line`);
    else if (upTo > s.cap) fail('不能超过封顶线 / above the cap');
    else if (i === s.brackets.length - 1 && upTo !== s.cap) fail('最后一段应到封顶线（写 cap）/ the last bracket must end at the cap');
    prev = upTo;
  });
}, whenValid(['deductible'], ['cap'], ['brackets'])).transform((s) => ({
  deductible: s.deductible,
  cap: s.cap,
  brackets: s.brackets.map((b): Bracket => ({ upTo: b.up_to === 'cap' ? s.cap : b.up_to, personBp: b.person })),
  levelExtraBp: { 1: (s.level_extra_points?.[1] ?? 0) * 100, 2: (s.level_extra_points?.[2] ?? 0) * 100, 3: (s.level_extra_points?.[3] ?? 0) * 100 },
  unfiledExtraBp: (s.unfiled_extra_points ?? 10) * 100,
  accountPaysUncovered: s.account_pays_uncovered ?? false,
}));

/** The policy file; `stem`, a file name of 6 digits, must be its region. */
function policySchema(stem?: string) {
  return z.strictObject({
    region: z.preprocess(textOf, identifier(REGION_CODE, 'both', z.string(notText))),
    name: text(40).describe('地区名称，如 重庆市；步骤里可写全名或去掉 市/省/自治区 / the region\'s name, as steps write it'),
    name_en: text(40).optional().describe('English name for English steps, e.g. Chongqing'),
    account_credit: credit,
    contribution: contribution.optional(),
    catalogue: z.strictObject({ class_b_preselfpay: pct() }),
    settlement,
    interest: z.strictObject({ demand_rate: pct(), three_month_rate: pct() }),
  }).superRefine((p, ctx) => {
    if (stem !== undefined && /^\d{6}$/.test(stem) && stem !== p.region) ctx.addIssue({ code: 'custom', path: ['region'], message: `与文件名 ${stem} 不一致 / does not match the file name` });
  }, whenValid(['region'])).transform((p): Omit<Policy, 'file'> => ({
    region: p.region, name: p.name, ...(p.name_en !== undefined ? { nameEn: p.name_en } : {}),
    credit: p.account_credit,
    contribution: p.contribution ?? null,
    classBPreselfpayBp: p.catalogue.class_b_preselfpay,
    ...p.settlement,
    demandBp: p.interest.demand_rate,
    threeMonthBp: p.interest.three_month_rate,
  }));
}

const format = (schema: z.ZodType<Omit<Policy, 'file'>>): Format<Omit<Policy, 'file'>> => defineFormat({
  id: 'policy',
  title: '医保政策 / medical insurance policy (fixtures/policies/<region>.yaml)',
  description: '一个地区的划入、起付线、分段、封顶线和利率（domain.md §3–§7）。金额写元（"400.00"），比例写百分数（"25%"）。',
  schema, scalars: 'core', wording: BILINGUAL_WORDING,
});

/** The policy file format (schemas/policy.schema.json). */
export const POLICY_FORMAT = format(policySchema());

export function loadPolicyFile(file: string, text?: string): Policy {
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  return { ...loadYaml(format(policySchema(stem)), file, { text }), file };
}

/** Every <region>.yaml in a folder, by region code. */
export function loadPolicies(dir: string): Map<string, Policy> {
  const out = new Map<string, Policy>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const p = loadPolicyFile(path.join(dir, f));
    if (out.has(p.region)) throw new YamlError([{ file: p.file, line: 1, field: 'region', message: `地区 ${p.region} 已在 ${out.get(p.region)!.file} 定义 / duplicate region` }]);
    out.set(p.region, p);
  }
  return out;
}
