// `medcard run --shard k/n`: the shards together run every scenario of the suite exactly once.
// Dry runs (every step matched, none executed) keep it cheap: the suite's own features, as CI shards them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const medcard = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

/** The scenarios a dry run went through, each as "feature file:line of the scenario or example row". */
function dryRun(...extra: string[]): string[] {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-shard-'));
  const r = medcard('run', '--dry-run', '--quiet', '--reports', reports, ...extra);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const features = JSON.parse(fs.readFileSync(path.join(reports, 'cucumber.json'), 'utf8')) as { uri: string; elements: { line: number; type: string }[] }[];
  const scenarios = features.flatMap((f) => f.elements.filter((e) => e.type === 'scenario').map((e) => `${f.uri}:${e.line}`));
  // The summary line counts the same scenarios (cucumber's own count, not ours).
  assert.match(r.stdout, new RegExp(`^${scenarios.length} scenarios? \\(`, 'm'), r.stdout);
  return scenarios;
}

test('shards 1/3, 2/3 and 3/3 together run every scenario of an unsharded run, each in exactly one shard', () => {
  const all = dryRun();
  assert.equal(new Set(all).size, all.length, 'each scenario has its own file:line');
  assert.ok(all.length >= 30, `the suite has ${all.length} scenarios`);
  const shards = ['1/3', '2/3', '3/3'].map((s) => dryRun('--shard', s));
  for (const s of shards) assert.ok(s.length > 0 && s.length <= Math.ceil(all.length / 3), `a shard of ${s.length} of ${all.length}`);
  const ran = shards.flat();
  assert.equal(ran.length, all.length, 'the shards ran as many scenarios as the whole');
  assert.deepEqual([...ran].sort(), [...all].sort(), 'the same scenarios, none twice');
  assert.deepEqual(dryRun('--shard', '2/3'), shards[1], 'a shard is the same set on every run');
});

test('--shard wants k/n with 1 ≤ k ≤ n: anything else is exit 2 before any scenario, saying so', () => {
  for (const bad of ['0/3', '4/3', '3/0', '1', 'a/b', '-1/3']) {
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-shard-'));
    const r = medcard('run', '--dry-run', '--quiet', '--reports', reports, `--shard=${bad}`);
    assert.equal(r.status, 2, `${bad}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^medcard run: --shard wants k/n with 1 ≤ k ≤ n .*not "${bad}"`), bad);
    assert.ok(!fs.existsSync(path.join(reports, 'cucumber.json')), `${bad}: nothing ran`);
  }
});
