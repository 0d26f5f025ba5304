// Public types of the engine (createEngine and its Engine).
import type { Response } from '../platform';

export interface EngineOptions {
  /** postgres://… — PostgreSQL through `pg`. Unset: PGlite in memory (or at `pgliteDir`). */
  databaseUrl?: string;
  /** PGlite data directory (persistent); default in-memory. Ignored with databaseUrl. */
  pgliteDir?: string;
  /** Root of the YAML reference data; default <project>/fixtures. */
  fixturesDir?: string;
  /** Folder of policy YAML files; default <fixturesDir>/policies. */
  policyDir?: string;
  /**
   * 'fixtures' (default): load people, employers, institutions, catalogue, cards and opening
   * balances from <fixturesDir>/world/*.yaml. 'empty': policies only; scenarios create the
   * world through the agency transactions (91xx).
   */
  world?: 'fixtures' | 'empty';
  /** Connection pool size for PostgreSQL (default 10). */
  poolSize?: number;
  /** How long to wait for a PostgreSQL that is not up yet (refused, name not found, starting up); default 0: fail at once. */
  waitForDatabaseMs?: number;
  /** Log errors and every refused HTTP request to stderr. */
  log?: boolean;
  /** The control API's token; default a fresh random one (engine.controlToken). */
  controlToken?: string;
  /** 'off' only to debug a vendor's first connection: every answer then says so in warn_msg. Default 'on'. */
  signatures?: 'on' | 'off';
  /** How far an inf_time may lie from the institution's business clock, in seconds (default 300). */
  freshnessSeconds?: number;
  /** Serve the control API on a non-loopback address too (a container reached through a mapped port). Default: loopback only. */
  controlOnAllAddresses?: boolean;
  /** Names accepted in an HTTP request's Host besides the address listened on (http.ts). */
  allowedHosts?: string[];
  /** HTTP: the request line and headers must arrive within this; default 10 s. */
  headersTimeoutMs?: number;
  /** HTTP: the body must arrive within this once the headers are in; default 10 s. */
  bodyTimeoutMs?: number;
}

export interface Engine {
  /**
   * Handle one platform request body (parsed JSON or raw text) in-process, no HTTP. Never
   * throws. `route`: it came on a per-service path, which takes only its own infnos.
   */
  handle(requestBody: unknown, route?: Route): Promise<Response>;
  /**
   * One platform request as the HTTP front would route it (gateway path, `/`, or a per-service
   * path), in-process: for a recorder in front of an embedded engine. 404 for any other path.
   */
  servePlatform(method: string, path: string, requestBody: unknown): Promise<{ status: number; body: unknown }>;
  /** One call of the harness's control API (op, { id, time, input }, token), in-process. Never throws. */
  control(op: string, body: unknown, token: string | undefined): Promise<Response>;
  /** The token control calls must carry (EngineOptions.controlToken, or a random one). */
  readonly controlToken: string;
  /** Serve the platform interface over HTTP. Port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stop listening and close the database. */
  close(): Promise<void>;
  /** 'pglite' or 'postgres'. */
  readonly backend: 'pglite' | 'postgres';
}

// ------------------------------------------------------------------ the database seam (db.ts)

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

/** A per-service path and the infnos it takes (platform/client.ts SERVICE_PATHS). */
export interface Route { path: string; infnos: readonly string[] }
