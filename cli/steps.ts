// `medcard steps`: every step of the vocabulary in both languages, with an example, for
// analysts who write scenarios without code.
import { parseOptions } from './args';
import { PARAMETERS, VOCABULARY, type StepSpec } from '../steps';

const HELP = `usage: medcard steps [--lang zh|en] [--grep <text>] [--markdown]

Lists every step: its Chinese and English phrasing, an example of each, and the data table
it takes, if any. Parameters: {money} 332.80 元 / CNY 332.80, {date} 2024-03-15,
{string} "张三", {int} 3, {region} 重庆 / Chongqing / 500000, {insutype} 职工医保 / employee insurance,
{fixture} fixtures/cards/zhang-san.yaml / zhang-san / fixtures/world/people.yaml.`;

const EXAMPLES_ZH: Record<string, string> = { string: '"张三"', int: '3', money: '120.00 元', date: '2024-03-15', region: '重庆', insutype: '职工医保', cashreason: '急诊没带卡', percent: '25%', fixture: 'fixtures/cards/zhang-san.yaml' };
const EXAMPLES_EN: Record<string, string> = { string: '"Zhang San"', int: '3', money: 'CNY 120.00', date: '2024-03-15', region: 'Chongqing', insutype: 'employee insurance', cashreason: 'an emergency without the card', percent: '25%', fixture: 'zhang-san' };

function fillIn(expr: string, table: Record<string, string>): string {
  return expr.replace(/\{(\w*)\}/g, (_, n: string) => table[n] ?? `<${n}>`);
}

/** The example `medcard steps` shows for a step, in each language. */
export function exampleOf(s: StepSpec): { zh: string; en: string } {
  return { zh: s.example?.zh ?? fillIn(s.zh, EXAMPLES_ZH), en: s.example?.en ?? fillIn(s.en, EXAMPLES_EN) };
}

const KW_ZH = { Given: '假如', When: '当', Then: '那么' } as const;
const KW_EN = { Given: 'Given', When: 'When', Then: 'Then' } as const;

export function listSteps(opts: { lang?: string; grep?: string; markdown?: boolean } = {}): string {
  const rows = VOCABULARY.filter((s) => !opts.grep || s.zh.includes(opts.grep) || s.en.toLowerCase().includes(opts.grep.toLowerCase()));
  const out: string[] = [];
  const ex = exampleOf;
  if (opts.markdown) {
    out.push('| 中文 | English | 例 / example |', '| --- | --- | --- |');
    for (const s of rows) { const e = ex(s); out.push(`| \`${s.zh}\` | \`${s.en}\` | ${KW_ZH[s.kind]} ${e.zh}<br>${KW_EN[s.kind]} ${e.en}${s.table ? `<br>table: ${s.table}` : ''} |`); }
    return out.join('\n');
  }
  let n = 0;
  for (const s of rows) {
    const e = ex(s);
    out.push(`${++n}. [${s.kind}]${s.needs ? ` (needs @needs-${s.needs})` : ''}`);
    if (opts.lang !== 'en') out.push(`   ${s.zh}`, `     例: ${KW_ZH[s.kind]} ${e.zh}`);
    if (opts.lang !== 'zh') out.push(`   ${s.en}`, `     e.g. ${KW_EN[s.kind]} ${e.en}`);
    if (s.table) out.push(`     表格 / table: ${s.table}`);
  }
  out.push('', '参数 / parameters:', ...PARAMETERS.map((p) => `  {${p.name}}  e.g. ${p.example}`), '  {string}  "张三"  (quoted)', '  {int}  3');
  return out.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { lang: { type: 'string' }, grep: { type: 'string' }, markdown: { type: 'boolean' } }, HELP);
  if (!parsed) return 0;
  const v = parsed.values as { lang?: string; grep?: string; markdown?: boolean };
  if (v.lang && v.lang !== 'zh' && v.lang !== 'en') { console.error('medcard steps: --lang is zh or en'); return 2; }
  console.log(listSteps(v));
  return 0;
}
