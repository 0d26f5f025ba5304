// Times one `medcard run`: wall time, and when the first scenario started (from cucumber's
// message stream), both from the moment the command was launched; and the CPU time of the
// run's processes (GNU time): on a shared machine whose neighbours steal cycles, CPU time
// moves far less than wall time from run to run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TimedRun {
  wallMs: number; firstScenarioMs: number; scenarios: number; ok: boolean; cpuMs: number;
  /** When the first step (or hook) of any scenario finished: the first engine answer had come (each scenario's Before hook calls it). */
  firstStepDoneMs: number;
}

const root = path.resolve(__dirname, '..');
const GNU_TIME = '/usr/bin/time';

export function timeMedcardRun(label: string, args: string[], env: Record<string, string> = {}): TimedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-bench-'));
  const messages = path.join(dir, 'messages.ndjson');
  const cpuFile = path.join(dir, 'cpu.txt');
  const command = [process.execPath, path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--reports', dir, ...args];
  const timed = fs.existsSync(GNU_TIME) ? [GNU_TIME, '-o', cpuFile, '-f', '%U %S', ...command] : command;
  const t0 = Date.now();
  const r = spawnSync(timed[0]!, timed.slice(1), {
    cwd: root, encoding: 'utf8', env: { ...process.env, MEDCARD_MESSAGES_FILE: messages, ...env },
  });
  const wallMs = Date.now() - t0;
  let first = NaN;
  let firstStepDone = NaN;
  let scenarios = 0;
  const at = (t: { seconds: number | string; nanos: number }) => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) - t0;
  for (const line of fs.existsSync(messages) ? fs.readFileSync(messages, 'utf8').split('\n') : []) {
    if (line.includes('"testStepFinished"')) {
      const done = at(JSON.parse(line).testStepFinished.timestamp);
      if (Number.isNaN(firstStepDone) || done < firstStepDone) firstStepDone = done;
      continue;
    }
    if (!line.includes('testCaseStarted')) continue;
    const m = JSON.parse(line).testCaseStarted;
    if (!m) continue;
    scenarios++;
    const started = at(m.timestamp);
    if (Number.isNaN(first) || started < first) first = started;
  }
  if (r.status !== 0) process.stderr.write(`${label} run exited ${r.status}\n${(r.stdout + r.stderr).split('\n').slice(-15).join('\n')}\n`);
  const [user, sys] = fs.existsSync(cpuFile) ? fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [NaN, NaN];
  fs.rmSync(dir, { recursive: true, force: true });
  return { wallMs, firstScenarioMs: first, firstStepDoneMs: firstStepDone, scenarios, ok: r.status === 0, cpuMs: Math.round((user! + sys!) * 1000) };
}
