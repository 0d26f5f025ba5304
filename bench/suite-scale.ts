// `npm run bench -- suite-scale [--times N] [--rounds R] [--rig emulated]`: does the suite scale?
// Its own feature files (features/, both languages) copied N times (default 10) into a folder of
// their own, so N times as many scenarios, run one at a time (the default: in the medcard
// process) and with --parallel 2 (two worker processes), beside one normal run. The three
// alternate, R rounds (default 3; this machine is shared and one run swings by 1.5x), and the
// medians are compared. Per scenario, the time beyond start-up (wall time less the time to the
// first scenario) of the N× run against the normal run's (goal ≤ 1.1×), and the N× run's speed
// with two workers against one at a time (goal ≥ 1.6× on two cores). Last line: the
// per-scenario ratio.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, ratioLine } from './format';
import { timeMedcardRun, type TimedRun } from './time-run';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const times = Math.max(2, Number(opt('times', '10')) || 10);
const rounds = Math.max(1, Number(opt('rounds', '3')) || 3);
const rig = opt('rig', 'emulated');
const root = path.resolve(__dirname, '..');

function features(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? features(path.join(dir, e.name)) : e.name.endsWith('.feature') ? [path.join(dir, e.name)] : []);
}

/** The suite's features, `n` copies each, in a temporary folder. */
function copies(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-suite-scale-'));
  for (const f of features(path.join(root, 'features'))) {
    const rel = path.relative(path.join(root, 'features'), f);
    for (let i = 1; i <= n; i++) {
      const to = path.join(dir, `copy${i}`, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
    }
  }
  return dir;
}

const beyondStart = (r: TimedRun) => r.wallMs - r.firstScenarioMs;
const perScenario = (r: TimedRun) => beyondStart(r) / r.scenarios;
const show = (label: string, r: TimedRun) => console.log(`${label}: ${r.scenarios} scenarios, wall ${(r.wallMs / 1000).toFixed(1)} s, first scenario at ${(r.firstScenarioMs / 1000).toFixed(1)} s, ${perScenario(r).toFixed(1)} ms per scenario beyond start-up, CPU ${(r.cpuMs / 1000).toFixed(1)} s${r.ok ? '' : ' (FAILED)'}`);

const dir = copies(times);
try {
  const normal: TimedRun[] = [];
  const serial: TimedRun[] = [];
  const parallel: TimedRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round} of ${rounds}`);
    normal.push(timeMedcardRun('normal', ['--rig', rig, path.join(root, 'features')]));
    show('  normal suite', normal.at(-1)!);
    serial.push(timeMedcardRun(`${times}x`, ['--rig', rig, dir]));
    show(`  ${times}x suite, one at a time`, serial.at(-1)!);
    parallel.push(timeMedcardRun(`${times}x parallel`, ['--rig', rig, '--parallel', '2', dir]));
    show(`  ${times}x suite, 2 workers`, parallel.at(-1)!);
  }
  const counts = [normal, serial, parallel].map((rs) => rs[0]!.scenarios);
  if (counts[1] !== counts[0]! * times || counts[2] !== counts[1]) console.log(`note: scenario counts ${counts.join(' / ')} are not 1 : ${times} : ${times}`);
  if (![...normal, ...serial, ...parallel].every((r) => r.ok)) console.log('note: a run FAILED (see above): its times are not the suite\'s');
  const med = (rs: TimedRun[], f: (r: TimedRun) => number) => median(rs.map(f));
  console.log(`${os.cpus().length} CPUs here; medians of ${rounds} rounds. Speed-up with two workers: `
    + ratioLine('one-at-a-time time', med(serial, beyondStart) / 1000, 's', 'two-worker time', med(parallel, beyondStart) / 1000, 's'));
  console.log(ratioLine(`per-scenario cost at ${times}x`, med(serial, perScenario), 'ms', 'normal suite', med(normal, perScenario), 'ms'));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
