// `npm run bench -- suite-scale [--times N] [--rig emulated]`: does the suite scale? Its own
// feature files (features/, both languages) copied N times (default 10) into a folder of their
// own, so N times as many scenarios, run serially and with --parallel 2, beside one normal run,
// all in this run. Per scenario, the time beyond start-up (wall time less the time to the first
// scenario) of the N× run against the normal run's (goal ≤ 1.1×), and the N× run's speed with
// two workers against one (goal ≥ 1.6× on two cores). Last line: the per-scenario ratio.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ratioLine } from './format';
import { timeMedcardRun, type TimedRun } from './time-run';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const times = Math.max(2, Number(opt('times', '10')) || 10);
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
const show = (label: string, r: TimedRun) => console.log(`${label}: ${r.scenarios} scenarios, wall ${(r.wallMs / 1000).toFixed(1)} s, first scenario at ${(r.firstScenarioMs / 1000).toFixed(1)} s, ${perScenario(r).toFixed(0)} ms per scenario beyond start-up${r.ok ? '' : ' (FAILED)'}`);

const dir = copies(times);
try {
  const normal = timeMedcardRun('normal', ['--rig', rig, path.join(root, 'features')]);
  show('normal suite', normal);
  const scaled = timeMedcardRun(`${times}x`, ['--rig', rig, dir]);
  show(`${times}x suite, 1 worker`, scaled);
  const parallel = timeMedcardRun(`${times}x parallel`, ['--rig', rig, '--parallel', '2', dir]);
  show(`${times}x suite, 2 workers`, parallel);
  if (scaled.scenarios !== normal.scenarios * times || parallel.scenarios !== scaled.scenarios) console.log(`note: scenario counts ${normal.scenarios} / ${scaled.scenarios} / ${parallel.scenarios} are not 1 : ${times} : ${times}`);
  console.log(`${os.cpus().length} CPUs here; speed-up with two workers: ${ratioLine('one-worker time', beyondStart(scaled) / 1000, 's', 'two-worker time', beyondStart(parallel) / 1000, 's')}`);
  console.log(ratioLine(`per-scenario cost at ${times}x`, perScenario(scaled), 'ms', 'normal suite', perScenario(normal), 'ms'));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
