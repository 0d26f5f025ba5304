// The ledger on PGlite (PostgreSQL in wasm, in this process): one connection, statements
// sent as raw protocol messages (pg-wire.ts), and V8 told to keep PGlite on baseline code.
import * as v8 from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { prepareValue, statementName } from './db-statements';
import type { Db, QueryOpts, Row, Sql } from './types';
import { callMessage, queryMessage, readAnswer, type Column } from './pg-wire';
import { freshPglite } from './pglite-snapshot';

/** Per PGlite connection: its prepared statements and the columns each returns ([] none, null not yet described). */
const PREPARED_LITE = new WeakMap<PGlite, Map<string, Column[] | null>>();

/**
 * PGlite has one connection: transactions are queued, one at a time. A statement is one
 * call into PGlite's WASM backend: Bind, Execute and Sync in one protocol message, with Parse
 * and Describe the first time only (a named prepared statement, planned once, its columns
 * remembered). PGlite's own query() makes six calls per statement and parses and plans it
 * every time: 4× slower here.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly prepared: Map<string, Column[] | null>;
  constructor(private readonly lite: PGlite, private readonly persistent: boolean) {
    // Prepared statements belong to the connection, which a migrator's PgliteDb may have used first.
    let names = PREPARED_LITE.get(lite);
    if (!names) PREPARED_LITE.set(lite, (names = new Map()));
    this.prepared = names;
  }
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
  /** Send protocol messages, get the backend's answer as bytes (read by readAnswer, not PGlite's parser). */
  private async exchange(message: Uint8Array): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await this.lite.execProtocolRawStream(message, { syncToFs: false, onRawData: (chunk) => { chunks.push(Buffer.from(chunk)); } });
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
  /**
   * One statement as one call. `around` adds simple-protocol commands before and after it in
   * the same call: BEGIN with a transaction's first statement, COMMIT with one marked `commit`.
   * Parse and Describe go the first time only; the columns are remembered.
   */
  private async statement<T extends Row>(text: string, params: unknown[], around: { begin?: boolean; commit?: boolean } = {}): Promise<T[]> {
    const name = statementName(text);
    const fresh = !this.prepared.has(name);
    const columns = this.prepared.get(name) ?? null; // null: not described yet
    const values = params.map((v) => { const t = prepareValue(v); return t === null || t === undefined ? null : String(t); });
    const answer = readAnswer(await this.exchange(callMessage(name, fresh ? text : null, values, !columns, around)), around.begin ? 1 : 0, columns);
    // Prepared (now or before) but not yet described: remember what this call learnt, if anything.
    if (!columns && (answer.parsed || !fresh)) this.prepared.set(name, answer.columns);
    if (answer.error) throw answer.error;
    if (!answer.rows.length) return [];
    const cols = answer.columns!;
    const parsers = cols.map((c) => this.lite.parsers[c.type]);
    return answer.rows.map((values) => {
      const row: Row = {};
      cols.forEach((c, i) => { const v = values[i] ?? null; row[c.name] = v === null ? null : parsers[i] ? parsers[i]!(v, c.type) : v; });
      return row as T;
    });
  }
  private async simple(text: string): Promise<void> {
    const { error } = readAnswer(await this.exchange(queryMessage(text)), 0, null);
    if (error) throw error;
  }
  /** A data folder on disk is written through after each transaction (in memory there is nothing to sync). */
  private async synced(): Promise<void> { if (this.persistent) await this.lite.syncToFs(); }
  async query<T extends Row>(text: string, params: unknown[] = []): Promise<T[]> {
    return this.serial(async () => { const rows = await this.statement<T>(text, params); await this.synced(); return rows; });
  }
  async exec(script: string): Promise<void> { await this.serial(() => this.lite.exec(script)); }
  /** As on PostgreSQL: BEGIN travels with the first statement, COMMIT with one marked `commit`. */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      let begun = false;
      let committed = false;
      try {
        const out = await fn({
          query: <R extends Row>(text: string, params: unknown[] = [], opts: QueryOpts = {}) => {
            if (committed) throw new Error('statement after the transaction committed');
            const begin = !begun;
            begun = true;
            if (opts.commit) committed = true;
            return this.statement<R>(text, params, { begin, commit: opts.commit });
          },
        });
        if (begun && !committed) await this.simple('COMMIT');
        await this.synced();
        return out;
      } catch (err) {
        // A failed statement sent with its COMMIT has ended the transaction already (rolled back).
        if (begun && !committed) await this.simple('ROLLBACK');
        throw err;
      }
    });
  }
  async close(): Promise<void> { await this.serial(() => this.lite.close()); }
}

/**
 * PGlite's PostgreSQL is a 9 MB wasm module. V8 recompiles its hottest functions with
 * TurboFan on background threads: ~2.4 s of CPU in one run of the suite (the largest function
 * alone 0.46 s), taken from the run itself on a 2-core machine, and a run is over before
 * it pays back. Baseline (Liftoff) code only: the suite ~15% faster in wall time and ~25% in
 * CPU, long runs of settlements ~10% slower (engine/README, "Speed"). Read when functions are
 * compiled, so it takes effect set here, before PGlite compiles its module.
 */
function baselineWasmOnly(): void {
  if (process.env.MEDCARD_WASM_TURBOFAN !== '1') v8.setFlagsFromString('--liftoff-only');
}

/** An in-memory PGlite from the schema's snapshot (built once per schema), or one on disk at `dir`. */
export async function openPglite(dir: string | undefined, schemaKey: string, migrate: (db: Db) => Promise<void>): Promise<Db> {
  baselineWasmOnly();
  const lite = dir ? new PGlite(dir) : await freshPglite(schemaKey, (l) => migrate(new PgliteDb(l, false)));
  await lite.waitReady;
  return new PgliteDb(lite, !!dir);
}
