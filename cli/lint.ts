// Checks of what analysts write, without running anything or starting an engine: feature
// files (Gherkin that parses, keywords spelled right, every step in the vocabulary exactly
// once, tags, rig needs) and the YAML of fixtures and rigs (schema/'s formats, the loaders'
// own rules). `medcard check` prints every problem; `medcard run` stops on the errors
// before any scenario (exit 2). Each problem names file and line (and field, for YAML).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile, dialects } from '@cucumber/gherkin';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { YamlDocument, check, namedFile, YamlError, type YamlIssue } from '../schema';
import type { StepSpec } from '../steps';
import { say, type Lang, type Said } from './lang';
import { closestSteps, editDistance, undefinedStepAdvice, type ParameterLike } from './snippets';

const ROOT = path.resolve(__dirname, '..');

export interface Problem { file: string; line?: number; severity: 'error' | 'warning'; text: Said }

export function formatProblem(p: Problem, lang: Lang): string {
  const where = `${path.relative(process.cwd(), p.file) || p.file}${p.line ? `:${p.line}` : ''}`;
  const level = p.severity === 'warning' ? say(lang, { zh: '提醒: ', en: 'warning: ' }) : '';
  return `${where}: ${level}${say(lang, p.text)}`;
}

const both = (text: string): Said => ({ zh: text, en: text });

// ------------------------------------------------------------------ feature files

/** The .feature files under the paths given (a file, a folder, or a `dir/**\/*.feature` glob). */
export function featureFiles(paths: readonly string[]): string[] {
  const walk = (p: string): string[] => {
    if (!fs.existsSync(p)) return [];
    if (fs.statSync(p).isFile()) return p.endsWith('.feature') ? [p] : [];
    return fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => (e.isDirectory() ? walk(path.join(p, e.name)) : e.name.endsWith('.feature') ? [path.join(p, e.name)] : []));
  };
  // `x.feature:12` (cucumber's one-scenario form) is the file x.feature.
  const plain = (p: string) => (p.includes('*') ? p.slice(0, p.indexOf('*')).replace(/\/$/, '') || '.' : p.replace(/(\.feature)(:\d+)+$/, '$1'));
  return [...new Set(paths.flatMap((p) => walk(plain(p))))];
}

/** The vocabulary as cucumber will match it: each phrasing compiled with our parameter types. */
export interface Vocabulary {
  steps: readonly StepSpec[];
  parameters: readonly ParameterLike[];
  /** Every step whose zh or en phrasing matches the text exactly. */
  matching(text: string): StepSpec[];
}

export function vocabularyOf(steps: readonly StepSpec[], parameters: readonly ParameterLike[]): Vocabulary {
  const registry = new ParameterTypeRegistry();
  for (const p of parameters) registry.defineParameterType(new ParameterType(p.name, p.regexp, null, (s: string) => s, false, false));
  // The expressions' regular expressions, tested: match() would also build every argument
  // (cucumber-expressions' group builder), most of the lint's time. The same texts recur, within
  // a feature and across features, so each is matched once.
  const compiled = steps.map((s) => ({ s, patterns: [new CucumberExpression(s.zh, registry).regexp, new CucumberExpression(s.en, registry).regexp] }));
  const seen = new Map<string, StepSpec[]>();
  const matching = (text: string) => {
    let found = seen.get(text);
    if (!found) seen.set(text, found = compiled.filter(({ patterns }) => patterns.some((p) => p.test(text))).map(({ s }) => s));
    return found;
  };
  return { steps, parameters, matching };
}

/** What the tag rules of features/README.md know: topics, rig capabilities, Allure severities. */
export interface TagRules { topics: ReadonlySet<string>; capabilities: readonly string[] }

export function tagRules(capabilities: readonly string[]): TagRules {
  const readme = path.join(ROOT, 'features', 'README.md');
  const topicLine = fs.existsSync(readme) ? /Topic: ([\s\S]*?)\.\n/.exec(fs.readFileSync(readme, 'utf8'))?.[1] ?? '' : '';
  return { topics: new Set(topicLine.match(/@[\w-]+/g) ?? []), capabilities };
}

