// `medcard report` renders Allure results into HTML with the installed Allure 3 (no Java).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MARKER, prepareOutput } from '../../cli/report';

const root = path.resolve(__dirname, '..', '..');
const medcard = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 300000 });

test('medcard report turns a run\'s allure-results into an HTML report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-report-'));
  const run = medcard(['run', '--quiet', '--reports', dir, '--tags', '@chongqing-example and not @english']);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const out = path.join(dir, 'html');
  const r = medcard(['report', '--results', path.join(dir, 'allure-results'), '--output', out]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(fs.existsSync(path.join(out, 'index.html')), 'index.html');
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.ok(summary.stats?.passed >= 2, `summary: ${JSON.stringify(summary.stats)}`);
  assert.equal(summary.stats?.failed ?? 0, 0);
});

test('medcard report without results says to run the suite first', () => {
  const r = medcard(['report', '--results', path.join(os.tmpdir(), 'no-such-results-dir')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /run `npx medcard run` first/);
});

test('the output folder is emptied only when medcard report wrote it (its marker file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-report-out-'));
  const fresh = path.join(dir, 'new');
  assert.equal(prepareOutput(fresh), undefined, 'a missing folder is made');
  assert.ok(fs.existsSync(path.join(fresh, MARKER)));
  fs.mkdirSync(path.join(fresh, 'awesome'));
  fs.writeFileSync(path.join(fresh, 'index.html'), 'old report');
  assert.equal(prepareOutput(fresh), undefined, 'a marked folder is emptied');
  assert.deepEqual(fs.readdirSync(fresh), [MARKER]);

  const mine = path.join(dir, 'mine');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'notes.txt'), 'the user\'s');
  assert.match(prepareOutput(mine) ?? '', /holds files medcard report did not write/);
  assert.deepEqual(fs.readdirSync(mine), ['notes.txt'], 'left alone');

  const r = medcard(['report', '--results', dir, '--output', mine]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /did not write/);
  assert.deepEqual(fs.readdirSync(mine), ['notes.txt']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('medcard report --port refuses what is not a port', () => {
  const r = medcard(['report', '--serve', '--port', 'http']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port wants a port number/);
});
