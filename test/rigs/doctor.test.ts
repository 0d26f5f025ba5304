// `medcard doctor` on this machine: it must see pcscd and both vpcd readers, find the addon,
// and measure the stall — present without quick-ACK (~48 ms per APDU), gone with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MEDCARD, ROOT } from './helpers';

test('medcard doctor: pcscd, the vpcd readers, the addon, and the stall measured both ways', () => {
  const r = spawnSync(process.execPath, [MEDCARD, 'doctor'], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(out, /^ok\s+pcscd answers$/m);
  assert.match(out, /^ok\s+vpcd readers: Virtual PCD 00 00, Virtual PCD 00 01$/m);
  assert.match(out, /^ok\s+quick-ACK addon loaded/m);
  const m = /without quick-ACK: (\d+) APDU\/s \(([\d.]+) ms per APDU\); with per-socket quick-ACK: (\d+) APDU\/s/.exec(out);
  assert.ok(m, `no stall measurement in:\n${out}`);
  const [, , slowMs, fastRate] = m;
  // The stall is the delayed-ACK timer: tens of milliseconds. Cured, an APDU is well under one.
  assert.ok(Number(slowMs) > 10, `without quick-ACK an APDU took ${slowMs} ms: no stall on this machine?`);
  assert.ok(Number(fastRate) > 100, `with quick-ACK only ${fastRate} APDU/s`);
  assert.match(out, /ip route change table local local 127\.0\.0\.1 dev lo proto kernel scope host src 127\.0\.0\.1 quickack 1/);
  assert.match(out, /all checks passed/);
});

test('medcard doctor --fix refuses to touch the network without root, and says what to run', () => {
  // As root the fix would change the route, so this test runs the non-root path through `setpriv`.
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MEDCARD, 'doctor', '--fix', '--no-measure'], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  const out = `${r.stdout}${r.stderr}`;
  if (/quickack 1/.test(spawnSync('ip', ['route', 'show', 'table', 'local', '127.0.0.1'], { encoding: 'utf8' }).stdout)) {
    assert.match(out, /already in quick-ACK mode/);
  } else {
    assert.equal(r.status, 1, out);
    assert.match(out, /--fix needs root/);
    assert.match(out, /run as root: ip route change table local local 127\.0\.0\.1 .* quickack 1/);
  }
});
