// The whole suite on both container rigs, for real, and `docker ps -a` shows nothing of ours
// afterwards. remote-card uses the shared vpcd readers: npm test holds /tmp/medcard-vpcd.lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { listOurs } from '../../containers';
import { MEDCARD, needDocker, ROOT } from './helpers';

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function summary(out: string): string {
  return out.split('\n').filter((l) => /scenarios \(|steps \(|skipped because/.test(l)).join('\n');
}

test('medcard run --rig containers passes the whole suite and leaves nothing behind', async () => {
  await needDocker();
  const r = await run(process.execPath, [MEDCARD, 'run', '--rig', 'containers', '--quiet', '--reports', '/tmp/medcard-test-rig-containers']);
  assert.equal(r.code, 0, r.out.slice(-4000));
  assert.match(r.out, /\d+ scenarios \(\d+ passed\)/, summary(r.out));
  assert.deepEqual(listOurs(), { containers: [], networks: [], volumes: [] });
});

test('medcard run --rig remote-card --parallel 2 (two card containers on two vpcd readers) passes and leaves nothing behind', async () => {
  await needDocker();
  const r = await run(process.execPath, [MEDCARD, 'run', '--rig', 'remote-card', '--parallel', '2', '--quiet', '--reports', '/tmp/medcard-test-rig-remote-card']);
  assert.equal(r.code, 0, r.out.slice(-4000));
  assert.match(r.out, /\d+ scenarios \((\d+ skipped, )?\d+ passed\)/, summary(r.out));
  // Only the card-state scenarios are skipped (a card served elsewhere cannot be changed on cue).
  const skipped = r.out.split('\n').filter((l) => /^\s+- .* — skipped: /.test(l));
  for (const l of skipped) assert.match(l, /lacks card-state/);
  assert.deepEqual(listOurs(), { containers: [], networks: [], volumes: [] });
});
