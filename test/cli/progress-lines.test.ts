// `medcard run` off a terminal (a CI log, a pipe) prints a line per scenario as it ends —
// status, file:line, name, seconds — then cucumber's summary. spawnSync's stdout is a pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const medcard = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
const reports = () => fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-lines-'));
const LINE = /^(passed|failed|skipped|undefined|ambiguous|pending)\s+(\S+\.feature):(\d+) {2}(.+) {2}\(\d+\.\d s\)( — retrying)?$/;
const scenarioLines = (stdout: string) => stdout.split('\n').filter((l) => LINE.test(l)).map((l) => LINE.exec(l)!);

test('a dry run of the whole suite through a pipe: one line per scenario, as many as the summary counts, each file:line once', () => {
  const r = medcard('run', '--dry-run', '--reports', reports());
  assert.equal(r.status, 0, r.stderr);
  const lines = scenarioLines(r.stdout);
  const total = Number(/^(\d+) scenarios \(/m.exec(r.stdout)?.[1]);
  assert.ok(total > 30, r.stdout.slice(-400));
  assert.equal(lines.length, total, 'a line per scenario');
  assert.ok(lines.every((m) => m[1] === 'skipped'), 'a dry run executes nothing');
  assert.equal(new Set(lines.map((m) => `${m[2]}:${m[3]}`)).size, total, 'each scenario (and example row) its own file:line');
  // The line is the scenario's (or its example row's) line in the file.
  const [, , file, line] = lines[0];
  const text = fs.readFileSync(path.join(root, file), 'utf8').split('\n')[Number(line) - 1];
  assert.ok(/(场景|Scenario|\|)/.test(text), `${file}:${line} is "${text}"`);
});

test('a real run through a pipe: passed and failed scenarios each get their line; --quiet prints only the summary', () => {
  const dir = reports();
  const feature = path.join(dir, 'lines.feature');
  // 3 months of 2700.00 × (2% + 6% × 30%) = 307.80 (features/chongqing-example.feature): 300.00 is wrong on purpose.
  fs.writeFileSync(feature, ['# language: zh-CN', '功能: 逐条输出', '', '  场景: 一个算错的划入',
    '    假如 今天是 2024-03-31', '    并且 参保人 "小王" 在重庆参加职工医保', '    并且 "小王" 持有社保卡', '    并且 "小王" 的缴费基数为 2700.00 元',
    '    当 "小王" 的个人账户按月划入 3 个月', '    那么 共划入 300.00 元', ''].join('\n'));
  const r = medcard('run', '--reports', dir, '--tags', '@chongqing-example and not @english');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const passed = scenarioLines(r.stdout);
  assert.equal(passed.length, Number(/^(\d+) scenarios \(\1 passed\)/m.exec(r.stdout)?.[1]), r.stdout);
  assert.ok(passed.length >= 3 && passed.every((m) => m[1] === 'passed'), r.stdout);
  const u = medcard('run', '--reports', dir, feature);
  assert.equal(u.status, 1, `the wrong figure fails the run\n${u.stdout}${u.stderr}`);
  assert.deepEqual(scenarioLines(u.stdout).map((m) => [m[1], m[3], m[4]]), [['failed', '4', '一个算错的划入']], u.stdout);
  const quiet = medcard('run', '--quiet', '--reports', dir, feature);
  assert.equal(scenarioLines(quiet.stdout).length, 0, quiet.stdout);
  assert.match(quiet.stdout, /^1 scenario \(1 failed\)/m);
});
