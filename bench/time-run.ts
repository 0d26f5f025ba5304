// Times one `medcard run`: wall time, and when the first scenario started (from the run's
// Allure results, which every run writes: a cucumber message formatter added for the bench
// would cost the coordinator some 8% more), both from the moment the command was launched; and
// the CPU time of the run's processes (GNU time): on a shared machine whose neighbours steal
// cycles, CPU time moves far less than wall time from run to run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TimedRun {
  wallMs: number; firstScenarioMs: number; scenarios: number; ok: boolean; cpuMs: number;
  /** When the first step of any scenario began: its Before hooks were done, so the first engine answer had come (each scenario's Before hook calls it). */
  firstStepDoneMs: number;
}

const root = path.resolve(__dirname, '..');
const GNU_TIME = '/usr/bin/time';

export function timeMedcardRun(label: string, args: string[], env: Record<string, string> = {}): TimedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-bench-'));
  const cpuFile = path.join(dir, 'cpu.txt');
  const command = [process.execPath, path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--reports', dir, ...args];
  const timed = fs.existsSync(GNU_TIME) ? [GNU_TIME, '-o', cpuFile, '-f', '%U %S', ...command] : command;
  const t0 = Date.now();
  const r = spawnSync(timed[0]!, timed.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  const wallMs = Date.now() - t0;
  // Each scenario's result: its start, and its first step's (the Before hooks are done by then).
  const results = path.join(dir, 'allure-results');
  const scenarios = (fs.existsSync(results) ? fs.readdirSync(results) : []).filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')) as { start: number; stop: number; steps?: Array<{ start: number }> });
  const first = Math.min(...scenarios.map((x) => x.start)) - t0;
  const firstStepDone = Math.min(...scenarios.map((x) => x.steps?.[0]?.start ?? x.stop)) - t0;
  if (r.status !== 0) process.stderr.write(`${label} run exited ${r.status}\n${(r.stdout + r.stderr).split('\n').slice(-15).join('\n')}\n`);
  const [user, sys] = fs.existsSync(cpuFile) ? fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [NaN, NaN];
  fs.rmSync(dir, { recursive: true, force: true });
  return { wallMs, firstScenarioMs: first, firstStepDoneMs: firstStepDone, scenarios: scenarios.length, ok: r.status === 0, cpuMs: Math.round((user! + sys!) * 1000) };
}
