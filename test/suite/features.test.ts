// Review rules for the certification suite (issue 4), checked on every feature file:
// each file names its source on its first comment lines (依据 / Source: domain.md §… and a
// seed), each scenario carries a @domain-… and a @seed-… tag and at least one topic tag
// from features/README.md, and money is never written with more than two decimals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'features');
const files = [...fs.readdirSync(dir).filter((f) => f.endsWith('.feature')).map((f) => path.join(dir, f)),
  ...fs.readdirSync(path.join(dir, 'en')).filter((f) => f.endsWith('.feature')).map((f) => path.join(dir, 'en', f))];

/** The topic tags of features/README.md ("Topic: …"). */
const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
const topicLine = /Topic: ([\s\S]*?)\.\n/.exec(readme)?.[1] ?? '';
const TOPICS = new Set(topicLine.match(/@[\w-]+/g) ?? []);

function pickles(file: string) {
  const text = fs.readFileSync(file, 'utf8');
  const lang = /^# language: (\S+)/m.exec(text)?.[1] ?? 'en';
  let n = 0;
  const newId = () => String(++n);
  const doc = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher(lang)).parse(text);
  return { text, list: compile({ ...doc, uri: file }, path.relative(root, file), newId) };
}

test('the topic list in features/README.md includes the topics of issue 4', () => {
  for (const t of ['@chongqing-example', '@emergency-without-card', '@family-planning', '@employer-arrears', '@card-replacement', '@no-card-issued',
    '@no-card-presented', '@cross-region', '@brackets', '@interest', '@pin', '@expired-card', '@card-lending', '@pharmacy', '@reversal']) {
    assert.ok(TOPICS.has(t), `${t} missing from the Topic list`);
  }
});

for (const file of files) {
  const rel = path.relative(root, file);
  test(`${rel}: source named, every scenario cites domain.md and a seed and has a topic`, () => {
    const { text, list } = pickles(file);
    const head = text.split('\n').slice(0, 4).join('\n');
    assert.match(head, /(依据|Source)[^\n]*domain\.md §\d/, `${rel}: the first lines name the domain.md section`);
    assert.match(head, /seed \d{3}/, `${rel}: the first lines name the seed document`);
    assert.ok(list.length > 0);
    for (const p of list) {
      const tags = p.tags.map((t) => t.name);
      assert.ok(tags.some((t) => /^@domain-\d/.test(t)), `${rel}: "${p.name}" has no @domain-<section> tag`);
      assert.ok(tags.some((t) => /^@seed-\d{3}$/.test(t)), `${rel}: "${p.name}" has no @seed-<nnn> tag`);
      assert.ok(tags.some((t) => TOPICS.has(t)), `${rel}: "${p.name}" has no topic tag from features/README.md (${tags.join(' ')})`);
      for (const s of p.steps) assert.doesNotMatch(s.text, /\d+\.\d{3,} ?元|CNY \d+\.\d{3,}/, `${rel}: "${s.text}" writes money with more than two decimals`);
    }
  });
}
