// Readers held across processes (rigs/reservations.ts): two runs on one rig take turns, a run
// that may not wait says who holds the reader, a stray card process in a vpcd slot is named at
// once, and a holder that died leaves nothing behind. Every run here is a separate process, as
// on a lab machine; scripts/test.js holds /tmp/medcard-vpcd.lock (never take it here).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeHolder, tryReserve, release, readerKey } from '../../rigs/reservations';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-reservations-'));
const FEATURE = 'features/chongqing-example.feature';

function medcard(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['bin/medcard.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c; });
  child.stderr!.on('data', (c: Buffer) => { out += c; });
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out }))) };
}

/** A process of its own holding `key` until killed; resolves once it holds it. */
function holder(key: string): Promise<ChildProcess> {
  const script = `const r = require('./rigs/reservations'); if (r.tryReserve(${JSON.stringify(key)})) process.exit(3); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-r', './steps/register.js', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
  });
}

const exited = (c: ChildProcess) => new Promise((r) => { if (c.exitCode !== null || c.signalCode) r(undefined); else c.once('exit', r); });

describe('readers reserved across processes', () => {
  test('two runs on one rig started together: one runs, the other waits, then runs; neither fails', async () => {
    const a = medcard(['run', '--rig', 'vpcd', '--quiet', '--reports', path.join(tmp, 'a'), FEATURE]);
    const b = medcard(['run', '--rig', 'vpcd', '--quiet', '--reports', path.join(tmp, 'b'), FEATURE]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.out.slice(-2000));
    assert.equal(rb.code, 0, rb.out.slice(-2000));
    const waited = [ra, rb].filter((r) => /reader "Virtual PCD 00 00" is in use by pid \d+/.test(r.out));
    assert.equal(waited.length, 1, `exactly one run waited for the other:\n--- a\n${ra.out.slice(-1500)}\n--- b\n${rb.out.slice(-1500)}`);
  });

  test('a run that may not wait exits 2 before any scenario, naming who holds the reader', async () => {
    const h = await holder(readerKey('Virtual PCD 00 00'));
    try {
      const r = await medcard(['run', '--rig', 'vpcd', '--wait', '0', '--reports', path.join(tmp, 'c'), FEATURE]).done;
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, new RegExp(`reader "Virtual PCD 00 00" is held by pid ${h.pid} \\(.*reservations.*\\): wait for it to finish, or stop it \\(kill ${h.pid}\\)`));
      assert.doesNotMatch(r.out, /scenarios? \(/, 'no scenario ran');
    } finally {
      h.kill();
      await exited(h);
    }
  });

  test('under LANG=zh_CN the same refusal is in Chinese, exit 2', async () => {
    const h = await holder(readerKey('Virtual PCD 00 00'));
    try {
      const r = await medcard(['run', '--rig', 'vpcd', '--wait', '0', '--reports', path.join(tmp, 'zh'), FEATURE], { LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' }).done;
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, new RegExp(`^medcard run: 读卡器 "Virtual PCD 00 00" 正被 pid ${h.pid} \\(.*reservations.*\\) 占用，等了 0 秒仍未释放：等它结束，或停止它（kill ${h.pid}）$`, 'm'));
    } finally {
      h.kill();
      await exited(h);
    }
  });

  test('a stray card process in the reader is named within seconds, not waited on', async () => {
    const stray = spawn(process.execPath, ['bin/medcard.js', 'emulate', '--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', '35963'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let said = '';
        stray.stdout!.on('data', (c: Buffer) => { said += c; if (/35963/.test(said)) resolve(); });
        stray.once('exit', (code) => reject(new Error(`medcard emulate exited (${code}): ${said}`)));
      });
      const r = await medcard(['run', '--rig', 'vpcd', '--reports', path.join(tmp, 'd'), FEATURE]).done;
      assert.equal(r.code, 1, r.out.slice(-2000));
      assert.match(r.out, new RegExp(`Virtual PCD 00 00 already holds a card from pid ${stray.pid} \\(.*emulate.*\\): stop that process \\(kill ${stray.pid}\\)`));
    } finally {
      stray.kill();
      await exited(stray);
    }
  });

  test('a holder that died (SIGKILL: no exit handler ran) leaves the reader free', async () => {
    const key = `test-${process.pid}`;
    const h = await holder(key);
    const held = tryReserve(key);
    assert.ok(held, 'held while the holder lives');
    assert.equal(held.pid, h.pid);
    assert.match(describeHolder(held), new RegExp(`^pid ${h.pid} \\(`));
    h.kill('SIGKILL');
    await exited(h);
    assert.equal(tryReserve(key), null, 'taken once the holder is gone');
    release(key);
  });

  test('a lock file naming a live process that is not its holder (a reused pid) is taken over', () => {
    const key = `test-reused-${process.pid}`;
    const file = path.join(os.tmpdir(), 'medcard-readers', `${key}.lock`);
    // pid 1 lives, but it did not start at this time: the file's holder is long gone.
    fs.writeFileSync(file, JSON.stringify({ pid: 1, start: '999999999999', command: 'gone', since: '2026-01-01T00:00:00Z' }));
    assert.equal(tryReserve(key), null);
    release(key);
    assert.equal(fs.existsSync(file), false, 'released');
  });
});
