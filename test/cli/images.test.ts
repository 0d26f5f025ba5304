// `medcard images list` reads our images through the Engine API: the docker CLI's
// `--format '{{.Labels}}'` is a template error on Docker 20.10, the version Debian ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INPUTS_LABEL, pingDocker } from '../../containers';

const root = path.resolve(__dirname, '..', '..');
const medcard = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

test('`medcard images list` shows an image with our inputs label: name, id and the inputs hash', async () => {
  try {
    await pingDocker();
  } catch (err) {
    throw new Error(`this test needs a Docker Engine: as root, apt-get install -y docker.io && dockerd & (scripts/setup-machine.sh does both).\n${(err as Error).message}`);
  }
  // An empty image made on the spot (nothing can be pulled here), labelled as a build labels ours.
  const name = `medcard/list-probe:${process.pid}`;
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-empty-image-'));
  const made = spawnSync('sh', ['-c', `tar -C ${empty} -c . | docker import --change 'LABEL ${INPUTS_LABEL}=0123456789abcdef' - ${name}`], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  try {
    const r = medcard(['images', 'list']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /template parsing error/);
    assert.match(r.stdout, new RegExp(`^${name.replace(/[/:]/g, '\\$&')}\\s+${made.stdout.trim().replace(/^sha256:/, '').slice(0, 12)}\\s.*inputs 0123456789abcdef$`, 'm'));
  } finally {
    spawnSync('docker', ['rmi', name]);
  }
});

test('`medcard images list` with no container engine: exit 2 and what to start', () => {
  const r = medcard(['images', 'list'], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /^medcard images: no container engine can be reached \(tcp:\/\/127\.0\.0\.1:1: connection refused\)/);
  assert.match(r.stderr, /dockerd &/);
});
