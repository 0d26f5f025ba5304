// The certification suite's wall time beside the same features run with no-op step bodies
// (cucumber's own cost: parsing, matching, formatters, Allure), in the same run; and the
// time from `medcard run` to the first scenario starting. Goal: suite ≤ 2 × no-op.
// Usage: npm run bench -- suite [--rig emulated|vpcd] [--tags <expr>] [--runs <n>]
// --runs n (default 3) alternates no-op and full runs n times and reports medians: this
// machine is shared, and one run of each swings by 2x under other people's load.
// MEDCARD_TS_CACHE=off measures without the transpile cache (steps/register.js).
import { median, ratioLine } from './format';
import { timeMedcardRun, type TimedRun } from './time-run';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const rig = opt('rig', 'emulated');
const tags = opt('tags', '');
const runs = Math.max(1, Number(opt('runs', '3')) || 1);

type Run = TimedRun;

function once(noop: boolean): Run {
  return timeMedcardRun(noop ? 'no-op' : 'suite', ['--rig', rig, ...(tags ? ['--tags', tags] : [])], noop ? { MEDCARD_NOOP_STEPS: '1' } : {});
}

const noops: Run[] = [];
const suites: Run[] = [];
for (let i = 0; i < runs; i++) { noops.push(once(true)); suites.push(once(false)); }
const show = (rs: Run[]) => `${rs[0]!.scenarios} scenarios, wall ${median(rs.map((r) => r.wallMs))} ms, first scenario at ${median(rs.map((r) => r.firstScenarioMs))} ms, CPU ${median(rs.map((r) => r.cpuMs))} ms`
  + (rs.length > 1 ? ` (median of ${rs.length}; walls ${rs.map((r) => r.wallMs).join(', ')})` : '');
console.log(`rig ${rig}${tags ? `, tags ${tags}` : ''}${process.env.MEDCARD_TS_CACHE === 'off' ? ', transpile cache off' : ''}`);
console.log(`no-op steps : ${show(noops)}`);
console.log(`full suite  : ${show(suites)}${suites.every((r) => r.ok) ? '' : ' (FAILED)'}`);
const gap = median(suites.map((r) => r.firstScenarioMs)) - median(noops.map((r) => r.firstScenarioMs));
console.log(`first-scenario gap (mostly the embedded engine's start: PGlite loading its snapshot): ${gap} ms`);
const cpu = [median(suites.map((r) => r.cpuMs)), median(noops.map((r) => r.cpuMs))];
console.log(Number.isFinite(cpu[0]) ? `CPU time of all the run's processes (steadier than wall time when neighbours steal cycles): suite ${cpu[0]} ms vs no-op ${cpu[1]} ms = ${(cpu[0]! / cpu[1]!).toFixed(2)}x`
  : 'CPU time: not measured (GNU time, Debian package "time", is not installed)');
console.log(ratioLine('suite wall time', median(suites.map((r) => r.wallMs)) / 1000, 's', 'no-op steps', median(noops.map((r) => r.wallMs)) / 1000));
