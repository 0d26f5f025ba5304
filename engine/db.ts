// The database seam: PostgreSQL through `pg` when a URL is given, PGlite (embedded) by
// default. Same SQL and migrations on both. Every request runs in one transaction.
import * as v8 from 'node:v8';
import { Pool, types as pgTypes, type PoolClient } from 'pg';
import { PGlite, messages as wire } from '@electric-sql/pglite';
import { freshPglite } from './pglite-snapshot';

export type Row = Record<string, unknown>;
export interface QueryOpts {
  /** The transaction's last statement: commit with it (PostgreSQL sends both in one round trip). */
  commit?: boolean;
}
export interface Sql {
  query<T extends Row = Row>(text: string, params?: unknown[], opts?: QueryOpts): Promise<T[]>;
}
export interface Db extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Run fn in one transaction; retried on serialization failures and deadlocks (PostgreSQL). */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** bigint/numeric come back as strings from pg and as numbers from PGlite: one way to read them. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Statements run as named prepared statements, parsed and planned once per connection (on
 * PostgreSQL those with parameters, on PGlite all); one text = one name.
 */
const NAMES = new Map<string, string>();
function statementName(text: string): string {
  let name = NAMES.get(text);
  if (!name) {
    name = `m${NAMES.size.toString(36)}`;
    NAMES.set(text, name);
  }
  return name;
}
function named(text: string, values: unknown[]): string | { name: string; text: string; values: unknown[] } {
  return values.length ? { name: statementName(text), text, values } : text;
}

// pg's own conversion of a parameter to its text form (arrays → '{…}', objects → JSON, …).
const prepareValue = (require('pg/lib/utils') as { prepareValue(v: unknown): unknown }).prepareValue;
const PREPARED = new WeakMap<PoolClient, Set<string>>();
/** Per PGlite connection: its prepared statements and the columns each returns ([] none, null not yet described). */
const PREPARED_LITE = new WeakMap<PGlite, Map<string, Column[] | null>>();

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

