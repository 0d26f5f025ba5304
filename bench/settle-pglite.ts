// `npm run bench -- settle-pglite [--people N] [--visits N]`: outpatient settlements (2207,
// in-process) per second on embedded PGlite, beside a plain two-statement transaction
// (INSERT + UPDATE) on the same PGlite instance as the anchor.
import { PGlite } from '@electric-sql/pglite';
import { createEngine } from '../engine';
import { ratioLine } from './format';
import { prepare, run } from './settle-common';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };

async function main() {
  const engine = await createEngine({ world: 'empty' });
  const { inputs, client } = await prepare(engine, arg('people', 200), arg('visits', 10));
  await run(client, inputs.splice(0, 100), 4);
  const r = await run(client, inputs, 4);
  await engine.close();
  console.log(`engine: ${r.n} settlements in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)} settlements/s`);
  const lite = new PGlite();
  await lite.exec(`CREATE TABLE acc (id int PRIMARY KEY, bal bigint); CREATE TABLE hist (id serial, acc int, delta bigint); INSERT INTO acc SELECT g, 0 FROM generate_series(1, 1000) g;`);
  const n = 3000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await lite.query('BEGIN');
    await lite.query('INSERT INTO hist (acc, delta) VALUES ($1, $2)', [i % 1000 + 1, 5]);
    await lite.query('UPDATE acc SET bal = bal + $2 WHERE id = $1', [i % 1000 + 1, 5]);
    await lite.query('COMMIT');
  }
  const tps = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  await lite.close();
  console.log(`PGlite two-statement transactions: ${tps.toFixed(0)} tps`);
  console.log(ratioLine('settle-pglite', r.perSecond, 'settlements/s', 'pglite-2stmt-tx', tps, 'tps'));
}
main().catch((e) => { console.error(e); process.exit(1); });
