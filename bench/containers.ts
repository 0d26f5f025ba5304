// The containers rig's cost, in the same run:
//  1. time from `medcard run --rig containers` to the first scenario under way with the engine
//     answering (its first step done: the Before hook calls the engine; the front hands out
//     its URL before the engine is ready, so a scenario can start before it), beside `docker
//     run` of the same two images (medcard/postgres, then medcard/engine on a network with it)
//     until both are ready (PostgreSQL answers SELECT 1, the engine answers /health). Goal ≤ 1.2×.
//  2. the suite's wall time on the containers rig beside the embedded engine (emulated rig).
// Usage: npm run bench -- containers [--runs n]   (median of n, default 3)
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { ensureImages, ENGINE_IMAGE, POSTGRES_IMAGE } from '../containers';
import { median, ratioLine } from './format';
import { timeMedcardRun, type TimedRun } from './time-run';

const args = process.argv.slice(2);
const runs = Math.max(1, Number(args[args.indexOf('--runs') + 1]) || 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function docker(...a: string[]): string {
  const r = spawnSync('docker', a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** docker run of the two images, until both are ready; ms. */
async function dockerRunBaseline(): Promise<number> {
  const tag = `medcard-bench-${process.pid}-${Date.now().toString(36)}`;
  const t0 = Date.now();
  try {
    docker('network', 'create', tag);
    docker('run', '-d', '--name', `${tag}-pg`, '--network', tag, '--network-alias', 'ledger', '-p', '127.0.0.1::5432', POSTGRES_IMAGE);
    const pgPort = docker('port', `${tag}-pg`, '5432/tcp').split(':').pop();
    for (;;) {
      const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/medcard` });
      try { await c.connect(); await c.query('SELECT 1'); await c.end(); break; } catch { await c.end().catch(() => undefined); await sleep(50); }
    }
    docker('run', '-d', '--name', `${tag}-engine`, '--network', tag, '-e', 'DATABASE_URL=postgres://postgres@ledger:5432/medcard', '-p', '127.0.0.1::8080', ENGINE_IMAGE);
    const port = docker('port', `${tag}-engine`, '8080/tcp').split(':').pop();
    for (;;) {
      try { const r = await fetch(`http://127.0.0.1:${port}/health`); if (r.status === 200) break; } catch { /* not yet */ }
      await sleep(50);
    }
    return Date.now() - t0;
  } finally {
    spawnSync('docker', ['rm', '-f', '-v', `${tag}-engine`, `${tag}-pg`], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', tag], { stdio: 'ignore' });
  }
}

type Run = TimedRun;
const medcardRun = (rig: string): Run => timeMedcardRun(rig, ['--rig', rig]);

(async () => {
  await ensureImages();
  const base: number[] = [];
  const harness: Run[] = [];
  const embedded: Run[] = [];
  for (let i = 0; i < runs; i++) {
    base.push(await dockerRunBaseline());
    harness.push(medcardRun('containers'));
    embedded.push(medcardRun('emulated'));
  }
  const ok = harness.every((r) => r.ok) && embedded.every((r) => r.ok);
  console.log(`docker run, both ready       : ${median(base)} ms (runs ${base.join(', ')})`);
  console.log(`medcard run → first scenario starts: ${median(harness.map((r) => r.firstScenarioMs))} ms, its first step done (engine answered): ${median(harness.map((r) => r.firstStepDoneMs))} ms (runs ${harness.map((r) => r.firstStepDoneMs).join(', ')})`);
  console.log(`embedded   → first scenario starts: ${median(embedded.map((r) => r.firstScenarioMs))} ms, its first step done: ${median(embedded.map((r) => r.firstStepDoneMs))} ms`);
  console.log(`suite wall time: containers ${median(harness.map((r) => r.wallMs))} ms vs embedded ${median(embedded.map((r) => r.wallMs))} ms `
    + `(${harness[0]!.scenarios} scenarios)${ok ? '' : ' (A RUN FAILED)'}`);
  console.log(ratioLine('suite wall time (containers rig)', median(harness.map((r) => r.wallMs)) / 1000, 's', 'embedded engine', median(embedded.map((r) => r.wallMs)) / 1000));
  console.log(ratioLine('medcard run to first engine answer in a scenario (containers rig)', median(harness.map((r) => r.firstStepDoneMs)) / 1000, 's', 'docker run of both images until ready', median(base) / 1000));
})().catch((e) => { console.error(e); process.exit(1); });
