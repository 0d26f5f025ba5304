// Readers held across processes (rigs/reservations.ts): two runs on one rig take turns, a run
// that may not wait says who holds the reader, a stray card process in a vpcd slot is named at
// once, and a holder that died leaves nothing behind. Every run here is a separate process, as
// on a lab machine; scripts/test.js holds /tmp/medcard-vpcd.lock (never take it here).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeHolder, tryReserve, release, readerKey } from '../../rigs/reservations';
import { PcscChannel } from '../../rigs';
import { VICC_PYTHON, withViccEnv } from '../../bench/vicc';

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


/** Resolves once a `medcard emulate` child says its card is in vpcd port 35963. */
function inserted(card: ChildProcess): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let said = '';
    card.stdout!.on('data', (c: Buffer) => { said += c; if (/35963/.test(said)) resolve(); });
    card.once('exit', (code) => reject(new Error(`medcard emulate exited (${code}): ${said}`)));
  });
}

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
      await inserted(stray);
      const r = await medcard(['run', '--rig', 'vpcd', '--reports', path.join(tmp, 'd'), FEATURE]).done;
      assert.equal(r.code, 1, r.out.slice(-2000));
      assert.match(r.out, new RegExp(`Virtual PCD 00 00 already holds a card from pid ${stray.pid} \\(.*emulate.*\\): stop that process \\(kill ${stray.pid}\\)`));
    } finally {
      stray.kill();
      await exited(stray);
    }
  });

  /** vicc (vsmartcard's card program, not medcard) on vpcd port 35963, its card shown in "Virtual PCD 00 00"; `fn` gets its pid. */
  async function withStrayVicc(fn: (pid: number) => Promise<void>): Promise<void> {
    await withViccEnv(async (env) => {
      const vicc = spawn(VICC_PYTHON, ['/usr/bin/vicc', '-t', 'iso7816', '-H', '127.0.0.1', '-P', '35963'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let said = '';
      vicc.stdout!.on('data', (c: Buffer) => { said += c; });
      vicc.stderr!.on('data', (c: Buffer) => { said += c; });
      try {
        const ch = new PcscChannel('Virtual PCD 00 00');
        try {
          assert.ok(await ch.waitForCard(20_000), `vicc's card did not show in "Virtual PCD 00 00" within 20 s: ${said}`);
        } finally {
          await ch.close();
        }
        await fn(vicc.pid!);
      } finally {
        vicc.kill();
        await exited(vicc);
      }
    });
  }
  const namesVicc = (pid: number) => new RegExp(`Virtual PCD 00 00 already holds a card from pid ${pid} \\(/usr/bin/python3 /usr/bin/vicc -t iso7816 .*\\), a program that is not medcard \\(vpcd port 35963\\): stop it \\(kill ${pid}\\)`);

  test('a card program that is not medcard (vicc) in the reader is named too: it holds no reservation, its connection to vpcd shows it', async () => {
    await withStrayVicc(async (pid) => {
      const r = await medcard(['run', '--rig', 'vpcd', '--reports', path.join(tmp, 'f'), FEATURE]).done;
      assert.equal(r.code, 1, r.out.slice(-2000));
      assert.match(r.out, namesVicc(pid));
    });
  });

  test('remote-card: a card program that is not medcard (vicc) in the reader is named, and no card container starts', async () => {
    const rig = path.join(tmp, 'remote-vicc.yaml');
    fs.writeFileSync(rig, 'kind: remote-card\nreader: ["Virtual PCD 00 00"]\ncard: fixtures/cards/zhang-san.yaml\ncapabilities: [card-swap, card-remove]\n');
    await withStrayVicc(async (pid) => {
      const r = await medcard(['run', '--rig', rig, '--reports', path.join(tmp, 'g'), FEATURE]).done;
      assert.equal(r.code, 1, r.out.slice(-2000));
      assert.match(r.out, namesVicc(pid));
      const ps = spawnSync('docker', ['ps', '-aq', '--filter', 'label=org.medcard.role=card'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(ps.stdout.trim(), '', 'no card container left or started');
    });
  });

  test('remote-card: a stray card process in the reader fails the scenario within 3 s, naming it, and starts no card container', async () => {
    // The embedded engine: no container engine to build; the card containers are what is under test.
    const rig = path.join(tmp, 'remote.yaml');
    fs.writeFileSync(rig, 'kind: remote-card\nreader: ["Virtual PCD 00 00"]\ncard: fixtures/cards/zhang-san.yaml\ncapabilities: [card-swap, card-remove]\n');
    const stray = spawn(process.execPath, ['bin/medcard.js', 'emulate', '--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', '35963'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await inserted(stray);
      const r = await medcard(['run', '--rig', rig, '--reports', path.join(tmp, 'e'), FEATURE]).done;
      assert.equal(r.code, 1, r.out.slice(-2000));
      assert.match(r.out, new RegExp(`Virtual PCD 00 00 already holds a card from pid ${stray.pid} \\(.*emulate.*\\): stop that process \\(kill ${stray.pid}\\)`));
      // Each scenario that inserts a card failed on it (a few seconds each: the grace for a card on its way
      // out); none started a container (the slot is taken before any container is).
      const failed = [...r.out.matchAll(/^failed\s+\S+\s+.*\((\d+(?:\.\d+)?) s\)$/gm)].map((m) => Number(m[1]));
      console.log(`remote-card with a stray card: ${failed.length} scenario(s) failed, after ${failed.join(', ')} s each`);
      assert.ok(failed.length >= 1, r.out.slice(-2000));
      // Each failure's text names the holder (a step failure may show it twice: the step's words, then the rig's error).
      assert.ok((r.out.match(/Virtual PCD 00 00 already holds a card from pid/g)?.length ?? 0) >= failed.length, `every failure names the holder:\n${r.out.slice(-3000)}`);
      const ps = spawnSync('docker', ['ps', '-aq', '--filter', 'label=org.medcard.role=card'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(ps.stdout.trim(), '', 'no card container left or started');
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
