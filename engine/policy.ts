// Policies are data: fixtures/policies/<region>.yaml, validated on load (domain.md §3–§7).
// All amounts in fen, all rates in basis points (1 bp = 0.01%).
import fs from 'node:fs';
import path from 'node:path';
import { YamlFile, YamlError } from './yamlcheck';

export { YamlError as PolicyError };

export type CreditRule =
  | { model: 'chongqing'; personBp: number; employerBp: number; employerShareBp: number }
  | { model: 'age_banded'; bands: Array<{ minAge: number; maxAge: number | null; bp: number }>; retireePensionBp: number };

export interface Bracket { upTo: number /* fen, cumulative; Infinity-free: the cap is resolved */; personBp: number }

export interface Policy {
  region: string;
  name: string;
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

export function loadPolicyFile(file: string, text?: string): Policy {
  const y = new YamlFile(file, text);
  y.map([], ['region', 'name', 'account_credit', 'contribution', 'catalogue', 'settlement', 'interest'],
    ['region', 'name', 'account_credit', 'catalogue', 'settlement', 'interest']);
  const region = y.str(['region'], { re: /^\d{6}$/, what: '6 位行政区划代码' });
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  if (/^\d{6}$/.test(stem) && stem !== region) y.fail(['region'], `与文件名 ${stem} 不一致 / does not match the file name`);
  const name = y.str(['name'], { max: 40 });

  const model = y.str(['account_credit', 'model'], { re: /^(chongqing|age_banded)$/, what: 'chongqing | age_banded' });
  let credit: CreditRule;
  if (model === 'chongqing') {
    y.map(['account_credit'], ['model', 'person_rate', 'employer_rate', 'employer_share_to_account'], ['person_rate', 'employer_rate', 'employer_share_to_account']);
    credit = { model: 'chongqing', personBp: y.pct(['account_credit', 'person_rate']), employerBp: y.pct(['account_credit', 'employer_rate']), employerShareBp: y.pct(['account_credit', 'employer_share_to_account']) };
  } else {
    y.map(['account_credit'], ['model', 'bands', 'retiree_pension_rate'], ['bands', 'retiree_pension_rate']);
    const n = y.seqLength(['account_credit', 'bands'], { min: 1 });
    const bands = [];
    let expect = 0;
    for (let i = 0; i < n; i++) {
      const p = ['account_credit', 'bands', i];
      y.map(p, ['min_age', 'max_age', 'rate'], ['rate']);
      const minAge = y.has([...p, 'min_age']) ? y.int([...p, 'min_age'], { min: 0, max: 150 }) : 0;
      const maxAge = y.has([...p, 'max_age']) ? y.int([...p, 'max_age'], { min: minAge, max: 150 }) : null;
      if (minAge !== expect) y.fail([...p, 'min_age'], `年龄段应从 ${expect} 岁开始，不能有空档或重叠 / bands must be contiguous from ${expect}`);
      if (maxAge === null && i !== n - 1) y.fail(p, '只有最后一个年龄段可以没有上限 / only the last band may be open');
      if (maxAge !== null && i === n - 1) y.fail([...p, 'max_age'], '最后一个年龄段不应有上限 / the last band must be open');
      expect = (maxAge ?? 0) + 1;
      bands.push({ minAge, maxAge, bp: y.pct([...p, 'rate']) });
    }
    credit = { model: 'age_banded', bands, retireePensionBp: y.pct(['account_credit', 'retiree_pension_rate']) };
  }

  let contribution: Policy['contribution'] = null;
  if (y.has(['contribution'])) {
    y.map(['contribution'], ['social_average_wage', 'base_floor', 'base_ceiling', 'employer_rate', 'employer_mutual_aid_rate', 'person_rate', 'person_mutual_aid'], ['social_average_wage', 'base_floor', 'base_ceiling']);
    contribution = { socialAverageWage: y.yuan(['contribution', 'social_average_wage']), floorBp: y.pct(['contribution', 'base_floor']), ceilingBp: y.pct(['contribution', 'base_ceiling'], { maxBp: 999999 }) };
    for (const k of ['employer_rate', 'employer_mutual_aid_rate', 'person_rate']) if (y.has(['contribution', k])) y.pct(['contribution', k]);
    if (y.has(['contribution', 'person_mutual_aid'])) y.yuan(['contribution', 'person_mutual_aid']);
    if (contribution.floorBp > contribution.ceilingBp) y.fail(['contribution', 'base_floor'], '下限高于上限 / floor above ceiling');
  }

  y.map(['catalogue'], ['class_b_preselfpay'], ['class_b_preselfpay']);
  const classBPreselfpayBp = y.pct(['catalogue', 'class_b_preselfpay']);

  const S = ['settlement'];
  y.map(S, ['deductible', 'brackets', 'cap', 'level_extra_points', 'unfiled_extra_points', 'account_pays_uncovered'], ['deductible', 'brackets', 'cap']);
  const deductible = y.yuan([...S, 'deductible']);
  y.map([...S, 'cap'], ['multiple', 'average_contribution_base', 'amount']);
  let cap: number;
  if (y.has([...S, 'cap', 'amount'])) {
    if (y.has([...S, 'cap', 'multiple'])) y.fail([...S, 'cap'], '写 amount，或写 multiple + average_contribution_base，不能都写 / amount or multiple, not both');
    cap = y.yuan([...S, 'cap', 'amount']);
  } else {
    const multiple = y.int([...S, 'cap', 'multiple'], { min: 1, max: 100 });
    cap = multiple * y.yuan([...S, 'cap', 'average_contribution_base']);
  }
  if (cap <= deductible) y.fail([...S, 'cap'], '封顶线必须高于起付线 / the cap must be above the deductible line');
  const nb = y.seqLength([...S, 'brackets'], { min: 1 });
  const brackets: Bracket[] = [];
  let prev = deductible;
  for (let i = 0; i < nb; i++) {
    const p = [...S, 'brackets', i];
    y.map(p, ['up_to', 'person'], ['up_to', 'person']);
    const raw = y.raw([...p, 'up_to']);
    const upTo = raw === 'cap' ? cap : y.yuan([...p, 'up_to']);
    if (upTo <= prev) y.fail([...p, 'up_to'], `必须高于上一段的上限（${prev / 100} 元）/ brackets must ascend above the line`);
    if (upTo > cap) y.fail([...p, 'up_to'], '不能超过封顶线 / above the cap');
    if (i === nb - 1 && upTo !== cap) y.fail([...p, 'up_to'], '最后一段应到封顶线（写 cap）/ the last bracket must end at the cap');
    brackets.push({ upTo, personBp: y.pct([...p, 'person']) });
    prev = upTo;
  }
  const levelExtraBp = { 1: 0, 2: 0, 3: 0 } as Record<1 | 2 | 3, number>;
  if (y.has([...S, 'level_extra_points'])) {
    y.map([...S, 'level_extra_points'], ['1', '2', '3']);
    for (const lv of [1, 2, 3] as const) {
      if (y.has([...S, 'level_extra_points', lv])) levelExtraBp[lv] = y.int([...S, 'level_extra_points', lv], { min: 0, max: 100 }) * 100;
    }
  }
  const unfiledExtraBp = y.has([...S, 'unfiled_extra_points']) ? y.int([...S, 'unfiled_extra_points'], { min: 0, max: 100 }) * 100 : 1000;
  const accountPaysUncovered = y.bool([...S, 'account_pays_uncovered'], false);

  y.map(['interest'], ['demand_rate', 'three_month_rate'], ['demand_rate', 'three_month_rate']);
  return {
    region, name, file, credit, contribution, classBPreselfpayBp, deductible, brackets, cap, levelExtraBp, unfiledExtraBp, accountPaysUncovered,
    demandBp: y.pct(['interest', 'demand_rate']), threeMonthBp: y.pct(['interest', 'three_month_rate']),
  };
}

/** Every <region>.yaml in a folder, by region code. */
export function loadPolicies(dir: string): Map<string, Policy> {
  const out = new Map<string, Policy>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const p = loadPolicyFile(path.join(dir, f));
    if (out.has(p.region)) throw new YamlError(p.file, 1, 'region', `地区 ${p.region} 已在 ${out.get(p.region)!.file} 定义 / duplicate region`);
    out.set(p.region, p);
  }
  return out;
}
