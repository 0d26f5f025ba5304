// The remote-card rig whose card container starts but never inserts its card (a broken card
// image, a vpcd the container cannot reach): each scenario needing a card fails within the
// rig file's cards.timeoutMs, the container is removed, and the failure says why and shows
// what the container printed. The image is a one-file static program (tools/silent-card.c),
// imported here, so no image of ours needs building. Uses a vpcd slot: scripts/test.js holds
// /tmp/medcard-vpcd.lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pingDocker } from '../../containers';
import { MEDCARD, ROOT } from './helpers';

const IMAGE = `medcard-test/silent-card:${process.pid}`;

function run(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MEDCARD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out, ms: Date.now() - t0 }));
  });
}

test('remote-card: a card container that never inserts its card fails the scenario within cards.timeoutMs, is removed, and says why', async () => {
  await pingDocker();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-silent-'));
  const bin = path.join(dir, 'root', 'usr', 'local', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  // The card image's entrypoint is /usr/local/bin/node: here, a program that never connects.
  const cc = spawnSync('cc', ['-static', '-O2', '-o', path.join(bin, 'node'), path.join(__dirname, 'tools', 'silent-card.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `cc -static failed (apt-get install gcc libc6-dev): ${cc.stderr}`);
  const imported = spawnSync('sh', ['-c', `tar -C ${JSON.stringify(path.join(dir, 'root'))} -c . | docker import - ${IMAGE}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(imported.status, 0, imported.stderr);
  const rig = path.join(dir, 'silent.yaml');
  fs.writeFileSync(rig, `kind: remote-card\nreader: ["Virtual PCD 00 01"]\ncard: fixtures/cards/zhang-san.yaml\ncards: { image: "${IMAGE}", timeoutMs: 5000 }\ncapabilities: [card-swap, card-remove]\n`);
  try {
    const r = await run(['run', '--rig', rig, '--reports', path.join(dir, 'reports'), 'features/chongqing-example.feature']);
    assert.equal(r.code, 1, r.out.slice(-3000));
    const failed = [...r.out.matchAll(/^failed\s+\S+\s+.*\((\d+(?:\.\d+)?) s\)$/gm)].map((m) => Number(m[1]));
    console.log(`silent card container: ${failed.length} scenario(s) failed, after ${failed.join(', ')} s each; the run took ${r.ms} ms`);
    assert.ok(failed.length >= 1, r.out.slice(-3000));
    const why = new RegExp(`the card container \\(${IMAGE.replace(/[/.]/g, '\\$&')}, medcard emulate → host.docker.internal:35964\\) did not insert its card within 5 s, so it was removed: is vpcd reachable from the container`, 'g');
    assert.equal(r.out.match(why)?.length, failed.length, r.out.slice(-3000));
    assert.match(r.out, /its output:\s+a card that never connects to vpcd/);
    const left = spawnSync('docker', ['ps', '-aq', '--filter', `ancestor=${IMAGE}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'no card container left behind');
  } finally {
    spawnSync('sh', ['-c', `docker ps -aq --filter ancestor=${IMAGE} | xargs -r docker rm -f; docker rmi -f ${IMAGE}`], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
