// `medcard steps`: every step of the vocabulary in both languages, each with its hand-written
// example, for analysts who write scenarios without code; `--json` for editors and tools.
import { parseOptions } from './args';
import { say, type Lang } from './lang';
import { PARAMETERS, VOCABULARY, type StepSpec } from '../steps';

const HELP = `usage: medcard steps [--lang zh|en] [--grep <text>] [--markdown | --json]

Lists every step: its Chinese and English phrasing, a real example of each, and the data
table it takes, if any. --lang shows one language only (and sets the language of messages,
default from LC_ALL / LC_MESSAGES / LANG). --grep keeps the steps whose wording contains the
text (either language, any case); it says so when none does (exit 1). --json writes the
catalogue for tools: each step's kind, subject file, phrasings, example, table, rig need,
and the parameter types.
Parameters: {money} 332.80 元 / CNY 332.80, {date} 2024-03-15, {string} "张三", {int} 3,
{region} 重庆 / Chongqing / 500000, {insutype} 职工医保 / employee insurance,
{fixture} fixtures/cards/zhang-san.yaml / zhang-san / fixtures/world/people.yaml.`;

const KW_ZH = { Given: '假如', When: '当', Then: '那么' } as const;
const KW_EN = { Given: 'Given', When: 'When', Then: 'Then' } as const;

/** Built into cucumber, used by the vocabulary beside ours. */
const BUILT_IN = [{ name: 'string', example: '"张三"', note: '(quoted)' }, { name: 'int', example: '3', note: '' }];

export interface ListOptions { lang?: Lang; grep?: string; markdown?: boolean }

export function selectSteps(grep?: string): StepSpec[] {
  if (!grep) return [...VOCABULARY];
  const g = grep.toLowerCase();
  return VOCABULARY.filter((s) => [s.zh, s.en, s.table ?? ''].some((t) => t.toLowerCase().includes(g)));
}

export function listSteps(opts: ListOptions = {}): string {
  const rows = selectSteps(opts.grep);
  const out: string[] = [];
  if (opts.markdown) {
    out.push('| 中文 | English | 例 / example |', '| --- | --- | --- |');
    for (const s of rows) out.push(`| \`${s.zh}\` | \`${s.en}\` | ${KW_ZH[s.kind]} ${s.example.zh}<br>${KW_EN[s.kind]} ${s.example.en}${s.table ? `<br>table: ${s.table}` : ''} |`);
    return out.join('\n');
  }
  let n = 0;
  for (const s of rows) {
    out.push(`${++n}. [${s.kind}]${s.needs ? ` (needs @needs-${s.needs})` : ''}`);
    if (opts.lang !== 'en') out.push(`   ${s.zh}`, `     例: ${KW_ZH[s.kind]} ${s.example.zh}`);
    if (opts.lang !== 'zh') out.push(`   ${s.en}`, `     e.g. ${KW_EN[s.kind]} ${s.example.en}`);
    if (s.table) out.push(`     表格 / table: ${s.table}`);
  }
  out.push('', '参数 / parameters:', ...PARAMETERS.map((p) => `  {${p.name}}  e.g. ${p.example}`), ...BUILT_IN.map((p) => `  {${p.name}}  ${p.example}${p.note ? `  ${p.note}` : ''}`));
  return out.join('\n');
}

/** The catalogue for tools (`--json`): the steps as `medcard steps` lists them, and the parameter types. */
export function stepsJson(grep?: string): object {
  return {
    steps: selectSteps(grep).map((s) => ({
      kind: s.kind, keyword: { zh: KW_ZH[s.kind], en: KW_EN[s.kind] }, subject: `steps/${s.subject}.ts`,
      zh: s.zh, en: s.en, example: s.example, ...(s.table ? { table: s.table } : {}), ...(s.needs ? { needs: s.needs } : {}),
    })),
    parameters: [
      ...PARAMETERS.map((p) => ({ name: p.name, regexp: p.regexp.source, example: p.example })),
      ...BUILT_IN.map((p) => ({ name: p.name, builtIn: true, example: p.example })),
    ],
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { grep: { type: 'string' }, markdown: { type: 'boolean' }, json: { type: 'boolean' } }, HELP);
  if (!parsed) return 0;
  const v = parsed.values as { grep?: string; markdown?: boolean; json?: boolean };
  const lang = parsed.lang;
  if (v.markdown && v.json) { console.error(`medcard steps: ${say(lang, { zh: '--markdown 和 --json 只能选一个', en: '--markdown or --json, not both' })}`); return 2; }
  if (v.grep !== undefined && selectSteps(v.grep).length === 0) {
    console.error(`medcard steps: ${say(lang, {
      zh: `没有步骤的说法包含 "${v.grep}"（共 ${VOCABULARY.length} 个步骤）：换一个更短的词，或不加 --grep 看全部`,
      en: `no step's wording contains "${v.grep}" (of ${VOCABULARY.length} steps): try a shorter word, or leave out --grep to see them all`,
    })}`);
    return 1;
  }
  if (v.json) { console.log(JSON.stringify(stepsJson(v.grep), null, 2)); return 0; }
  console.log(listSteps({ lang: (parsed.values as { lang?: string }).lang as Lang | undefined, grep: v.grep, markdown: v.markdown }));
  return 0;
}