const SEVERITIES = ['blocker', 'critical', 'normal', 'minor', 'trivial'];
const KINDS: Record<string, StepSpec['kind']> = { Context: 'Given', Action: 'When', Outcome: 'Then' };

export interface LintOptions {
  /** The steps to match against; absent when the run brings step code of its own (only the Gherkin and tags are checked). */
  vocabulary?: Vocabulary;
  tags: TagRules;
  /** Which scenarios to check the steps of (by the line of the scenario or its example row); default all. */
  selected?: (line: number) => boolean;
  /** The reader's language, for the advice on undefined steps. */
  lang: Lang;
  /** A rig to run on (`medcard check --rig`): scenarios it would skip are named, with what it lacks. */
  rig?: { name: string; capabilities: readonly string[] };
}

/** Every problem of one feature file. */
export function lintFeature(file: string, o: LintOptions): Problem[] {
  const text = fs.readFileSync(file, 'utf8');
  const language = /^\s*#\s*language:\s*(\S+)/m.exec(text)?.[1] ?? 'en';
  const dialect = dialects[language];
  if (!dialect) return [{ file, line: 1, severity: 'error', text: { zh: `不认识的语言 "${language}"：中文写 # language: zh-CN`, en: `unknown language "${language}": write # language: zh-CN for Chinese, or no line for English` } }];
  let n = 0;
  const newId = () => String(++n);
  let doc;
  try {
    doc = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher(language)).parse(text);
  } catch (err) {
    const errors = (err as { errors?: Array<{ message: string; location?: { line: number } }> }).errors ?? [{ message: (err as Error).message }];
    return errors.map((e) => parseProblem(file, text, e, dialect));
  }
  const problems: Problem[] = [...keywordProblems(file, text, doc, dialect)];
  const lines = new Map<string, { line: number; keyword?: string }>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const r = node as { id?: string; location?: { line: number }; keyword?: string };
    if (r.id && r.location) lines.set(r.id, { line: r.location.line, keyword: r.keyword });
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v);
  };
  walk(doc.feature);
  const pickles = compile({ ...doc, uri: file }, file, newId);
  // The review rules of features/README.md bind the suite's own features, not compliance's or a scratch file.
  const reviewed = o.tags.topics.size > 0 && path.resolve(file).startsWith(path.join(ROOT, 'features') + path.sep);
  const taggedFileWide = new Set<string>();
  for (const pickle of pickles) {
    const at = lines.get(pickle.astNodeIds[pickle.astNodeIds.length - 1]!)?.line ?? lines.get(pickle.astNodeIds[0]!)?.line;
    if (o.selected && at !== undefined && !o.selected(at)) continue;
    const tags = pickle.tags.map((t) => t.name);
    const scenarioLine = lines.get(pickle.astNodeIds[0]!)?.line;
    for (const t of tags) {
      const need = /^@needs-(.+)$/.exec(t)?.[1];
      if (need && !o.tags.capabilities.includes(need) && !taggedFileWide.has(t)) {
        taggedFileWide.add(t);
        problems.push({ file, line: scenarioLine, severity: 'error', text: { zh: `标签 ${t}：读卡环境没有 "${need}" 这种能力（可用：${o.tags.capabilities.map((c) => `@needs-${c}`).join('、')}）`, en: `tag ${t}: no rig capability "${need}" (there are ${o.tags.capabilities.map((c) => `@needs-${c}`).join(', ')})` } });
      }
      const severity = /^@severity:(.*)$/.exec(t)?.[1];
      if (severity !== undefined && !SEVERITIES.includes(severity) && !taggedFileWide.has(t)) {
        taggedFileWide.add(t);
        problems.push({ file, line: scenarioLine, severity: 'warning', text: { zh: `标签 ${t}：严重程度只能是 ${SEVERITIES.join('、')}，否则只是普通标签`, en: `tag ${t}: a severity is one of ${SEVERITIES.join(', ')}; anything else stays a plain tag` } });
      }
    }
    if (reviewed && !tags.some((t) => o.tags.topics.has(t))) problems.push({ file, line: scenarioLine, severity: 'warning', text: { zh: `场景 "${pickle.name}" 没有 features/README.md 里列出的主题标签（如 @brackets）`, en: `scenario "${pickle.name}" has no topic tag from features/README.md (such as @brackets)` } });
    if (reviewed && (!tags.some((t) => /^@domain-\d/.test(t)) || !tags.some((t) => /^@seed-\d{3}$/.test(t)))) problems.push({ file, line: scenarioLine, severity: 'warning', text: { zh: `场景 "${pickle.name}" 应注明依据：@domain-<章节> 和 @seed-<编号> 标签`, en: `scenario "${pickle.name}" should cite its source: a @domain-<section> and a @seed-<nnn> tag` } });
    const needs = new Set(tags.map((t) => /^@needs-(.+)$/.exec(t)?.[1]).filter((c): c is string => !!c));
    for (const step of o.vocabulary ? pickle.steps : []) {
      const vocabulary = o.vocabulary!;
      const ast = lines.get(step.astNodeIds[0]!);
      const line = ast?.line;
      const found = vocabulary.matching(step.text);
      if (found.length === 0) {
        const keyword = ast?.keyword ?? '';
        const advice = (lang: Lang) => undefinedStepAdvice(lang, { keyword, text: step.text, kind: KINDS[String(step.type)] ?? 'Given', textLang: language.startsWith('zh') ? 'zh' : 'en', suggestions: closestSteps(step.text, vocabulary.steps, vocabulary.parameters), parameters: vocabulary.parameters });
        problems.push({ file, line, severity: 'error', text: { zh: `没有这个步骤：${keyword.trim()} ${step.text}\n${advice('zh')}`, en: `undefined step: ${keyword.trim()} ${step.text}\n${advice('en')}` } });
      } else if (found.length > 1) {
        const list = found.map((s) => `    ${s.zh}  /  ${s.en}`).join('\n');
        problems.push({ file, line, severity: 'error', text: { zh: `步骤 "${step.text}" 同时符合 ${found.length} 个步骤，请改写得更明确（或请开发人员修改 steps/ 里重叠的说法）：\n${list}`, en: `step "${step.text}" matches ${found.length} steps; reword it (or a developer fixes the overlapping phrasings in steps/):\n${list}` } });
      }
      for (const s of found) if (s.needs) needs.add(s.needs);
      for (const s of found.filter((s) => s.needs && !tags.includes(`@needs-${s.needs}`)).slice(0, 1)) {
        problems.push({ file, line, severity: 'warning', text: { zh: `这一步需要读卡环境能 ${s.needs}：给场景加上 @needs-${s.needs} 标签（没有这种能力的环境会跳过它）`, en: `this step needs a rig that can ${s.needs}: tag the scenario @needs-${s.needs} (rigs without it skip the scenario)` } });
      }
    }
    const lacking = o.rig ? [...needs].filter((c) => !o.rig!.capabilities.includes(c)) : [];
    if (lacking.length) problems.push({ file, line: scenarioLine, severity: 'warning', text: { zh: `读卡环境 "${o.rig!.name}" 会跳过场景 "${pickle.name}"：缺少 ${lacking.join('、')}`, en: `rig "${o.rig!.name}" would skip scenario "${pickle.name}": it lacks ${lacking.join(', ')}` } });
  }
  return dedupe(problems);
}