class PgDb implements Db {
  readonly kind = 'postgres' as const;
  private pool: Pool;
  constructor(url: string, size: number) {
    this.pool = new Pool({ connectionString: url, max: size });
    this.pool.on('error', () => { /* a dropped idle client: the next checkout reconnects */ });
  }
  async query<T extends Row>(text: string, params: unknown[] = []): Promise<T[]> {
    const q = named(text, params);
    return (typeof q === 'string' ? await this.pool.query(q) : await this.pool.query(q)).rows as T[];
  }
  async exec(script: string): Promise<void> { await this.pool.query(script); }
  /**
   * BEGIN travels with the transaction's first statement, and COMMIT with a statement marked
   * `commit`, in one simple-protocol message each ("BEGIN; EXECUTE x(…)", "EXECUTE x(…);
   * COMMIT"): the statement itself is a session-level prepared statement (PREPARE once per
   * connection) whose arguments are quoted literals. A settlement is then three round trips.
   * Other statements use the extended protocol (named prepared statements).
   */
  async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
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

/**
 * PGlite has one connection: transactions are queued, one at a time. A statement is one
 * call into PGlite's WASM backend: Bind, Execute and Sync in one protocol message, with Parse
 * and Describe the first time only (a named prepared statement, planned once, its columns
 * remembered). PGlite's own query() makes six calls per statement and parses and plans it
 * every time: 4× slower here.
 */
class PgliteDb implements Db {
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

// ------------------------------------------------------------------ PGlite's wire

// Frontend messages written straight into one Buffer (PGlite's serializer grew a DataView per
// field and was a sixth of the engine's time): simple Query, and Parse/Bind/Describe/Execute/Sync.
const DESCRIBE_PORTAL = Buffer.from([0x44, 0, 0, 0, 6, 0x50, 0]);
const EXECUTE = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

function queryMessage(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const b = Buffer.allocUnsafe(6 + n);
  b[0] = 0x51;
  b.writeInt32BE(5 + n, 1);
  b.write(text, 5);
  b[5 + n] = 0;
  return b;
}

/** [BEGIN] [Parse] Bind [Describe] Execute Sync [COMMIT] for the statement `name` (Parse when `text` is given). */
function callMessage(name: string, text: string | null, values: Array<string | null>, describe: boolean, around: { begin?: boolean; commit?: boolean }): Buffer {
  const nameLen = Buffer.byteLength(name);
  const sizes = values.map((v) => (v === null ? -1 : Buffer.byteLength(v)));
  const bindLen = 4 + 1 + nameLen + 1 + 2 + 2 + sizes.reduce((a, n) => a + 4 + Math.max(n, 0), 0) + 2;
  const textLen = text === null ? 0 : Buffer.byteLength(text);
  const parts: Buffer[] = [];
  if (around.begin) parts.push(queryMessage('BEGIN'));
  if (text !== null) {
    const p = Buffer.allocUnsafe(1 + 4 + nameLen + 1 + textLen + 1 + 2);
    p[0] = 0x50;
    p.writeInt32BE(p.length - 1, 1);
    let at = 5 + p.write(name, 5);
    p[at++] = 0;
    at += p.write(text, at);
    p[at++] = 0;
    p.writeInt16BE(0, at); // parameter types: let the server infer them
    parts.push(p);
  }
  const b = Buffer.allocUnsafe(1 + bindLen);
  b[0] = 0x42;
  b.writeInt32BE(bindLen, 1);
  b[5] = 0; // the unnamed portal
  let at = 6 + b.write(name, 6);
  b[at++] = 0;
  at = b.writeInt16BE(0, at); // parameters in text format
  at = b.writeInt16BE(values.length, at);
  values.forEach((v, i) => {
    at = b.writeInt32BE(sizes[i]!, at);
    if (v !== null) at += b.write(v, at);
  });
  b.writeInt16BE(0, at); // results in text format
  parts.push(b);
  if (describe) parts.push(DESCRIBE_PORTAL);
  parts.push(EXECUTE, SYNC);
  if (around.commit) parts.push(queryMessage('COMMIT'));
  return Buffer.concat(parts);
}

interface Column { name: string; type: number }
interface Answer { rows: Array<Array<string | null>>; columns: Column[] | null; parsed: boolean; error?: Error }

/**
 * The backend's answer to one call, from PostgreSQL's wire format: the rows of the statement
 * after `skip` commands (BEGIN), its columns (from its RowDescription, or `known` when Describe
 * was not sent), whether Parse succeeded, and the first error as PGlite's DatabaseError.
 * PGlite's own parser builds an object per message and field and was a fifth of the suite's
 * engine time; this reads only what our statements produce.
 */
function readAnswer(buf: Buffer, skip: number, known: Column[] | null): Answer {
  const answer: Answer = { rows: [], columns: known, parsed: false };
  let ready = 0;
  for (let at = 0; at + 5 <= buf.length;) {
    const type = buf[at]!;
    const end = at + 1 + buf.readInt32BE(at + 1);
    let p = at + 5;
    if (type === 0x5a /* Z ReadyForQuery */) ready++;
    else if (type === 0x31 /* 1 ParseComplete */) answer.parsed = true;
    else if (type === 0x45 /* E ErrorResponse */ && !answer.error) answer.error = readError(buf, p, end);
    else if (ready === skip) {
      if (type === 0x54 /* T RowDescription */) {
        const n = buf.readInt16BE(p);
        p += 2;
        const columns: Column[] = [];
        for (let i = 0; i < n; i++) {
          const z = buf.indexOf(0, p);
          columns.push({ name: buf.toString('utf8', p, z), type: buf.readInt32BE(z + 7) });
          p = z + 19;
        }
        answer.columns = columns;
      } else if (type === 0x6e /* n NoData */) {
        answer.columns = [];
      } else if (type === 0x44 /* D DataRow */) {
        const n = buf.readInt16BE(p);
        p += 2;
        const values: Array<string | null> = new Array(n);
        for (let i = 0; i < n; i++) {
          const len = buf.readInt32BE(p);
          p += 4;
          values[i] = len < 0 ? null : buf.toString('utf8', p, p + len);
          if (len > 0) p += len;
        }
        answer.rows.push(values);
      }
    }
    at = end;
  }
  return answer;
}

/** An ErrorResponse's fields on PGlite's DatabaseError (code, constraint… as pg names them). */
function readError(buf: Buffer, p: number, end: number): Error {
  const f: Record<string, string> = {};
  while (p < end && buf[p] !== 0) {
    const z = buf.indexOf(0, p + 1);
    f[String.fromCharCode(buf[p]!)] = buf.toString('utf8', p + 1, z);
    p = z + 1;
  }
  return Object.assign(new wire.DatabaseError(f.M ?? 'database error', end, 'error'), {
    severity: f.S, code: f.C, detail: f.D, hint: f.H, position: f.P, where: f.W,
    schema: f.s, table: f.t, column: f.c, dataType: f.d, constraint: f.n, routine: f.R,
  });
}

/** Errors of a PostgreSQL that is not up yet (or not there): worth another try while waiting. */
const NOT_UP = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', '57P03']);

export async function openDb(opts: { databaseUrl?: string; pgliteDir?: string; poolSize?: number; waitForDatabaseMs?: number }): Promise<Db> {
  let db: Db;
  if (opts.databaseUrl) {
    pgTypes.setTypeParser(20, (v) => Number(v)); // int8 → number (fen stays far below 2^53)
    db = new PgDb(opts.databaseUrl, opts.poolSize ?? 10);
    // An engine started beside its database (`medcard engine --wait-for-database`) waits for it.
    const deadline = Date.now() + (opts.waitForDatabaseMs ?? 0);
    for (;;) {
      try {
        await db.query('SELECT 1');
        break;
      } catch (err) {
        if (!NOT_UP.has((err as { code?: string }).code ?? '') || Date.now() >= deadline) { await db.close().catch(() => undefined); throw err; }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } else {
    baselineWasmOnly();
    const lite = opts.pgliteDir ? new PGlite(opts.pgliteDir)
      : await freshPglite(JSON.stringify(MIGRATIONS), (l) => migrate(new PgliteDb(l, false)));
    await lite.waitReady;
    db = new PgliteDb(lite, !!opts.pgliteDir);
  }
  await migrate(db);
  return db;
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

// ------------------------------------------------------------------ migrations

const MIGRATIONS: Array<[number, string]> = [[1, `
CREATE TABLE employers (
  emp_no text PRIMARY KEY, emp_name text NOT NULL, admvs text NOT NULL,
  arrears boolean NOT NULL DEFAULT false, arrears_since text, paid_date text);
CREATE TABLE institutions (
  code text PRIMARY KEY, name text NOT NULL, admvs text NOT NULL, level int NOT NULL,
  type text NOT NULL, designated boolean NOT NULL, hmac_key text);
CREATE TABLE catalogue (
  code text PRIMARY KEY, name text NOT NULL, cls text NOT NULL, cap_fen bigint, selfpay_bp int, chrgitm_type text NOT NULL);
CREATE TABLE persons (
  psn_no text PRIMARY KEY, name text NOT NULL, certno text NOT NULL UNIQUE, gend text NOT NULL, brdy text NOT NULL,
  naty text NOT NULL, insutype text NOT NULL, admvs text NOT NULL, stas text NOT NULL, insu_date text NOT NULL,
  emp_no text REFERENCES employers(emp_no), base_fen bigint, retired boolean NOT NULL DEFAULT false,
  pension_fen bigint, evoucher text UNIQUE);
CREATE TABLE cards (
  card_no text PRIMARY KEY, card_sn text NOT NULL, psn_no text NOT NULL REFERENCES persons(psn_no),
  issue_date text NOT NULL, expiry_date text NOT NULL, admvs text NOT NULL, stas text NOT NULL,
  activated_date text, lost_date text, replaced_by text);
CREATE INDEX cards_psn ON cards(psn_no);
CREATE TABLE filings (
  filing_id text PRIMARY KEY, psn_no text NOT NULL REFERENCES persons(psn_no), admvs text NOT NULL,
  begndate text NOT NULL, enddate text, type text NOT NULL);
CREATE INDEX filings_psn ON filings(psn_no);
CREATE TABLE signins (sign_no text PRIMARY KEY, fixmedins_code text NOT NULL, opter text, sign_time text NOT NULL);
CREATE TABLE visits (
  mdtrt_id text PRIMARY KEY, psn_no text NOT NULL REFERENCES persons(psn_no), fixmedins_code text NOT NULL,
  admvs text NOT NULL, kind text NOT NULL, med_type text NOT NULL, begntime text NOT NULL, endtime text,
  ipt_otp_no text NOT NULL, cert_type text NOT NULL, cert_no text NOT NULL, insutype text NOT NULL,
  emergency boolean NOT NULL DEFAULT false, stas text NOT NULL, info jsonb NOT NULL DEFAULT '{}');
CREATE INDEX visits_psn ON visits(psn_no);
CREATE TABLE fee_lines (
  mdtrt_id text NOT NULL REFERENCES visits(mdtrt_id), feedetl_sn text NOT NULL, code text NOT NULL, name text NOT NULL,
  amount bigint NOT NULL, cnt4 bigint NOT NULL, pric bigint NOT NULL, fee_time text NOT NULL, cls text NOT NULL,
  fulamt bigint NOT NULL, overlmt bigint NOT NULL, preselfpay bigint NOT NULL, inscp bigint NOT NULL,
  selfpay_bp int NOT NULL, cap_fen bigint, chrgitm_type text NOT NULL, chrg_bchno text,
  PRIMARY KEY (mdtrt_id, feedetl_sn));
CREATE TABLE settlements (
  setl_id text PRIMARY KEY, mdtrt_id text, psn_no text NOT NULL REFERENCES persons(psn_no), kind text NOT NULL,
  year int NOT NULL, setl_time text NOT NULL, stas text NOT NULL, inscp bigint NOT NULL, total bigint NOT NULL,
  fund bigint NOT NULL, acct bigint NOT NULL, cash bigint NOT NULL, journal_id text NOT NULL,
  reversal_journal text, info jsonb NOT NULL);
CREATE INDEX settlements_psn_year ON settlements(psn_no, year);
CREATE INDEX settlements_visit ON settlements(mdtrt_id);
CREATE TABLE claims (
  claim_id text PRIMARY KEY, psn_no text NOT NULL, reason text NOT NULL, visit_key text NOT NULL,
  status text NOT NULL, setl_id text, info jsonb NOT NULL);
CREATE UNIQUE INDEX claims_visit_accepted ON claims(visit_key) WHERE status = 'accepted';
CREATE INDEX claims_psn ON claims(psn_no);
CREATE TABLE ledger_entries (
  entry_id bigserial PRIMARY KEY, journal_id text NOT NULL, kind text NOT NULL, account text NOT NULL,
  bucket text NOT NULL DEFAULT '', amount bigint NOT NULL, biz_date text NOT NULL, ref text NOT NULL DEFAULT '',
  memo text NOT NULL DEFAULT '');
CREATE INDEX ledger_account ON ledger_entries(account, bucket);
CREATE INDEX ledger_journal ON ledger_entries(journal_id);
CREATE TABLE receipts (receipt_id text PRIMARY KEY, kind text NOT NULL, ref_id text NOT NULL, psn_no text NOT NULL, body jsonb NOT NULL);
CREATE INDEX receipts_ref ON receipts(ref_id);
CREATE INDEX receipts_psn ON receipts(psn_no);
CREATE TABLE period_credits (psn_no text NOT NULL, period text NOT NULL, journal_id text NOT NULL, PRIMARY KEY (psn_no, period));
CREATE TABLE rollovers (psn_no text NOT NULL, year int NOT NULL, journal_id text NOT NULL, PRIMARY KEY (psn_no, year));
CREATE TABLE messages (msgid text PRIMARY KEY, infno text NOT NULL, req_hash text NOT NULL, infcode int NOT NULL,
  response jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE SEQUENCE ids START 1;
`], [2, `
-- The answer kept under a msgid is replayed byte for byte and never queried inside:
-- text, not jsonb (parsing it into jsonb was the costliest part of every request).
ALTER TABLE messages ALTER COLUMN response TYPE text USING response::text;
`]];

async function migrate(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const [version, sql] of MIGRATIONS) {
    await db.tx(async (q) => {
      // One migrator at a time (two engines starting on one database).
      await q.query(`LOCK TABLE schema_migrations IN EXCLUSIVE MODE`);
      const done = await q.query(`SELECT 1 FROM schema_migrations WHERE version = $1`, [version]);
      if (done.length) return;
      for (const stmt of sql.split(';').map((s) => s.trim()).filter(Boolean)) await q.query(stmt);
      await q.query(`INSERT INTO schema_migrations(version) VALUES ($1)`, [version]);
    });
  }
}
