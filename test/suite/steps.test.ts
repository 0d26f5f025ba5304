// `medcard steps`: every step of the vocabulary in both languages, each with a hand-written
// example that matches exactly that step and no other (so what analysts copy from the list
// runs, and means what it says); `--json` for tools; `--grep` that says when nothing matches;
// and the fixture parameter accepts the forms features/README.md documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import * as path from 'node:path';
import { listSteps, stepsJson } from '../../cli/steps';
import { vocabularyOf } from '../../cli/lint';
import { refusalByText } from '../../terminal';
import { PARAMETERS, VOCABULARY } from '../../steps';

const vocabulary = vocabularyOf(VOCABULARY, PARAMETERS);
const KW = /^(假如|当|那么|并且|Given|When|Then|And) /;

test('every step is listed in Chinese and English with its example, and each example matches exactly its own step', () => {
  const text = listSteps();
  const blocks = text.split(/\n(?=\d+\. \[)/).filter((b) => /^\d+\. \[/.test(b));
  assert.equal(blocks.length, VOCABULARY.length, 'one entry per step');
  VOCABULARY.forEach((s, i) => {
    const b = blocks[i]!;
    assert.ok(b.includes(s.zh) && b.includes(s.en), `entry ${i + 1} shows both phrasings:\n${b}`);
    const zh = /例: (.+)/.exec(b)?.[1];
    const en = /e\.g\. (.+)/.exec(b)?.[1];
    assert.equal(zh?.replace(KW, ''), s.example.zh, `entry ${i + 1} shows its Chinese example`);
    assert.equal(en?.replace(KW, ''), s.example.en, `entry ${i + 1} shows its English example`);
    for (const example of [s.example.zh, s.example.en]) {
      const found = vocabulary.matching(example);
      assert.deepEqual(found.map((f) => f.zh), [s.zh], `the example "${example}" matches ${found.length ? found.map((f) => `"${f.zh}"`).join(', ') : 'no step'}, not exactly "${s.zh}"`);
    }
  });
});

/** The values of an example, by the parameter they fill, in the order of the step's phrasing. */
const types = new ParameterTypeRegistry();
for (const p of PARAMETERS) types.defineParameterType(new ParameterType(p.name, p.regexp, null, (x: string) => x, false, false));
function argsOf(expr: string, example: string): string[] {
  return (new CucumberExpression(expr, types).match(example) ?? []).map((a) => a.group.value ?? '');
}

test('the examples make sense: no name used twice in one example, refusals the terminal knows, real years, 6-digit PINs, card commands by name', () => {
  const wrong: string[] = [];
  for (const s of VOCABULARY) {
    for (const lang of ['zh', 'en'] as const) {
      const example = s.example[lang];
      const quoted = example.match(/"[^"]*"/g) ?? [];
      if (new Set(quoted).size !== quoted.length) wrong.push(`${example}: the same name twice (a person is not an institution)`);
      const args = argsOf(s[lang], example);
      const kinds = s[lang].match(/\{\w*\}/g) ?? [];
      kinds.forEach((k, i) => {
        const v = args[i] ?? '';
        if (k === '{int}' && /年|year/.test(s[lang]) && !(Number(v) >= 1990 && Number(v) <= 2100)) wrong.push(`${example}: ${v} is not a year`);
      });
      if (/原因为|refuses because/.test(s[lang]) && !refusalByText(args[0]!.slice(1, -1))) wrong.push(`${example}: not a refusal the terminal gives`);
      if (/密码 \{string\}|PIN \{string\}/.test(s[lang]) && !/^"\d{6}"$/.test(args[1] ?? '')) wrong.push(`${example}: a PIN is 6 digits`);
      if (/命令|command/.test(s[lang]) && !/^"[A-Z][A-Z ]+"$/.test(args[0] ?? '')) wrong.push(`${example}: a card command is named like "VERIFY"`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('--lang and --grep narrow the list; --grep that matches nothing says so (exit 1), in the reader\'s language', () => {
  const zh = listSteps({ lang: 'zh', grep: '持有卡' });
  assert.match(zh, /参保人 \{string\} 持有卡 \{fixture\}/);
  assert.doesNotMatch(zh, /holds the card/);
  assert.match(listSteps({ lang: 'en', grep: 'HOLDS THE CARD' }), /"Zhang San" holds the card zhang-san/);
  assert.match(listSteps({ lang: 'zh', grep: '退休' }), /参保人 "老周" 已退休，在北京参加职工医保，基本养老金每月 4000\.00 元/, 'the retiree step');
  const root = path.resolve(__dirname, '..', '..');
  const steps = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'steps', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', ...env } });
  const none = steps(['--grep', '飞上月球'], { LANG: 'zh_CN.UTF-8' });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /没有步骤的说法包含 "飞上月球"/);
  const noneEn = steps(['--grep', 'moon'], { LANG: 'C.UTF-8' });
  assert.equal(noneEn.status, 1);
  assert.match(noneEn.stderr, /no step's wording contains "moon"/);
  assert.equal(steps(['--lang', 'fr'], {}).status, 2);
});

test('--json: every step with its kind, subject file, phrasings, example and needs; the parameter types', () => {
  const j = stepsJson() as { steps: Array<{ kind: string; subject: string; zh: string; en: string; example: { zh: string; en: string }; needs?: string }>; parameters: Array<{ name: string }> };
  assert.equal(j.steps.length, VOCABULARY.length);
  const pin = j.steps.find((s) => s.zh === '{string} 的社保卡密码已锁定')!;
  assert.deepEqual({ kind: pin.kind, subject: pin.subject, needs: pin.needs }, { kind: 'Given', subject: 'steps/cards.ts', needs: 'card-state' });
  assert.deepEqual(j.parameters.map((p) => p.name).sort(), [...PARAMETERS.map((p) => p.name), 'string', 'int'].sort());
  assert.equal((stepsJson('the interest is') as { steps: unknown[] }).steps.length, 1);
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
