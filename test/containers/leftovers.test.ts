// None of our containers is left behind: after a run that fails, after Ctrl-C (SIGINT), after
// SIGTERM; and a hard kill's leftovers are swept by label at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sweepLeftovers } from '../../containers';
import { containersOf, medcard, needDocker, networksOf, until, volumesOf } from './helpers';

function failingFeature(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-fail-'));
  const file = path.join(dir, 'fails.feature');
  fs.writeFileSync(file, [
    '# language: en',
    'Feature: a run that fails',
    // A balance wrong on purpose (a new person's account holds 0.00): the run starts, and fails.
    '  Scenario: a step that fails',
    '    Given "Xiao Wang" is insured in Chongqing under employee insurance',
    '    Then "Xiao Wang"\'s account balance is CNY 1.00',
    '',
  ].join('\n'));
  return file;
}

function assertNothingOf(pid: number, output: string) {
  assert.deepEqual(containersOf(pid), [], `containers left by pid ${pid}:\n${output}`);
  assert.deepEqual(volumesOf(pid), [], `volumes left by pid ${pid}`);
  assert.deepEqual(networksOf(pid), [], `networks left by pid ${pid}`);
}

test('a failing run on the containers rig leaves no container, volume or network', async () => {
  await needDocker();
  const run = medcard(['run', '--rig', 'containers', '--quiet', '--reports', '/tmp/medcard-test-fail', failingFeature()]);
  let seen = 0;
  const poll = setInterval(() => { seen = Math.max(seen, containersOf(run.child.pid!).length); }, 300);
  const code = await run.exited;
  clearInterval(poll);
  assert.equal(code, 1, run.output());
  assert.match(run.output(), /engine medcard\/engine ready/, run.output());
  assert.ok(seen >= 1, 'the run did start containers');
  assertNothingOf(run.child.pid!, run.output());
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} in the middle of a containers run removes everything`, async () => {
    await needDocker();
    const run = medcard(['run', '--rig', 'containers', '--quiet', '--reports', `/tmp/medcard-test-${signal}`]);
    const pid = run.child.pid!;
    // Wait until the engine and the ledger are both up (or the run ends first: a failure).
    await Promise.race([
      until('the engine and ledger containers', () => /engine medcard\/engine ready/.test(run.output()), 120_000),
      run.exited.then(() => { throw new Error(`the run ended before ${signal}:\n${run.output()}`); }),
    ]);
    assert.ok(containersOf(pid, false).length >= 2, 'engine and ledger running');
    run.child.kill(signal);
    const code = await run.exited;
    assert.equal(code, signal === 'SIGINT' ? 130 : 143, run.output());
    assert.match(run.output(), new RegExp(`${signal}: stopping and removing the containers of this run`));
    assertNothingOf(pid, run.output());
  });
}

test('after a hard kill (SIGKILL), the next start sweeps the leftovers by label', async () => {
  await needDocker();
  const run = medcard(['run', '--rig', 'containers', '--quiet', '--reports', '/tmp/medcard-test-kill9']);
  const pid = run.child.pid!;
  await Promise.race([
    until('the engine', () => /engine medcard\/engine ready/.test(run.output()), 120_000),
    run.exited.then(() => { throw new Error(`the run ended before the kill:\n${run.output()}`); }),
  ]);
  run.child.kill('SIGKILL');
  await run.exited;
  assert.ok(containersOf(pid).length >= 2, 'a hard kill leaves containers (no reaper here)');
  const swept = await sweepLeftovers();
  assert.ok(swept.some((s) => s.startsWith('container')), swept.join(', '));
  assertNothingOf(pid, run.output());
});
