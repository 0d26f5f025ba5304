// What an analyst is told, in their language, about a feature or fixture that is wrong:
// `medcard check` (nothing run, no engine) and `medcard run`, which makes the same checks
// first and stops before any scenario (exit 2): an undefined step with the closest steps and a
// snippet in our parameter types, a misspelled keyword, a bad world fixture by file, line and
// field with no stack trace. Messages are checked in Chinese (LANG=zh_CN / --lang zh) and English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseLang } from '../../cli/lang';
import { closestSteps, generalise } from '../../cli/snippets';
import { lintFeature, tagRules, vocabularyOf } from '../../cli/lint';
import { PARAMETERS, VOCABULARY } from '../../steps';

const root = path.resolve(__dirname, '..', '..');
const ENGLISH = { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
const CHINESE = { LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' };

function medcard(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5 * 60_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-check-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const TYPO = `# language: zh-CN
功能: 错字
  场景: 购药写成了购要
    假如 今天是 2024-03-15
    并且 定点药店 "大药房" 位于重庆
    并且 参保人 "张三" 在重庆参加职工医保
    并且 "张三" 持有社保卡
    当 "张三" 持卡在 "大药房" 购要，费用 12.50 元
    那么 现金支付 0.00 元
`;
const KEYWORD = `# language: zh-CN
功能: 关键字
  场境: 写错了关键字
    假如 今天是 2024-03-15
`;

test('the language: --lang first, then LC_ALL, LC_MESSAGES, LANG; zh_* is Chinese, anything else English', () => {
  assert.equal(chooseLang(undefined, { LANG: 'zh_CN.UTF-8' }), 'zh');
  assert.equal(chooseLang(undefined, { LANG: 'zh_TW' }), 'zh');
  assert.equal(chooseLang(undefined, { LANG: 'en_US.UTF-8' }), 'en');
  assert.equal(chooseLang(undefined, {}), 'en');
  assert.equal(chooseLang(undefined, { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en', 'LC_ALL overrides LANG');
  assert.equal(chooseLang(undefined, { LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US' }), 'zh');
  assert.equal(chooseLang('zh', { LANG: 'en_US' }), 'zh');
  assert.equal(chooseLang('en', { LC_ALL: 'zh_CN.UTF-8' }), 'en');
});

test('values become our parameter types, Chinese without spaces included', () => {
  assert.equal(generalise('"张三" 持卡在 "大药房" 购要，费用 12.50 元', PARAMETERS).expression, '{string} 持卡在 {string} 购要，费用 {money}');
  assert.equal(generalise('参保人 "小李" 在重庆参加职工医保', PARAMETERS).expression, '参保人 {string} 在{region}参加{insutype}');
  assert.equal(generalise('"Zhang San" pays CNY 30.00 in cash at "X" because of an emergency without the card', PARAMETERS).expression, '{string} pays {money} in cash at {string} because of {cashreason}');
  assert.equal(generalise('a non-designated hospital "X" in Beijing', PARAMETERS).expression, 'a non-designated hospital {string} in {region}', 'a hyphenated word is not a {fixture}');
  assert.equal(generalise('今天是 2024-03-15，过了 3 天', PARAMETERS).expression, '今天是 {date}，过了 {int} 天');
});

test('a one-character typo finds the step it was meant to be, written with the analyst\'s values; a sentence of another meaning finds none', () => {
  const [first] = closestSteps('"张三" 持卡在 "大药房" 购要，费用 12.50 元', VOCABULARY, PARAMETERS);
  assert.equal(first?.text, '"张三" 持卡在 "大药房" 购药，费用 12.50 元');
  assert.equal(first?.distance, 1);
  const [en] = closestSteps('"Zhang San" buys drug at "X" with the card for CNY 12.50', VOCABULARY, PARAMETERS);
  assert.equal(en?.text, '"Zhang San" buys drugs at "X" with the card for CNY 12.50');
  assert.deepEqual(closestSteps('张三 飞上了月球', VOCABULARY, PARAMETERS), []);
});

test('medcard check: an undefined step, in Chinese: 您是不是想写 with the right step, and a snippet with {money}, not {float} 元', () => {
  const dir = scratch({ 'typo.feature': TYPO });
  const r = medcard(['check', dir], CHINESE);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /typo\.feature:8: 没有这个步骤：当 "张三" 持卡在 "大药房" 购要，费用 12\.50 元/);
  assert.match(r.out, /您是不是想写：\n {4}当 "张三" 持卡在 "大药房" 购药，费用 12\.50 元\n/);
  assert.match(r.out, /step\('When', '\{string\} 持卡在 \{string\} 购要，费用 \{money\}', '<English phrasing>', async function \(name: string, name2: string, fen: number\)/);
  assert.doesNotMatch(r.out, /\{float\}/);
  assert.match(r.out, /1 个错误/);
});

test('medcard check: the same in English, by LANG or by --lang en', () => {
  const dir = scratch({ 'typo.feature': TYPO });
  for (const [args, env] of [[['check', dir], ENGLISH], [['check', '--lang', 'en', dir], CHINESE]] as const) {
    const r = medcard([...args], env);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /typo\.feature:8: undefined step: 当 "张三" 持卡在 "大药房" 购要，费用 12\.50 元\ndid you mean:\n {4}当 "张三" 持卡在 "大药房" 购药，费用 12\.50 元/);
    assert.match(r.out, /1 error\(s\)/);
  }
  assert.equal(medcard(['check', '--lang', 'fr', dir], ENGLISH).status, 2);
});

test('medcard check: a misspelled keyword names file, line and the keyword meant', () => {
  const dir = scratch({ 'kw.feature': KEYWORD, 'colon.feature': KEYWORD.replace('场境: 写错了关键字', '场景：全角冒号') });
  const zh = medcard(['check', dir], CHINESE);
  assert.equal(zh.status, 1, zh.out);
  assert.match(zh.out, /kw\.feature:3: "场境:" 不是关键字，您是不是想写 "场景:"？/);
  assert.match(zh.out, /colon\.feature:3: "场景：全角冒号"：关键字后要用英文冒号 "场景:"/);
  const en = medcard(['check', dir], ENGLISH);
  assert.match(en.out, /kw\.feature:3: "场境:" is not a keyword: did you mean "场景:"\?/);
});

test('medcard check: the suite\'s own features, fixtures and rigs have no error', () => {
  const r = medcard(['check'], ENGLISH);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /checked \d+ feature file\(s\), the fixtures and the rig files: 0 error\(s\)/);
});

test('a bad world fixture: check names file, line and field; run stops before any scenario, exit 2, no stack trace', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-badfx-'));
  fs.cpSync(path.join(root, 'fixtures'), copy, { recursive: true });
  const people = path.join(copy, 'world', 'people.yaml');
  const text = fs.readFileSync(people, 'utf8');
  assert.match(text, /contribution_base: "2700\.00"/);
  fs.writeFileSync(people, text.replace('contribution_base: "2700.00"', 'contribution_base: "27x0.00"'));
  const checked = medcard(['check', '--fixtures', copy, path.join(root, 'features', 'fixtures.feature')], ENGLISH);
  assert.equal(checked.status, 1, checked.out);
  assert.match(checked.out, /people\.yaml:6: people\[0\]\.contribution_base: /);
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-badfx-reports-'));
  const run = medcard(['run', '--fixtures', copy, '--reports', reports, '--tags', '@fixtures'], CHINESE);
  assert.equal(run.status, 2, run.out);
  assert.match(run.out, /medcard run: .*people\.yaml:6: people\[0\]\.contribution_base: /);
  assert.match(run.out, /没有运行任何场景/);
  assert.doesNotMatch(run.out, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(run.out, /\d+ scenarios?/, 'no scenario ran');
});

test('medcard run: an undefined step in a selected scenario stops the run (exit 2); one outside the selection does not, and its summary follows LANG', () => {
  const dir = scratch({
    'typo.feature': TYPO.replace('功能: 错字', '@typo\n功能: 错字'),
    'fine.feature': '# language: zh-CN\n@fine\n功能: 好的\n  场景: 只设日期\n    假如 今天是 2024-03-15\n',
  });
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-undef-reports-'));
  const stopped = medcard(['run', '--reports', reports, dir], ENGLISH);
  assert.equal(stopped.status, 2, stopped.out);
  assert.match(stopped.out, /typo\.feature:9: undefined step/);
  assert.match(stopped.out, /no scenario was run/);
  const fine = medcard(['run', '--reports', reports, '--tags', '@fine', dir], CHINESE);
  assert.equal(fine.status, 0, fine.out);
  assert.match(fine.out, /报告：.*cucumber\.json/, 'the summary in Chinese under LANG=zh_CN');
});

test('a bad policy field (the issue\'s case): one line with file, line and field from run and check, exit 2 / 1, no stack trace', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-badpolicy-'));
  fs.cpSync(path.join(root, 'fixtures'), copy, { recursive: true });
  const policy = path.join(copy, 'policies', '500000.yaml');
  const text = fs.readFileSync(policy, 'utf8');
  assert.match(text, /deductible: "400\.00"/);
  fs.writeFileSync(policy, text.replace('deductible: "400.00"', 'deductible: "4OO.00"'));
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-badpolicy-reports-'));
  const run = medcard(['run', '--fixtures', copy, '--reports', reports, '--tags', '@chongqing-example'], ENGLISH);
  assert.equal(run.status, 2, run.out);
  const line = (text.split('\n').findIndex((l) => l.includes('deductible: "400.00"')) + 1);
  assert.match(run.out, new RegExp(`medcard run: .*policies/500000\\.yaml:${line}: settlement\\.deductible: `));
  assert.match(run.out, /no scenario was run/);
  assert.doesNotMatch(run.out, /^\s+at /m, 'no stack trace');
  const checked = medcard(['check', '--quiet', '--fixtures', copy], CHINESE);
  assert.equal(checked.status, 1, checked.out);
  assert.match(checked.out, new RegExp(`policies/500000\\.yaml:${line}: settlement\\.deductible: `));
});

test('medcard check --rig names the scenarios that rig would skip, and why', () => {
  const r = medcard(['check', '--rig', 'pcsc', path.join(root, 'features', 'card-checks.feature')], ENGLISH);
  assert.equal(r.status, 0, 'skips are warnings');
  assert.match(r.out, /card-checks\.feature:\d+: warning: rig "pcsc" would skip scenario "过期的卡被拒绝，不能刷卡结算": it lacks card-state/);
  assert.doesNotMatch(medcard(['check', '--rig', 'emulated', path.join(root, 'features', 'card-checks.feature')], ENGLISH).out, /would skip/);
  assert.equal(medcard(['check', '--rig', 'nosuch'], ENGLISH).status, 2);
});

test('keywords with spaces are found too; prose that begins like a keyword with a full-width colon is only a warning', () => {
  const dir = scratch({
    'en.feature': 'Feature: en\n  Scenaro Outline: typo\n    Given today is 2024-03-15\n',
    'prose.feature': '# language: zh-CN\n功能: 散文\n  背景：本功能说明退休人员的规则。\n\n  场景: 正常\n    假如 今天是 2024-03-15\n',
  });
  const r = medcard(['check', dir], ENGLISH);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /en\.feature:2: "Scenaro Outline:" is not a keyword: did you mean "Scenario Outline:"\?/);
  assert.match(r.out, /prose\.feature:3: warning: "背景：本功能说明退休人员的规则。": a keyword takes an ASCII colon/);
  assert.match(r.out, /1 error\(s\), 1 warning\(s\)/);
});

test('a step that two phrasings match is an error naming both', () => {
  const noop = async () => undefined;
  const overlapping = [
    { kind: 'Given', subject: 'people', zh: '{string} 持有社保卡', en: '{string} holds a card', example: { zh: '"张三" 持有社保卡', en: '"Zhang San" holds a card' }, fn: noop },
    { kind: 'Given', subject: 'cards', zh: '{string} 持有{word}', en: '{string} holds {word}', example: { zh: '"张三" 持有社保卡', en: '"Zhang San" holds x' }, fn: noop },
  ] as const;
  const dir = scratch({ 'a.feature': '# language: zh-CN\n功能: 重叠\n  场景: 两个都符合\n    假如 "张三" 持有社保卡\n' });
  const problems = lintFeature(path.join(dir, 'a.feature'), { vocabulary: vocabularyOf(overlapping as never, PARAMETERS), tags: tagRules([]), lang: 'zh' });
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]!.line, 4);
  assert.match(problems[0]!.text.zh, /同时符合 2 个步骤[\s\S]*\{string\} 持有社保卡[\s\S]*\{string\} 持有\{word\}/);
  assert.match(problems[0]!.text.en, /matches 2 steps/);
});

test('medcard run remembers its checks only while nothing changed: a feature broken after a clean run stops the next run, and mended, runs again', () => {
  const good = '# language: zh-CN\n功能: 记住检查\n  场景: 只设日期\n    假如 今天是 2024-03-15\n';
  const dir = scratch({ 'remembered.feature': good });
  const file = path.join(dir, 'remembered.feature');
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-remembered-reports-'));
  for (let round = 0; round < 2; round++) {
    // Twice each: the second run of the same inputs is the one the remembered checks answer.
    for (let i = 0; i < 2; i++) assert.equal(medcard(['run', '--reports', reports, dir], ENGLISH).status, 0);
    fs.writeFileSync(file, `${good}    并且 今天下雨了\n`);
    for (let i = 0; i < 2; i++) {
      const stopped = medcard(['run', '--reports', reports, dir], ENGLISH);
      assert.equal(stopped.status, 2, stopped.out);
      assert.match(stopped.out, /remembered\.feature:5: undefined step/);
    }
    fs.writeFileSync(file, good);
  }
});