const dedupe = (ps: Problem[]) => ps.filter((p, i) => ps.findIndex((q) => q.file === p.file && q.line === p.line && q.text.en === p.text.en) === i);

type Dialect = (typeof dialects)[string];
const BLOCK_KEYWORDS = ['feature', 'background', 'scenario', 'scenarioOutline', 'examples', 'rule'] as const;
const STEP_KEYWORDS = ['given', 'when', 'then', 'and', 'but'] as const;
const blockKeywords = (d: Dialect) => BLOCK_KEYWORDS.flatMap((k) => d[k] as readonly string[]);
const stepKeywords = (d: Dialect) => STEP_KEYWORDS.flatMap((k) => (d[k] as readonly string[]).filter((w) => w.trim() !== '*'));

/** The block keyword a mistyped word was meant to be, when it is one or two edits away. */
function meantKeyword(word: string, d: Dialect): string | undefined {
  let best: { k: string; dist: number } | undefined;
  for (const k of blockKeywords(d)) {
    const dist = editDistance([...word.toLowerCase()], [...k.toLowerCase()]);
    if (dist > 0 && dist <= (k.length <= 4 ? 1 : 2) && (!best || dist < best.dist)) best = { k, dist };
  }
  return best?.k;
}

/**
 * Lines Gherkin read as free description: a misspelled keyword (`场境:`) or a full-width
 * colon (`场景：`) turns a scenario into description, silently, and its steps with it.
 */
