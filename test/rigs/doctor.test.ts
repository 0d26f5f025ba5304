// `medcard doctor` on this machine: it must see pcscd and both vpcd readers, find the addon,
// and measure the stall — present without quick-ACK (~48 ms per APDU), gone with it. Each
// failed check prints its exact fix (a pcscd restart by its pid, never a broad pkill).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerFix, fontFix, pcscdFix, postgresFix, vpcdFix } from '../../cli/doctor';
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
  const [, slowRate, slowMs, fastRate] = m;
  // The stall is the delayed-ACK timer: tens of milliseconds, whatever the load (a busy
  // machine only makes it longer). Cured, an APDU is well under a millisecond on an idle
  // machine; on a busy one we ask only for a cure that is plain: 3× the stalled rate.
  assert.ok(Number(slowMs) > 10, `without quick-ACK an APDU took ${slowMs} ms: no stall on this machine?`);
  assert.ok(Number(fastRate) > 3 * Number(slowRate), `with quick-ACK ${fastRate} APDU/s, without ${slowRate} APDU/s`);
  assert.match(out, /ip route change table local local 127\.0\.0\.1 dev lo proto kernel scope host src 127\.0\.0\.1 quickack 1/);
  assert.match(out, /all checks passed/);
});

test('medcard doctor --fix refuses to touch the network without root, and says what to run', () => {
  // As root the fix would change the route, so this test runs the non-root path through
  // `setpriv` as nobody. The checkout may sit in a folder only root can enter (/root/…): the
  // one capability kept, CAP_DAC_READ_SEARCH, lets nobody read it, and grants nothing on
  // the network (changing a route needs CAP_NET_ADMIN).
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search',
    process.execPath, MEDCARD, 'doctor', '--fix', '--no-measure'], { cwd: ROOT, encoding: 'utf8', timeout: 60000, env: { ...process.env, HOME: os.tmpdir() } });
  const out = `${r.stdout}${r.stderr}`;
  if (/quickack 1/.test(spawnSync('ip', ['route', 'show', 'table', 'local', '127.0.0.1'], { encoding: 'utf8' }).stdout)) {
    assert.match(out, /already in quick-ACK mode/);
  } else {
    assert.equal(r.status, 1, out);
    assert.match(out, /--fix needs root/);
    assert.match(out, /run as root: ip route change table local local 127\.0\.0\.1 .* quickack 1/);
  }
});

test('under LANG=zh_CN doctor says the same in Chinese: each check and its fix (the commands as they are), exit 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-doctor-zh-'));
  fs.writeFileSync(path.join(dir, 'fonts.conf'), '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n');
  const socket = path.join(dir, 'no-pcscd.comm');
  const r = spawnSync(process.execPath, [MEDCARD, 'doctor', '--no-measure'], {
    cwd: ROOT, encoding: 'utf8', timeout: 60000,
    env: { ...process.env, LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '', PCSCLITE_CSOCK_NAME: socket, DOCKER_HOST: 'tcp://127.0.0.1:1', FONTCONFIG_FILE: path.join(dir, 'fonts.conf'), PGPORT: '1' },
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 1, out);
  assert.match(out, new RegExp(`^FAIL  pcscd\n.*\n {6}PCSCLITE_CSOCK_NAME=${socket} 指向的套接字上没有 pcscd 应答：unset PCSCLITE_CSOCK_NAME`, 'm'));
  assert.match(out, /^info  vpcd 读卡器：未检查，pcscd 没有应答/m);
  assert.match(out, /^info  127\.0\.0\.1:1 上的 PostgreSQL：没有应答.*\n {6}修复（root）：(pg_ctlcluster --skip-systemctl-redirect \d+ main start|apt-get install -y postgresql)$/m);
  assert.match(out, /^warn  Docker Engine：无法连接.*\n.*\n {6}DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1 没有应答：unset DOCKER_HOST/m);
  assert.match(out, /^warn  没有 CJK 字体（fc-list :lang=zh 一个也没列出）.*\n {6}修复（root）：apt-get install -y fonts-wqy-microhei/m);
  assert.match(out, /^发现 1 个问题$/m);
  const withFlag = spawnSync(process.execPath, [MEDCARD, 'doctor', '--no-measure', '--lang', 'zh'], {
    cwd: ROOT, encoding: 'utf8', timeout: 60000, env: { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', PCSCLITE_CSOCK_NAME: socket, DOCKER_HOST: 'tcp://127.0.0.1:1', PGPORT: '1' },
  });
  assert.match(withFlag.stdout, /^info  vpcd 读卡器：未检查/m, '--lang zh under LANG=C');
  assert.equal(withFlag.status, 1);
});

