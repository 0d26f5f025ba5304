// `medcard run --nightly`: a scenario that fails once and then passes is retried, named as
// flaky and does not fail the run; a scenario that fails every attempt does; JUnit is written;
// Allure history grows by one entry per run so the HTML report shows trends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-nightly-'));
const counter = path.join(dir, 'attempts');
fs.writeFileSync(path.join(dir, 'support.js'), `
const { Given } = require(${JSON.stringify(path.join(ROOT, 'node_modules/@cucumber/cucumber'))});
const fs = require('node:fs');
Given('the reader hiccups once', function () {
  const n = fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0;
  fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
  if (n % 2 === 0) throw new Error('reader "ACME 1": the card does not answer (mute)');
});
Given('all is well', function () {});
Given('the engine pays the wrong amount', function () { throw new Error('个人账户支付: expected 50.00 元, got 40.00 元'); });
`);
fs.writeFileSync(path.join(dir, 'flaky.feature'), 'Feature: hardware\n  Scenario: flaky reader\n    Given the reader hiccups once\n  Scenario: solid\n    Given all is well\n');
fs.writeFileSync(path.join(dir, 'broken.feature'), 'Feature: engine\n  Scenario: real failure\n    Given the engine pays the wrong amount\n');

function run(reports: string, args: string[], features: string) {
  // runSuite with our own support code in place of steps/ (the CLI's options otherwise).
  const script = `require(${JSON.stringify(path.join(ROOT, 'node_modules/ts-node'))}).register({ project: ${JSON.stringify(path.join(ROOT, 'tsconfig.json'))}, transpileOnly: true });
    require(${JSON.stringify(path.join(ROOT, 'cli/run'))}).runSuite({ rig: 'emulated', parallel: 1, reports: ${JSON.stringify(reports)}, paths: [${JSON.stringify(features)}],
      dryRun: false, failFast: false, quiet: true, ${args.includes('--nightly') ? 'nightly: true,' : ''} require: [${JSON.stringify(path.join(dir, 'support.js'))}] })
      .then((r) => { process.exitCode = r.exitCode; });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 5 * 60_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('--nightly retries a flaky scenario once, lists it, keeps Allure history, and fails only on a real failure', { timeout: 10 * 60_000 }, () => {
  const reports = path.join(dir, 'reports');
  fs.rmSync(counter, { force: true });
  const first = run(reports, ['--nightly'], path.join(dir, 'flaky.feature'));
  assert.equal(first.status, 0, first.out);
  assert.match(first.out, /1 scenario\(s\) failed, then passed on retry[\s\S]*flaky reader/);
  assert.match(fs.readFileSync(path.join(reports, 'flaky.txt'), 'utf8'), /flaky.feature: flaky reader/);
  assert.match(fs.readFileSync(path.join(reports, 'junit.xml'), 'utf8'), /tests="2" skipped="0" failures="0"/);
  assert.ok(fs.existsSync(path.join(reports, 'allure-report', 'index.html')), 'Allure HTML report');
  const lines = () => fs.readFileSync(path.join(reports, 'history.jsonl'), 'utf8').trim().split('\n').length;
  assert.equal(lines(), 1);

  const second = run(reports, ['--nightly'], path.join(dir, 'flaky.feature'));
  assert.equal(second.status, 0, second.out);
  assert.equal(lines(), 2, 'history keeps the earlier run: trends');

  const broken = run(reports, ['--nightly'], path.join(dir, 'broken.feature'));
  assert.equal(broken.status, 1, 'a scenario failing on every attempt fails the run');
  assert.match(fs.readFileSync(path.join(reports, 'junit.xml'), 'utf8'), /failures="1"/);
  assert.equal(lines(), 3);

  fs.rmSync(counter, { force: true });
  const plain = run(path.join(dir, 'plain'), [], path.join(dir, 'flaky.feature'));
  assert.equal(plain.status, 1, 'without --nightly there is no retry');
});
