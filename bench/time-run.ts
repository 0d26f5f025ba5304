// Times one `medcard run`: wall time, and when the first scenario started (from cucumber's
// message stream), both from the moment the command was launched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TimedRun { wallMs: number; firstScenarioMs: number; scenarios: number; ok: boolean }

const root = path.resolve(__dirname, '..');

export function timeMedcardRun(label: string, args: string[], env: Record<string, string> = {}): TimedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-bench-'));
  const messages = path.join(dir, 'messages.ndjson');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--reports', dir, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, MEDCARD_MESSAGES_FILE: messages, ...env },
  });
  const wallMs = Date.now() - t0;
  let first = NaN;
  let scenarios = 0;
  for (const line of fs.existsSync(messages) ? fs.readFileSync(messages, 'utf8').split('\n') : []) {
    if (!line.includes('testCaseStarted')) continue;
    const m = JSON.parse(line).testCaseStarted;
    if (!m) continue;
    scenarios++;
    const at = Number(m.timestamp.seconds) * 1000 + Math.floor(m.timestamp.nanos / 1e6);
    if (Number.isNaN(first) || at - t0 < first) first = at - t0;
  }
  if (r.status !== 0) process.stderr.write(`${label} run exited ${r.status}\n${(r.stdout + r.stderr).split('\n').slice(-15).join('\n')}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { wallMs, firstScenarioMs: first, scenarios, ok: r.status === 0 };
}
