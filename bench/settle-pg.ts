// `npm run bench -- settle-pg [--people N] [--visits N] [--concurrency N]`:
// outpatient settlements (2207, in-process, each one database transaction with row locks)
// per second on PostgreSQL, beside pgbench TPC-B on the same server in the same run.
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { createEngine } from '../engine';
import { ratioLine } from './format';
import { prepare, run } from './settle-common';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ADMIN = process.env.MEDCARD_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function main() {
  const name = `medcard_bench_${process.pid}`;
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = ADMIN.replace(/\/[^/]*$/, `/${name}`);
  const concurrency = arg('concurrency', 8);
  let engine: Awaited<ReturnType<typeof createEngine>> | null = null;
  try {
    engine = await createEngine({ databaseUrl: url, world: 'empty', poolSize: concurrency });
    const { inputs, client } = await prepare(engine, arg('people', 400), arg('visits', 10));
    await run(client, inputs.splice(0, 200), concurrency); // warm-up
    const r = await run(client, inputs, concurrency);
    await engine.close();
    engine = null;
    console.log(`engine: ${r.n} settlements in ${r.seconds.toFixed(2)} s with ${concurrency} in flight = ${r.perSecond.toFixed(0)} settlements/s`);
    // pgbench TPC-B, scale 1, 4 clients, 10 s (machine-notes.md), on a database of its own.
    const pgb = `${name}_pgbench`;
    await admin.query(`CREATE DATABASE ${pgb}`);
    const conn = ['-h', '127.0.0.1', '-U', 'postgres'];
    spawnSync('pgbench', ['-i', '-s', '1', '-q', ...conn, pgb], { stdio: 'ignore' });
    const out = spawnSync('pgbench', ['-c', '4', '-j', '2', '-T', String(arg('seconds', 10)), ...conn, pgb], { encoding: 'utf8' });
    await admin.query(`DROP DATABASE IF EXISTS ${pgb} WITH (FORCE)`);
    const m = /tps = ([0-9.]+)/.exec(out.stdout ?? '');
    if (!m) throw new Error(`pgbench failed: ${out.stderr}`);
    const tps = Number(m[1]);
    console.log(`pgbench TPC-B scale 1, 4 clients: ${tps.toFixed(0)} tps`);
    console.log(ratioLine('settle-pg', r.perSecond, 'settlements/s', 'pgbench-tpcb', tps, 'tps'));
  } finally {
    if (engine) await engine.close().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
