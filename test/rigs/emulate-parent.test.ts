// `medcard emulate` started under a parent that then dies (as `kill $!` of a backgrounded
// `npx medcard emulate` kills npm's wrapper, whose shell passes no signal on) removes its
// card and exits, so the reader is free for the next card. Uses Virtual PCD 00 00: run under
// `flock /tmp/medcard-vpcd.lock` (npm test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcscChannel } from '../../rigs';
import { MEDCARD, ROOT, startEmulator } from './helpers';

const READER = 'Virtual PCD 00 00';
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function until(what: string, ok: () => boolean, limitMs: number): Promise<void> {
  for (const end = Date.now() + limitMs; !ok(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs / 1000} s (a generous limit for a busy machine)`);
  }
}

test('the parent of `medcard emulate` killed: the card leaves the reader, the process exits, and the next card goes in', async () => {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-emulate-')), 'emulate.log');
  const card = path.join(ROOT, 'fixtures/cards/zhang-san.yaml');
  // A shell parent that waits for its background child: the shape of npm's wrapper (npm → sh → node).
  const parent = spawn('sh', ['-c', `"${process.execPath}" "${MEDCARD}" emulate --card "${card}" --vpcd-port 35963 >"${log}" 2>&1 & echo $!; wait`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  let next: Awaited<ReturnType<typeof startEmulator>> | undefined;
  try {
    const output = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
    await until('the card inserted', () => /inserted into vpcd/.test(output()), 20_000);
    const channel = new PcscChannel(READER);
    try {
      assert.ok(await channel.waitForCard(5000), 'pcscd shows the card');
      parent.kill('SIGKILL');
      await until(`medcard emulate (pid ${pid}) exited after its parent`, () => !alive(pid), 10_000);
      assert.match(output(), /parent process gone: removing card A50000001 \(张三\)/);
      assert.ok(await channel.waitForCard(5000, false), 'the reader is empty');
    } finally {
      await channel.close();
    }
    // The reader takes the next card: nothing holds vpcd's card port.
    next = await startEmulator(['--card', card, '--vpcd-port', '35963']);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    await next?.stop();
  }
});