test('medcard doctor with pcscd, PostgreSQL, Docker and fonts out of reach: each says so with its fix, and only pcscd is a failure', () => {
  // Out of reach for this process only: the machine's pcscd, PostgreSQL and Docker go on serving the others.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-doctor-'));
  fs.writeFileSync(path.join(dir, 'fonts.conf'), '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n');
  const socket = path.join(dir, 'no-pcscd.comm');
  const r = spawnSync(process.execPath, [MEDCARD, 'doctor', '--no-measure'], {
    cwd: ROOT, encoding: 'utf8', timeout: 60000,
    env: { ...process.env, PCSCLITE_CSOCK_NAME: socket, DOCKER_HOST: 'tcp://127.0.0.1:1', FONTCONFIG_FILE: path.join(dir, 'fonts.conf'), PGPORT: '1' },
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 1, out);
  assert.match(out, new RegExp(`^FAIL  pcscd\n.*\n {6}PCSCLITE_CSOCK_NAME=${socket} names a socket no pcscd answers on: unset PCSCLITE_CSOCK_NAME`, 'm'));
  assert.match(out, /^info  vpcd readers: not checked, pcscd does not answer/m);
  assert.match(out, /^info  PostgreSQL on 127\.0\.0\.1:1: not answering .*\n {6}fix \(root\): (pg_ctlcluster --skip-systemctl-redirect \d+ main start|apt-get install -y postgresql)$/m);
  assert.match(out, /^warn  Docker Engine: not reachable .*\n {6}no container engine can be reached \(tcp:\/\/127\.0\.0\.1:1: connection refused\)\n {6}DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1 does not answer: unset DOCKER_HOST/m);
  assert.match(out, /^warn  no CJK font \(fc-list :lang=zh lists none\).*\n {6}fix \(root\): apt-get install -y fonts-wqy-microhei/m);
  assert.match(out, /^1 problem\(s\) found$/m);
  assert.doesNotMatch(out, /pkill|killall/);
});

test('the fixes doctor prints: a pcscd restart by its pid, the package to install, the daemon to start', () => {
  const pcscd = { installed: true, pid: 4242, running: true };
  assert.equal(pcscdFix(pcscd), 'pcscd (pid 4242) runs but does not answer; fix (root): kill 4242 && pcscd');
  assert.equal(pcscdFix({ installed: true, running: false }), 'pcscd is not running; fix (root): pcscd');
  assert.equal(pcscdFix({ installed: false, running: false }), 'fix (root): apt-get install -y pcscd && pcscd');
  assert.match(pcscdFix({ ...pcscd, socketOverride: '/x' }), /^PCSCLITE_CSOCK_NAME=\/x names a socket no pcscd answers on/);
  assert.equal(vpcdFix({ ...pcscd, driverInstalled: false }), 'the vpcd driver is not installed; fix (root): apt-get install -y vsmartcard-vpcd && kill 4242 && pcscd');
  assert.match(vpcdFix({ ...pcscd, driverInstalled: true }), /has not loaded it .*; fix \(root\): kill 4242 && pcscd$/);
  assert.match(vpcdFix({ installed: true, running: false, driverInstalled: true }), /; fix \(root\): pcscd$/);
  assert.equal(dockerFix({ error: 'x', installed: false, user: 'ci' }), 'fix (root): apt-get install -y docker.io && setsid nohup dockerd >/var/log/medcard-dockerd.log 2>&1 </dev/null &');
  assert.equal(dockerFix({ error: 'unix:///var/run/docker.sock: no socket there', installed: true, user: 'ci' }), 'fix (root): setsid nohup dockerd >/var/log/medcard-dockerd.log 2>&1 </dev/null &');
  assert.equal(dockerFix({ error: 'permission denied (add yourself to the docker group)', installed: true, user: 'ci' }), 'fix (root): usermod -aG docker ci  (then log in again)');
  assert.equal(fontFix(false), 'fix (root): apt-get install -y fontconfig fonts-wqy-microhei  (npm run setup installs it)');
  assert.equal(postgresFix(['13', '15']), 'fix (root): pg_ctlcluster --skip-systemctl-redirect 15 main start');
  assert.equal(postgresFix([]), 'fix (root): apt-get install -y postgresql');
  // No code in doctor names a broad kill (its comments may say why not).
  const code = fs.readFileSync(path.join(ROOT, 'cli/doctor.ts'), 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join('\n');
  assert.doesNotMatch(code, /pkill|killall/, 'doctor never suggests a broad kill');
});
