// What an analyst is told about a step the vocabulary does not have: the closest existing
// steps ("您是不是想写：…" / "did you mean: …"), by edit distance over the vocabulary with each
// parameter counted as one symbol (so `购要` for `购药` is one edit away), written with the
// analyst's own values; and, for a developer, the step in our step() form with OUR
// parameter types ({money}, {region}, … of steps/parameters.ts, not cucumber's `{float} 元`).
// Cucumber's own generator needs a parameter to stand as a whole word, which Chinese, written
// without spaces (`在重庆参加`), never does, so the text is generalised here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepSpec } from '../steps';
import { say, type Lang } from './lang';

const ROOT = path.resolve(__dirname, '..');

/** A value the analyst wrote where a parameter goes. */
export interface Arg { type: string; text: string }
/** A step text with its values taken out: `{string} 持卡在 {string} 购要，费用 {money}`. */
export interface Generalised { expression: string; args: Arg[] }

const ASCII_WORD = /[A-Za-z0-9]/;
/**
 * A fixture written as a path, or a card profile's id that exists: {fixture}'s own regexp
 * would also take any hyphenated English word (`non-designated`).
 */
function fixtureRe(): RegExp {
  const dir = path.join(process.env.MEDCARD_FIXTURES || path.join(ROOT, 'fixtures'), 'cards');
  const ids = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')) : [];
  return new RegExp([/(?:fixtures\/)?(?:cards|world)\/[\w.-]+\.ya?ml/.source, ...ids.sort((a, b) => b.length - a.length).map((i) => i.replace(/[.-]/g, '\\$&'))].join('|'));
}

/** A parameter type as the vocabulary defines it (steps/parameters.ts). */
export interface ParameterLike { name: string; regexp: RegExp }

/** Cucumber's built-ins the vocabulary uses, then ours; on a tie (same start, same length) the earlier wins. */
const typesOf = new WeakMap<readonly ParameterLike[], Array<{ type: string; re: RegExp }>>();
function valueTypes(parameters: readonly ParameterLike[]): Array<{ type: string; re: RegExp }> {
  let t = typesOf.get(parameters);
  if (!t) {
    t = [
      { type: 'string', re: /"[^"]*"/ },
      ...parameters.map((p) => ({ type: p.name, re: p.name === 'fixture' ? fixtureRe() : p.regexp })),
      { type: 'int', re: /-?\d+/ },
    ];
    typesOf.set(parameters, t);
  }
  return t;
}

/** The step text with each value replaced by its parameter type, leftmost-longest. */
export function generalise(text: string, parameters: readonly ParameterLike[]): Generalised {
  const args: Arg[] = [];
  let expression = '';
  let pos = 0;
  while (pos < text.length) {
    let best: { type: string; start: number; text: string } | undefined;
    for (const { type, re } of valueTypes(parameters)) {
      const m = firstWholeMatch(text, pos, re);
      if (m && (!best || m.start < best.start || (m.start === best.start && m.text.length > best.text.length))) best = { type, ...m };
    }
    if (!best) break;
    expression += escapeExpression(text.slice(pos, best.start)) + `{${best.type}}`;
    args.push({ type: best.type, text: best.text });
    pos = best.start + best.text.length;
  }
  return { expression: expression + escapeExpression(text.slice(pos)), args };
}

/** The first match at or after `from` that does not cut a Latin word or a number in two. */
function firstWholeMatch(text: string, from: number, re: RegExp): { start: number; text: string } | undefined {
  const g = new RegExp(re.source, 'g');
  for (let at = from; at < text.length; at++) {
    g.lastIndex = at;
    const m = g.exec(text);
    if (!m) return undefined;
    const start = m.index;
    const end = start + m[0].length;
    const cuts = (ASCII_WORD.test(m[0][0] ?? '') && ASCII_WORD.test(text[start - 1] ?? '')) || (ASCII_WORD.test(m[0][m[0].length - 1] ?? '') && ASCII_WORD.test(text[end] ?? ''));
    if (m[0] && !cuts) return { start, text: m[0] };
    at = start;
  }
  return undefined;
}

const escapeExpression = (s: string) => s.replace(/[(){}/\\]/g, (c) => `\\${c}`);

/** An expression as symbols: each `{type}` one symbol, each other character one. */
function symbols(expression: string): string[] {
  return expression.match(/\{\w*\}|\\.|[\s\S]/g) ?? [];
}

