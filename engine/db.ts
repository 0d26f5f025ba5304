// The database seam: PostgreSQL through `pg` when a URL is given, PGlite (embedded) by
// default. Same SQL and migrations on both. Every request runs in one transaction.
import { openPglite } from './db-pglite';
import { openPostgres } from './db-postgres';
import { MIGRATIONS, migrate } from './schema';

export type { Db, QueryOpts, Row, Sql } from './types';
import type { Db } from './types';

/** bigint/numeric come back as strings from pg and as numbers from PGlite: one way to read them. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export async function openDb(opts: { databaseUrl?: string; pgliteDir?: string; poolSize?: number; waitForDatabaseMs?: number }): Promise<Db> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts.poolSize ?? 10, opts.waitForDatabaseMs ?? 0)
    : await openPglite(opts.pgliteDir, JSON.stringify(MIGRATIONS), migrate);
  await migrate(db);
  return db;
}
