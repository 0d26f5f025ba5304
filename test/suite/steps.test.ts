// `medcard steps`: every step of the vocabulary in both languages, each with an example
// that the step itself accepts (so what analysts copy from the list runs), and the
// fixture parameter accepts the forms features/README.md documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { listSteps } from '../../cli/steps';
import { PARAMETERS, VOCABULARY } from '../../steps';

const registry = new ParameterTypeRegistry();
for (const p of PARAMETERS) registry.defineParameterType(new ParameterType(p.name, p.regexp, null, p.transformer, false, false));

const KW = /^(假如|当|那么|并且|Given|When|Then|And) /;

test('every step is listed in Chinese and English with an example of each that the step matches', () => {
  const text = listSteps();
  const blocks = text.split(/\n(?=\d+\. \[)/).filter((b) => /^\d+\. \[/.test(b));
  assert.equal(blocks.length, VOCABULARY.length, 'one entry per step');
  VOCABULARY.forEach((s, i) => {
    const b = blocks[i]!;
    assert.ok(b.includes(s.zh) && b.includes(s.en), `entry ${i + 1} shows both phrasings:\n${b}`);
    const zh = /例: (.+)/.exec(b)?.[1];
    const en = /e\.g\. (.+)/.exec(b)?.[1];
    assert.ok(zh && en, `entry ${i + 1} has an example in each language:\n${b}`);
    for (const [expr, example] of [[s.zh, zh], [s.en, en]] as const) {
      const body = example.replace(KW, '');
      assert.ok(new CucumberExpression(expr, registry).match(body), `the example "${body}" does not match its own step "${expr}"`);
    }
  });
});

test('--lang and --grep narrow the list', () => {
  const zh = listSteps({ lang: 'zh', grep: '持有卡' });
  assert.match(zh, /参保人 \{string\} 持有卡 \{fixture\}/);
  assert.doesNotMatch(zh, /holds the card/);
  assert.match(listSteps({ lang: 'en', grep: 'holds the card' }), /"Zhang San" holds the card zhang-san/);
});

test('{fixture} takes a path under fixtures/, a short path and a profile id, not a quoted name', () => {
  const fixture = PARAMETERS.find((p) => p.name === 'fixture')!;
  const whole = new RegExp(`^(?:${fixture.regexp.source})$`);
  for (const ok of ['fixtures/cards/zhang-san.yaml', 'cards/zhang-san.yaml', 'fixtures/world/people.yaml', 'zhang-san', 'wang-wu-expired']) assert.match(ok, whole);
  for (const bad of ['"张三"', '张三', 'zhangsan', 'fixtures/policies/500000.yaml']) assert.doesNotMatch(bad, whole);
});

test('the loading path of `medcard run` (steps/register.js, no ts-node) loads the steps, TypeScript-only constructs and all, and a warm cache skips TypeScript', () => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const path = require('node:path') as typeof import('node:path');
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const root = path.resolve(__dirname, '..', '..');
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-ts-cache-'));
  const probe = `require('./steps/register.js');
const v = require('./steps/vocabulary');
// A parameter property is TypeScript-only (no type-stripping loader handles it), and the steps load this file.
const src = require('node:fs').readFileSync('./terminal/terminal.ts', 'utf8');
if (!/constructor\\(private readonly opts/.test(src)) throw new Error('terminal/terminal.ts lost its parameter property');
console.log(JSON.stringify({ steps: v.VOCABULARY.length, typescript: Object.keys(require.cache).some((k) => /typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(k)) }));`;
  const once = () => {
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8', env: { ...process.env, MEDCARD_TS_CACHE: cache, NODE_OPTIONS: '' } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { steps: number; typescript: boolean };
  };
  const cold = once();
  assert.equal(cold.steps, VOCABULARY.length);
  assert.equal(cold.typescript, true, 'a cold cache transpiles');
  const warm = once();
  assert.equal(warm.steps, VOCABULARY.length);
  assert.equal(warm.typescript, false, 'a warm cache never loads the TypeScript compiler');
  fs.rmSync(cache, { recursive: true, force: true });
});
