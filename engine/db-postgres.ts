// The ledger on PostgreSQL, through `pg`: a pool, named prepared statements, one
// transaction per request, retried on serialization failures and deadlocks.
import { Pool, types as pgTypes, type PoolClient } from 'pg';
import { named, prepareValue, statementName } from './db-statements';
import type { Db, QueryOpts, Row, Sql } from './types';

const RETRYABLE = new Set(['40001', '40P01']);
const PREPARED = new WeakMap<PoolClient, Set<string>>();

/** A string literal, as pg's escapeLiteral writes it (E'…' with doubled backslashes when there are any), with native replaces. */
function quote(s: string): string {
  const q = s.replace(/'/g, "''");
  return s.includes('\\') ? ` E'${q.replace(/\\/g, '\\\\')}'` : `'${q}'`;
}

/** `EXECUTE x…(literal, …)` for a statement with parameters, PREPAREd on this connection if need be. */
async function executeText(client: PoolClient, text: string, params: unknown[]): Promise<string> {
  const name = `x${statementName(text)}`;
  let done = PREPARED.get(client);
  if (!done) PREPARED.set(client, (done = new Set()));
  if (!done.has(name)) {
    await client.query(`PREPARE ${name} AS ${text}`);
    done.add(name);
  }
  const args = params.map((v) => {
    const t = prepareValue(v);
    return t === null || t === undefined ? 'NULL' : quote(String(t));
  });
  return `EXECUTE ${name}(${args.join(', ')})`;
}

/** Errors of a PostgreSQL that is not up yet (or not there, or restarting): worth another try while waiting. */
const NOT_UP = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', '57P03']);
/** Once the database has answered, how long a request waits for it to come back (a restart) before it fails. */
const BACK_WITHIN_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PgDb implements Db {
  readonly kind = 'postgres' as const;
  private pool: Pool;
  /** The database answered once (openPostgres): a connection refused now is a restart, waited for. */
  answered = false;
  constructor(url: string, size: number) {
    this.pool = new Pool({ connectionString: url, max: size });
    this.pool.on('error', () => { /* a dropped idle client: the next checkout reconnects */ });
  }
  /** A connection; while a database that answered before is restarting ("starting up", refused), up to BACK_WITHIN_MS. Nothing has been sent on it, so waiting is safe. */
  private async connect(): Promise<PoolClient> {
    const deadline = Date.now() + (this.answered ? BACK_WITHIN_MS : 0);
    for (;;) {
      try {
        return await this.pool.connect();
      } catch (err) {
        if (!NOT_UP.has((err as { code?: string }).code ?? '') || Date.now() >= deadline) throw err;
        await sleep(100);
      }
    }
  }
  async query<T extends Row>(text: string, params: unknown[] = []): Promise<T[]> {
    const q = named(text, params);
    const client = await this.connect();
    let broken = false;
    try {
      return (typeof q === 'string' ? await client.query(q) : await client.query(q)).rows as T[];
    } catch (err) {
      // An SQL error leaves the connection usable; a lost connection is dropped from the pool.
      broken = !/^[0-9A-Z]{5}$/.test((err as { code?: string }).code ?? '');
      throw err;
    } finally {
      client.release(broken);
    }
  }
  async exec(script: string): Promise<void> { await this.query(script); }
  /**
   * BEGIN travels with the transaction's first statement, and COMMIT with a statement marked
   * `commit`, in one simple-protocol message each ("BEGIN; EXECUTE x(…)", "EXECUTE x(…);
   * COMMIT"): the statement itself is a session-level prepared statement (PREPARE once per
   * connection) whose arguments are quoted literals. A settlement is then three round trips.
   * Other statements use the extended protocol (named prepared statements).
   */
  async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      let broken = false;
      let begun = false;
      let committed = false;
      try {
        const q: Sql = {
          query: async <R extends Row>(text: string, params: unknown[] = [], opts: QueryOpts = {}) => {
            if (committed) throw new Error('statement after the transaction committed');
            const begin = !begun;
            if (!begin && !opts.commit) {
              const n = named(text, params);
              return (typeof n === 'string' ? await client.query(n) : await client.query(n)).rows as R[];
            }
            const stmt = params.length ? await executeText(client, text, params) : text;
            begun = true;
            if (opts.commit) committed = true;
            const results = await client.query(`${begin ? 'BEGIN; ' : ''}${stmt}${opts.commit ? '; COMMIT' : ''}`) as unknown as { rows: R[] } | Array<{ rows: R[] }>;
            return (Array.isArray(results) ? results[begin ? 1 : 0] : results).rows;
          },
        };
        const out = await fn(q);
        if (begun && !committed) await client.query('COMMIT');
        return out;
      } catch (err) {
        if (begun) { try { await client.query('ROLLBACK'); } catch { broken = true; } }
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 20) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
          continue;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }
  async close(): Promise<void> { await this.pool.end(); }
}

/** A pool on the database at `url`, once it answers; an engine started beside its database waits up to `waitMs`. */
export async function openPostgres(url: string, poolSize: number, waitMs: number): Promise<Db> {
  pgTypes.setTypeParser(20, (v) => Number(v)); // int8 → number (fen stays far below 2^53)
  const db = new PgDb(url, poolSize);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await db.query('SELECT 1');
      db.answered = true;
      return db;
    } catch (err) {
      if (!NOT_UP.has((err as { code?: string }).code ?? '') || Date.now() >= deadline) { await db.close().catch(() => undefined); throw err; }
      await sleep(50);
    }
  }
}
