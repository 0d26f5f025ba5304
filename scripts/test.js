#!/usr/bin/env node
// `npm test [-- <file or folder>...]`: type-check, then run test/**/*.test.ts with node:test.
// The last line is "N passed, N failed", which .ci/run passes through.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.chdir(root);

function findTests(target) {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs.readdirSync(target, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? findTests(path.join(target, e.name))
      : e.name.endsWith('.test.ts') ? [path.join(target, e.name)] : []));
}

const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['test']).flatMap(findTests);
if (files.length === 0) {
  console.error('no test files found under', targets.join(' ') || 'test/');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', '.'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type check failed (npx tsc --noEmit -p . shows the errors)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const summaryFile = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'medcard-test-')), 'summary.txt');
// The virtual readers (Virtual PCD 00 00 / 00 01) are shared by every process on the machine:
// the tests hold /tmp/medcard-vpcd.lock while they run, as anything else using the readers must.
const lock = spawnSync('flock', ['--version']).status === 0 ? ['flock', '/tmp/medcard-vpcd.lock'] : [];
if (!lock.length) console.error('flock not found (util-linux): the tests run without the virtual-reader lock');
const nodeArgs = [
  '--require', 'ts-node/register',
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/summary-reporter.mjs', `--test-reporter-destination=${summaryFile}`,
  ...files,
];
const run = spawnSync(lock[0] ?? process.execPath, lock.length ? [...lock.slice(1), process.execPath, ...nodeArgs] : nodeArgs,
  { stdio: 'inherit', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });
// The summary goes last, after the spec reporter has finished writing.
const summary = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8').trim() : '';
console.log(summary || '0 passed, 1 failed');
process.exit(run.status ?? 1);
