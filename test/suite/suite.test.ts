// The certification suite, end to end through `medcard run`: it passes on the emulated rig
// and on the vpcd rig (through the real pcscd); and a mutated policy figure makes
// exactly the scenarios that depend on it fail (the suite can see a wrong engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function medcardRun(args: string[], env: Record<string, string> = {}) {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-suite-'));
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--reports', reports, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15 * 60_000,
  });
  const jsonFile = path.join(reports, 'cucumber.json');
  const json = fs.existsSync(jsonFile) ? JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as any[] : [];
  const scenarios = json.flatMap((f) => f.elements.map((e: any) => ({
    uri: f.uri as string, name: e.name as string, tags: (e.tags ?? []).map((t: any) => t.name) as string[],
    status: e.steps.some((s: any) => s.result.status === 'failed') ? 'failed' : e.steps.every((s: any) => s.result.status === 'passed') ? 'passed' : 'other',
  })));
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, reports, scenarios };
}

test('the whole suite passes on the emulated rig, with reports', () => {
  const r = medcardRun(['--rig', 'emulated']);
  const failed = r.scenarios.filter((s) => s.status !== 'passed');
  assert.equal(r.status, 0, `suite failed:\n${failed.map((s) => `${s.uri}: ${s.name}`).join('\n')}\n${r.out.slice(-3000)}`);
  assert.ok(r.scenarios.length >= 60, `only ${r.scenarios.length} scenarios ran`);
  for (const f of ['cucumber.json', 'junit.xml', 'allure-results/environment.properties']) assert.ok(fs.existsSync(path.join(r.reports, f)), `${f} missing`);
  const allure = fs.readdirSync(path.join(r.reports, 'allure-results')).filter((f) => f.endsWith('-result.json'));
  assert.ok(allure.length >= r.scenarios.length, 'an Allure result per scenario');
  const attachments = fs.readdirSync(path.join(r.reports, 'allure-results')).filter((f) => f.includes('-attachment'));
  assert.ok(attachments.some((f) => f.endsWith('.html')), 'receipts attached as HTML');
  assert.ok(attachments.some((f) => f.endsWith('.txt')), 'APDU traces attached as text');
});

// No skip: without pcscd and the vpcd driver this fails, loudly, with the rig's own message.
test('the suite passes on the vpcd rig, through the real pcscd', { timeout: 10 * 60_000 }, () => {
  const r = medcardRun(['--rig', 'vpcd']);
  const failed = r.scenarios.filter((s) => s.status !== 'passed');
  assert.equal(r.status, 0, `vpcd suite failed:\n${failed.map((s) => `${s.uri}: ${s.name}`).join('\n')}\n${r.out.slice(-3000)}`);
});

test('mutation: a different deductible line makes the dependent scenarios fail', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-mutant-'));
  fs.cpSync(path.join(root, 'fixtures'), copy, { recursive: true });
  const policy = path.join(copy, 'policies', '500000.yaml');
  const text = fs.readFileSync(policy, 'utf8');
  assert.match(text, /deductible: "400\.00"/);
  fs.writeFileSync(policy, text.replace('deductible: "400.00"', 'deductible: "500.00"'));
  const r = medcardRun(['--fixtures', copy, '--tags', '@chongqing-example and not @english']);
  assert.equal(r.status, 1, `the mutant passed:\n${r.out.slice(-2000)}`);
  const byName = new Map(r.scenarios.map((s) => [s.name, s.status]));
  // Credits do not depend on the line; the pooled segment does.
  assert.equal(byName.get('三个月划入加上年结转，账户共有 332.80 元'), 'passed');
  assert.equal(byName.get('账户用完、累计超过起付线后进入统筹段'), 'failed');
});

test('a bad rig name and an undefined step say what to do', () => {
  const bad = medcardRun(['--rig', 'nosuch']);
  assert.equal(bad.status, 2);
  assert.match(bad.out, /unknown rig "nosuch": choose one of emulated, vpcd/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-undef-'));
  const feature = path.join(dir, 'x.feature');
  fs.writeFileSync(feature, '# language: zh-CN\n功能: 未定义\n  场景: 一个没有的步骤\n    假如 今天是 2024-03-15\n    当 张三 飞上了月球\n');
  const undef = medcardRun(['--dry-run', feature], { LANG: 'C.UTF-8', LC_ALL: '' });
  assert.equal(undef.status, 2, 'an undefined step stops the run before any scenario');
  assert.match(undef.out, /x\.feature:5: undefined step: 当 张三 飞上了月球/);
  assert.match(undef.out, /medcard steps/);
});