function keywordProblems(file: string, text: string, doc: { feature?: unknown }, d: Dialect): Problem[] {
  const fileLines = text.split(/\r?\n/);
  const out: Problem[] = [];
  const descriptions: Array<{ after: number; text: string }> = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const r = node as { description?: string; location?: { line: number } };
    if (typeof r.description === 'string' && r.description.trim() && r.location) descriptions.push({ after: r.location.line, text: r.description });
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v);
  };
  walk(doc.feature);
  const keywords = blockKeywords(d);
  const steps = stepKeywords(d);
  const isStep = (t: string) => steps.some((k) => t.startsWith(k.endsWith(' ') ? k : `${k} `)); // with its space: prose may begin with 当
  for (const desc of descriptions) {
    let from = desc.after;
    let explained = false; // a keyword problem above explains the stray steps below it
    const texts = desc.text.split('\n');
    texts.forEach((dl, n) => {
      const idx = fileLines.findIndex((l, i) => i >= from && l === dl);
      const line = idx >= 0 ? idx + 1 : undefined;
      if (idx >= 0) from = idx + 1;
      const t = dl.trim();
      const head = /^([^:：#|"@]{1,30}?)\s*([:：])/.exec(t);
      const word = head?.[1]?.trim() ?? '';
      const meant = head && !keywords.includes(word) ? meantKeyword(word, d) : undefined;
      // Steps right below make it a scenario that lost its keyword, not prose that begins with a word like 背景：
      const stepsFollow = texts.slice(n + 1).some((x) => isStep(x.trim()));
      if (head && keywords.includes(word) && head[2] === '：') {
        explained = true;
        out.push({ file, line, severity: stepsFollow ? 'error' : 'warning', text: { zh: `"${t}"：关键字后要用英文冒号 "${word}:"，不是全角的 "："`, en: `"${t}": a keyword takes an ASCII colon, "${word}:", not the full-width "："` } });
      } else if (meant) {
        explained = true;
        out.push({ file, line, severity: stepsFollow ? 'error' : 'warning', text: { zh: `"${word}:" 不是关键字，您是不是想写 "${meant}:"？（这样写，下面的步骤都被当成了说明文字）`, en: `"${word}:" is not a keyword: did you mean "${meant}:"? (as written, the steps below it are read as description)` } });
      } else if (!explained && isStep(t)) {
        explained = true;
        out.push({ file, line, severity: 'error', text: { zh: `步骤 "${t}" 不在任何场景里：它上面应有一行 "${d.scenario[0]}: …"`, en: `the step "${t}" is in no scenario: a "${d.scenario[0]}: …" line should come before it` } });
      }
    });
  }
  return out;
}

/** A Gherkin parse error as an analyst reads it. */
function parseProblem(file: string, text: string, e: { message: string; location?: { line: number } }, d: Dialect): Problem {
  const line = e.location?.line;
  const got = line ? (text.split(/\r?\n/)[line - 1] ?? '').trim() : '';
  const word = /^([^\s:：]{1,24})/.exec(got)?.[1] ?? '';
  const meant = word ? (blockKeywords(d).includes(word) ? word : meantKeyword(word, d)) : undefined;
  const hint: Said = meant
    ? { zh: `您是不是想写 "${meant}: …"？关键字后要有英文冒号`, en: `did you mean "${meant}: …"? a keyword takes a colon` }
    : { zh: `每行应是关键字（${blockKeywords(d).slice(0, 4).join('、')} 加冒号）、步骤（${stepKeywords(d).slice(0, 5).map((k) => k.trim()).join('、')} 开头）、标签、表格或注释`, en: 'each line is a keyword with a colon, a step, tags, a table row or a comment' };
  return { file, line, severity: 'error', text: { zh: `这一行读不懂："${got}"。${hint.zh}`, en: `cannot read this line: "${got}". ${hint.en}` } };
}

// ------------------------------------------------------------------ fixtures and rigs

/** A loader's error as problems: a YamlError's issues one by one, anything else as one. */
function issuesOf(err: unknown, file: string): YamlIssue[] {
  if (err instanceof YamlError) return [...err.issues];
  return [{ file, field: '(file)', message: (err as Error).message }];
}

const asProblem = (i: YamlIssue): Problem => ({ file: path.resolve(i.file), line: i.line, severity: 'error', text: both(`${i.field}: ${i.message}`) });

export interface FixtureCheckers {
  /** The format of a file by its path relative to the fixtures folder (cli/schemas.ts). */
  formatOf(rel: string): Parameters<typeof check>[0] | undefined;
  /** The loaders' own rules beyond the schema (cross-file, check digits): each throws a YamlError. */
  loaders: Array<{ folder: string; load(fileOrDir: string): unknown; whole?: boolean }>;
}

/**
 * Every YAML file of a fixtures folder against its format, then its loader's own rules. A
 * file whose real path leaves the folder (a symbolic link to /etc/passwd, say) is named and
 * never read (schema/files.ts: files are read only inside the fixtures folders).
 */
export function checkFixtures(dir: string, c: FixtureCheckers): Problem[] {
  const issues: YamlIssue[] = [];
  const outside = new Set<string>();
  for (const folder of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const sub = path.join(dir, folder);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      const file = path.join(sub, f);
      const format = c.formatOf(`${folder}/${f}`);
      if (!format) continue;
      if ('problem' in namedFile(file, [dir], [dir])) {
        outside.add(file);
        issues.push({ file, field: '(file)', message: `${folder}/${f} is outside the fixtures folders: it leads to a file elsewhere, which is not read` });
        continue;
      }
      try {
        const r = check(format, YamlDocument.read(file, format.scalars, file));
        if (!r.ok) issues.push(...r.issues);
      } catch (err) { issues.push(...issuesOf(err, file)); }
    }
  }
  for (const l of c.loaders) {
    const sub = path.join(dir, l.folder);
    if (!fs.existsSync(sub)) continue;
    // A folder holding a file that leads outside is not loaded whole: its loader would read that file.
    if (l.whole && [...outside].some((f) => path.dirname(f) === sub)) continue;
    const targets = l.whole ? [sub] : fs.readdirSync(sub).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(sub, f)).filter((f) => !outside.has(f));
    for (const t of targets) {
      try { l.load(t); } catch (err) { issues.push(...issuesOf(err, t)); }
    }
  }
  const key = (i: YamlIssue) => `${path.resolve(i.file)}:${i.line}:${i.field}`;
  return issues.filter((i, n) => issues.findIndex((o) => key(o) === key(i)) === n).map(asProblem);
}

/** Every rig file, loaded as `medcard run --rig` loads it. */
export function checkRigs(names: readonly string[], load: (name: string) => unknown, fileOf: (name: string) => string | undefined): Problem[] {
  return names.flatMap((name) => {
    try { load(name); return []; } catch (err) { return issuesOf(err, fileOf(name) ?? name).map(asProblem); }
  });
}
