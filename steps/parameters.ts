// Every parameter type of the step vocabulary, in one file. Each has a regexp (what a
// scenario may write) and a transformer (what a step receives). Money is integer fen.
import * as path from 'node:path';
import { parseYuan } from '../platform';
import { loadPolicies, type Policy } from '../engine';
import { fixturesDir } from './fixtures';
import { fail } from './said';

export interface ParameterSpec { name: string; regexp: RegExp; transformer: (s: string) => unknown; example: string; useForSnippets?: boolean }

/**
 * The names regions go by, from the policy files of a folder: each file's `name` (重庆市),
 * that name without its 市 / 省 / 自治区 (重庆) unless two regions would share it, and its
 * `name_en` (Chongqing). A new region is one YAML file, no code; a 6-digit code works too.
 */
export function regionNames(policiesDir: string): Record<string, string> {
  const policies = [...loadPolicies(policiesDir).values()];
  const owner = new Map<string, Policy>();
  for (const p of policies) {
    for (const n of [p.name, p.nameEn]) {
      const other = n ? owner.get(n) : undefined;
      if (other && other.region !== p.region) throw fail({ zh: `${p.file}：地区名 "${n}" 也是 ${other.region} 的名称（${other.file}）`, en: `${p.file}: the region name "${n}" is also the name of ${other.region} (${other.file})` });
      if (n) owner.set(n, p);
    }
  }
  const short = policies.map((p) => [p.name.replace(/(市|省|自治区)$/, ''), p] as const).filter(([n]) => n && !owner.has(n));
  for (const [n, p] of short) if (short.filter(([m]) => m === n).length === 1) owner.set(n, p);
  return Object.fromEntries([...owner].map(([n, p]) => [n, p.region]));
}

/** Region names analysts write → 6-digit division codes, from the policies of this run's fixtures (fixturesDir()). */
export const REGIONS: Record<string, string> = regionNames(path.join(fixturesDir(), 'policies'));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const regionNamesRe = Object.keys(REGIONS).sort((a, b) => b.length - a.length).map(escape).join('|');

export const INSUTYPES: Record<string, '310' | '390'> = {
  职工医保: '310', 职工基本医疗保险: '310', 'employee insurance': '310',
  居民医保: '390', 城乡居民医保: '390', 'resident insurance': '390',
};

/** Why a visit is paid in cash first (domain.md §5); steps/vocabulary.ts maps each to a claim reason. */
export const CASH_REASON_WORDS = [
  '急诊没带卡', 'an emergency without the card', '计划生育手术', 'family-planning surgery', '尚未发卡', 'no card issued yet',
  '补换卡期间', 'the card replacement period', '未出示社保卡', 'no card presented',
] as const;

export const PARAMETERS: ParameterSpec[] = [
  {
    name: 'money',
    // 332.80 元 | 332.8元 | CNY 332.80 | ¥332.80
    regexp: /(?:CNY|RMB) ?\d+(?:\.\d{1,2})?|[¥￥]\d+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})? ?元/,
    transformer: (s) => {
      try { return parseYuan(s); } catch (err) {
        throw fail({ zh: `"${s}" 不是有效金额（请写成 332.80 元、332.8元 或 CNY 332.80）：${(err as Error).message}`, en: `"${s}" is not an amount of money (write it like 332.80 元, 332.8元 or CNY 332.80): ${(err as Error).message}` });
      }
    },
    example: '332.80 元',
  },
  {
    name: 'date',
    regexp: /\d{4}-\d{2}-\d{2}/,
    transformer: (s) => { if (Number.isNaN(Date.parse(`${s}T00:00:00Z`))) throw fail({ zh: `${s} 不是日期（请写成 YYYY-MM-DD，如 2024-03-15）`, en: `not a date: ${s} (write YYYY-MM-DD, e.g. 2024-03-15)` }); return s; },
    example: '2024-03-15',
  },
  {
    name: 'region',
    regexp: new RegExp(regionNamesRe ? `${regionNamesRe}|\\d{6}` : '\\d{6}'),
    transformer: (s) => REGIONS[s] ?? s,
    example: '重庆',
  },
  {
    name: 'insutype',
    regexp: new RegExp(Object.keys(INSUTYPES).sort((a, b) => b.length - a.length).join('|')),
    transformer: (s) => INSUTYPES[s],
    example: '职工医保',
  },
  {
    name: 'cashreason',
    regexp: new RegExp(CASH_REASON_WORDS.join('|')),
    transformer: (s) => s,
    example: '急诊没带卡',
  },
  {
    name: 'fixture',
    // fixtures/cards/zhang-san.yaml | cards/zhang-san.yaml | fixtures/world/people.yaml | a profile id: zhang-san
    regexp: /(?:fixtures\/)?(?:cards|world)\/[\w.-]+\.ya?ml|[a-z][a-z0-9]*(?:-[a-z0-9]+)+/,
    transformer: (s) => s,
    example: 'fixtures/cards/zhang-san.yaml',
  },
  {
    name: 'percent',
    regexp: /\d+(?:\.\d+)?%/,
    // basis points, integer: "25%" → 2500
    transformer: (s) => { const [w, f = ''] = s.slice(0, -1).split('.'); return Number(w) * 100 + Number((f + '00').slice(0, 2)); },
    example: '25%',
  },
];