export function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

export interface Suggestion { step: StepSpec; lang: Lang; distance: number; text: string }

/**
 * The existing steps closest to `text`, at most `max`, each written with the analyst's own
 * values when its parameters are the same kinds in the same order (else its example).
 * Only those a few edits away: a sentence of another meaning gets no suggestion.
 */
export function closestSteps(text: string, vocabulary: readonly StepSpec[], parameters: readonly ParameterLike[], max = 3): Suggestion[] {
  const mine = generalise(text, parameters);
  const own = symbols(mine.expression);
  const limit = Math.max(2, Math.ceil(own.length / 4));
  const found: Suggestion[] = [];
  for (const step of vocabulary) {
    for (const lang of ['zh', 'en'] as const) {
      const theirs = symbols(step[lang]);
      const distance = editDistance(own, theirs);
      if (distance === 0 || distance > limit) continue;
      const types = theirs.filter((t) => /^\{\w*\}$/.test(t)).map((t) => t.slice(1, -1));
      const sameArgs = types.length === mine.args.length && types.every((t, i) => t === mine.args[i]!.type);
      let n = 0;
      const written = sameArgs ? step[lang].replace(/\{\w*\}/g, () => mine.args[n++]!.text).replace(/\\(.)/g, '$1') : step.example[lang];
      found.push({ step, lang, distance, text: written });
    }
  }
  return found.sort((a, b) => a.distance - b.distance).filter((s, i, all) => all.findIndex((o) => o.step === s.step) === i).slice(0, max);
}

const TS_TYPES: Record<string, { name: string; ts: string }> = {
  string: { name: 'name', ts: 'string' }, int: { name: 'n', ts: 'number' }, money: { name: 'fen', ts: 'number' },
  date: { name: 'date', ts: 'string' }, region: { name: 'region', ts: 'string' }, insutype: { name: 'insutype', ts: "'310' | '390'" },
  cashreason: { name: 'reason', ts: 'string' }, fixture: { name: 'ref', ts: 'string' }, percent: { name: 'bp', ts: 'number' },
};

/** The step a developer would add, in the form of steps/registry.ts's step(), for the subject file that fits. */
export function stepSnippet(kind: StepSpec['kind'], text: string, textLang: Lang, parameters: readonly ParameterLike[]): string {
  const g = generalise(text, parameters);
  const used = new Map<string, number>();
  const params = g.args.map((a) => {
    const t = TS_TYPES[a.type] ?? { name: a.type, ts: 'unknown' };
    const n = (used.get(t.name) ?? 0) + 1;
    used.set(t.name, n);
    return `${t.name}${n > 1 ? n : ''}: ${t.ts}`;
  });
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const [zh, en] = textLang === 'zh' ? [quote(g.expression), "'<English phrasing>'"] : ["'<中文说法>'", quote(g.expression)];
  return `step('${kind}', ${zh}, ${en}, async function (${params.join(', ')}) {\n  // …\n});`;
}

/** The whole advice for one undefined step, in the reader's language. */
export function undefinedStepAdvice(lang: Lang, o: { keyword: string; text: string; kind: StepSpec['kind']; textLang: Lang; suggestions: readonly Suggestion[]; parameters: readonly ParameterLike[] }): string {
  const lines: string[] = [];
  if (o.suggestions.length) {
    lines.push(say(lang, { zh: '您是不是想写：', en: 'did you mean:' }));
    for (const s of o.suggestions) lines.push(`    ${o.keyword.trim()} ${s.text}`);
  } else {
    lines.push(say(lang, { zh: '词汇表里没有相近的步骤：用 `npx medcard steps --grep <词>` 查找正确的写法。', en: 'no step of the vocabulary is close: `npx medcard steps --grep <word>` finds the right wording.' }));
  }
  lines.push(say(lang, {
    zh: '确实需要新步骤时，请开发人员把下面这条加进 steps/ 里合适的主题文件（steps/README.md）：',
    en: 'if a new step is really needed, a developer adds this to the subject file of steps/ that fits (steps/README.md):',
  }));
  lines.push(...stepSnippet(o.kind, o.text, o.textLang, o.parameters).split('\n').map((l) => `    ${l}`));
  return lines.join('\n');
}
