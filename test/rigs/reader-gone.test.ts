// The PC/SC reader gone mid-run: pcscd restarted without it (what an unplugged reader looks
// like to a client), pcscd killed outright, and both back again. On a pcscd of the test's own
// (test/rigs/private-pcscd.ts: its own mount namespace, reader "Lab Reader" on vpcd ports
// 35984/35985), so neither the machine's shared pcscd nor its virtual readers are touched and
// no vpcd lock is needed. Not root, or no unshare: skipped, saying why.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrivatePcscd, privatePcscdUnavailable } from './private-pcscd';
import { loadCardProfile } from '../../emulator';
import { openRig, PcscChannel } from '../../rigs';
import { MEDCARD, ROOT, SELECT_SSSE, hexBytes, startEmulator } from './helpers';

const PORT = 35984;
const READER = 'Lab Reader 00 00';
const unavailable = privatePcscdUnavailable();
const pcscd = unavailable ? undefined : new PrivatePcscd(PORT);
// pcsc-lite reads the socket's name once, at this process's first PC/SC call: before any.
if (pcscd) process.env.PCSCLITE_CSOCK_NAME = pcscd.socket;
after(async () => { await pcscd?.dispose(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** "Unplug": pcscd restarted with no reader configured, so it no longer lists "Lab Reader". */
async function unplug() { await pcscd!.stop(); await pcscd!.start(false); }
async function plugBack() { await pcscd!.stop(); await pcscd!.start(true); }
/** The private pcscd with its reader, 张三's card served into it by `medcard emulate`, and a pcsc rig file for it in a temporary folder. */
async function labRig() {
  await pcscd!.start(true);
  const emu = await startEmulator(['--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', String(PORT)], READER);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-gone-'));
  const rigFile = path.join(dir, 'lab.yaml');
  fs.writeFileSync(rigFile, 'kind: pcsc\ndescription: a lab reader on a private pcscd (test/rigs/reader-gone.test.ts)\nreader: Lab Reader\ncard: fixtures/cards/zhang-san.yaml\n');
  return { emu, dir, rigFile };
}
const isGone = /reader "Lab Reader 00 00" is gone: pcscd no longer lists it \(unplugged, or pcscd restarted without it\); readers pcscd knows: none: plug it back in/;

/** Is this process still running (not a zombie)? */
function running(pid: number): boolean {
  try { return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

describe('the reader gone mid-run (a private pcscd)', () => {
  test('channel: a read works; pcscd restarted without the reader is a clear "gone"; with it again, the same PcscChannel reads the card', { skip: unavailable, timeout: 180_000 }, async () => {
    await pcscd!.start(true);
    const emu = await startEmulator(['--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', String(PORT)], READER);
    const ch = new PcscChannel(READER);
    const seen: boolean[] = [];
    const stopListening = ch.onPresence((p) => seen.push(p));
    const select = async () => Buffer.from(await ch.transmit(hexBytes(SELECT_SSSE))).readUInt16BE(0) >> 8;
    try {
      await ch.powerOn();
      assert.equal(await select(), 0x61, 'SELECT SSSE answers 61xx (T=0: a response waiting)');

      await unplug();
      // The card's connection was to the old pcscd: the APDU in flight fails, saying so and what is there now.
      await assert.rejects(select(), (e: Error) => e.name === 'ReaderError'
        && /reader "Lab Reader 00 00": pcscd restarted \(or the reader was unplugged\) during the operation: the card's connection is lost/.test(e.message)
        && isGone.test(e.message));
      assert.deepEqual(ch.status(), { reader: 'gone', known: [] });
      await assert.rejects(ch.powerOn(), (e: Error) => e.name === 'ReaderError' && isGone.test(e.message));
      assert.equal(ch.isCardPresent(), false);

      await plugBack();
      // Generous: medcard emulate reconnects to vpcd once a second; the machine may be busy.
      assert.ok(await ch.waitForCard(30_000), 'the card is back in the reader within 30 s of pcscd listing it again');
      await ch.powerOn();
      assert.equal(await select(), 0x61, 'the same channel reads the card again');

      // pcscd killed outright: its own message, then back.
      await pcscd!.stop('SIGKILL');
      await assert.rejects(select(), (e: Error) => /pcscd restarted \(or the reader was unplugged\) during the operation: .*pcscd is not running now: start it \(as root\) with `pcscd`/.test(e.message));
      assert.throws(() => ch.isCardPresent(), /reader "Lab Reader 00 00": pcscd is not running \(it stopped, or is restarting\): start it \(as root\) with `pcscd`/);
      await assert.rejects(ch.powerOn(), /pcscd is not running/);
      await pcscd!.start(true);
      assert.ok(await ch.waitForCard(30_000));
      await ch.powerOn();
      assert.equal(await select(), 0x61);
      // The presence listener followed it all (its monitor made again after each restart): out, then in.
      const deadline = Date.now() + 10_000;
      while (seen.at(-1) !== true && Date.now() < deadline) await sleep(100);
      assert.ok(seen.includes(false) && seen.at(-1) === true, `presence events: ${JSON.stringify(seen)}`);
    } finally {
      stopListening();
      await ch.close();
      await emu.stop();
      await pcscd!.stop();
    }
  });

  test('rig: pcscd gone is said as such (start pcscd), waited for once, then scenarios fail at once until it is back', { skip: unavailable, timeout: 180_000 }, async () => {
    const { emu, dir, rigFile } = await labRig();
    const zhangSan = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
    const rig = await openRig(rigFile, { insertTimeoutMs: 1000 });
    try {
      await (await rig.insertCard(zhangSan)).channel.powerOn();
      await pcscd!.stop('SIGKILL');
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e.name === 'ReaderError'
        && /^reader "Lab Reader 00 00" unreachable: pcscd is not running \(it stopped, or is restarting\): start it \(as root\) with `pcscd`, or run `npx medcard doctor` \(waited 1 s; MEDCARD_INSERT_TIMEOUT_MS sets how long\)$/.test(e.message));
      await assert.rejects(rig.insertCard(zhangSan), (e: Error) => e.name === 'ReaderError'
        && /^reader "Lab Reader 00 00" unreachable since \S+ \(waited 1 s for it then\): pcscd is not running .*; until then every scenario needing it fails at once$/.test(e.message));
      await pcscd!.start(true);
      // Back (and medcard emulate's card in again, generous limit): the next scenario gets the card.
      const probe = new PcscChannel(READER);
      try { assert.ok(await probe.waitForCard(30_000)); } finally { await probe.close(); }
      const slot = await rig.insertCard(zhangSan);
      await slot.channel.powerOn();
      assert.equal(Buffer.from(await slot.channel.transmit(hexBytes(SELECT_SSSE))).readUInt8(0), 0x61);
    } finally {
      await rig.close();
      await emu.stop();
      await pcscd!.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('run: unplugged mid-run, the scenarios after it fail with "gone" (at once after one wait), the run ends with exit 1; plugged back, later scenarios pass', { skip: unavailable, timeout: 600_000 }, async () => {
    const { emu, dir, rigFile } = await labRig();
    const reports = path.join(dir, 'reports');
    // Every scenario of these gives 张三 (or another person) the card: each waits for it.
    const features = ['features/pharmacy-and-reversal.feature', 'features/credits-and-interest.feature', 'features/retiree.feature'];
    const run = spawn(process.execPath, [MEDCARD, 'run', '--rig', rigFile, '--reports', reports, ...features], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PCSCLITE_CSOCK_NAME: pcscd!.socket, MEDCARD_INSERT_TIMEOUT_MS: '3000' },
    });
    let out = '';
    let err = '';
    const lines: Array<{ status: string; where: string; phase: 'before' | 'unplugged' | 'back' }> = [];
    let phase: 'before' | 'unplugged' | 'back' = 'before';
    let replug: Promise<void> | undefined;
    let unplugging: Promise<void> | undefined;
    run.stdout!.on('data', (d) => {
      out += d;
      for (const m of String(d).matchAll(/^(passed|failed|skipped)\s+(features\/\S+)/gm)) {
        lines.push({ status: m[1]!, where: m[2]!, phase });
        // Unplug after two scenarios; plug back in after three failures while it was out (the
        // one in flight may fail mid-APDU, the next waits the timeout, the next fails at once).
        if (phase === 'before' && lines.length === 2) { phase = 'unplugged'; unplugging = unplug(); }
        if (phase === 'unplugged' && lines.filter((l) => l.phase === 'unplugged' && l.status === 'failed').length === 3) {
          phase = 'back';
          replug = unplugging!.then(plugBack);
        }
      }
    });
    run.stderr!.on('data', (d) => { err += d; });
    // A generous limit for the whole run (it takes ~30 s here); a hang is a failure, not a wait.
    const killer = setTimeout(() => run.kill('SIGKILL'), 300_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => run.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    try {
      await unplugging;
      await replug;
      const said = `stdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`;
      assert.equal(signal, null, `the run ended by itself (not killed after 300 s)\n${said}`);
      assert.equal(code, 1, `exit 1: scenarios failed\n${said}`);
      assert.match(out, /\d+ scenarios \(/, `the run printed its totals\n${said}`);
      // The operator is told once what is wrong and what to do, then it is waited for.
      assert.match(err, /medcard: reader "Lab Reader 00 00" is gone: pcscd no longer lists it .*: plug it back in — waiting up to 3 s/);
      assert.equal(err.match(/is gone: pcscd no longer lists it.*— waiting up to/g)?.length, 1, `said once\n${said}`);

      const json = JSON.parse(fs.readFileSync(path.join(reports, 'cucumber.json'), 'utf8')) as Array<{ uri: string; elements: Array<{ line: number; steps: Array<{ result: { status: string; error_message?: string } }> }> }>;
      const errors = new Map<string, string>(json.flatMap((f) => f.elements.map((e) => [`${f.uri}:${e.line}`, e.steps.map((s) => s.result.error_message ?? '').join('\n')] as const)));
      const failedOut = lines.filter((l) => l.phase === 'unplugged' && l.status === 'failed').map((l) => errors.get(l.where) ?? '');
      assert.ok(failedOut.length >= 3, `three scenarios failed while the reader was out\n${said}`);
      const gone = failedOut.filter((m) => isGone.test(m));
      assert.ok(gone.length >= 1, `a scenario failed saying the reader is gone:\n${failedOut.join('\n---\n')}`);
      // After one wait of the timeout, the next ones fail at once, saying since when.
      assert.ok(failedOut.some((m) => /reader "Lab Reader 00 00" is gone since \S+ \(waited 3 s for it then\): pcscd no longer lists it .*: plug it back in to go on; until then every scenario needing it fails at once/.test(m)),
        `a later scenario failed at once:\n${failedOut.join('\n---\n')}`);
      assert.ok(lines.filter((l) => l.phase === 'before').every((l) => l.status === 'passed'), `the scenarios before the unplug passed\n${said}`);
      assert.ok(lines.some((l) => l.phase === 'back' && l.status === 'passed'), `a scenario passed once the reader was back\n${said}`);
      // Nothing of the run is left running, its workers included: every process it started has
      // the private pcscd's socket in its environment (so have medcard emulate and pcscd, which stay).
      await sleep(500);
      const left = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ![process.pid, emu.child.pid, pcscd!.pid].includes(Number(p))).filter((p) => {
        try { return fs.readFileSync(`/proc/${p}/environ`, 'utf8').includes(pcscd!.socket) && running(Number(p)); } catch { return false; }
      });
      assert.deepEqual(left.map((p) => `${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`), [], 'no process of the run is left');
    } finally {
      if (run.exitCode === null) run.kill('SIGKILL');
      await emu.stop();
      await pcscd!.stop();
    }
    assert.ok(!pcscd!.pid && !running(emu.child.pid!), 'the private pcscd and medcard emulate are stopped');
    fs.rmSync(dir, { recursive: true, force: true }); // kept when a check failed, for its reports
  });
});
