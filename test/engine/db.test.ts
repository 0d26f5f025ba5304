// The PGlite seam reads the backend's wire answers itself (engine/pg-wire.ts readAnswer) and
// sends Describe only the first time a statement runs. The same statements on PGlite and
// on the machine's PostgreSQL must give the same rows, the same errors, and survive a
// statement whose first run failed before it was described.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../../engine/db';
import { PG_ADMIN, pgAvailable } from './helpers';

async function exercise(db: Db): Promise<void> {
  const table = `t_db_${process.pid}`;
  await db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (k text PRIMARY KEY, n bigint, ok boolean, info jsonb, note text)`);
  try {
    // Types come back as the rest of the engine expects them, nulls as null, UTF-8 intact.
    const insert = `INSERT INTO ${table} (k, n, ok, info, note) VALUES ($1, $2, $3, $4, $5) RETURNING k, n, ok, info, note`;
    const [row] = await db.query(insert, ['张三', 33280, true, { 结算: '332.80' }, null]);
    assert.deepEqual(row, { k: '张三', n: 33280, ok: true, info: { 结算: '332.80' }, note: null });
    // Second run of the same statement: no Describe sent, the remembered columns used.
    const [again] = await db.query(insert, ['李四', 0, false, { n: 1 }, 'x']);
    assert.deepEqual(again, { k: '李四', n: 0, ok: false, info: { n: 1 }, note: 'x' });
    // A statement with no rows to return (NoData), twice.
    for (const k of ['王五', '赵六']) assert.deepEqual(await db.query(`INSERT INTO ${table} (k) VALUES ($1)`, [k]), []);
    // Errors carry the code and the constraint (isMsgidTaken relies on both).
    await assert.rejects(db.query(insert, ['张三', 1, true, null, null]), (e: { code?: string; constraint?: string }) => e.code === '23505' && e.constraint === `${table}_pkey`);
    // First run fails at Bind (a bad bigint), before any Describe: the next run still reads its rows.
    const select = `SELECT k, n FROM ${table} WHERE n = $1`;
    await assert.rejects(db.query(select, ['not a number']), (e: { code?: string }) => e.code === '22P02');
    assert.deepEqual(await db.query(select, [33280]), [{ k: '张三', n: 33280 }]);
    // In a transaction: the rows of the statement sent with BEGIN, and of the one sent with COMMIT.
    const out = await db.tx(async (q) => {
      const a = await q.query<{ c: number }>(`SELECT count(*)::int AS c FROM ${table}`);
      const b = await q.query<{ k: string }>(`UPDATE ${table} SET note = 'y' WHERE k = $1 RETURNING k`, ['李四'], { commit: true });
      return [a[0]!.c, b[0]!.k];
    });
    assert.deepEqual(out, [4, '李四']);
    // A failed statement rolls the transaction back: nothing of it stays.
    await assert.rejects(db.tx(async (q) => {
      await q.query(`UPDATE ${table} SET note = 'z' WHERE k = $1`, ['王五']);
      await q.query(`INSERT INTO ${table} (k) VALUES ($1)`, ['张三']);
    }), (e: { code?: string }) => e.code === '23505');
    assert.deepEqual(await db.query(`SELECT note FROM ${table} WHERE k = $1`, ['王五']), [{ note: null }]);
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
}

test('PGlite: rows, types, nulls, errors and transactions read from the wire answers', async () => {
  const db = await openDb({});
  try { await exercise(db); } finally { await db.close(); }
});

test('PostgreSQL: the same statements give the same answers', async (t) => {
  if (!(await pgAvailable())) return t.skip('PostgreSQL on 127.0.0.1:5432 is not running');
  const db = await openDb({ databaseUrl: PG_ADMIN });
  try { await exercise(db); } finally { await db.close(); }
});
