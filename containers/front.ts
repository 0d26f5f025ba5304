// The engine's URL for a run: a small HTTP server in this process that forwards each request
// to the engine container behind it, so the URL stays the same when a dead engine container
// is replaced by a fresh one mid-suite.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerEngineOptions } from './types';

/** The engine behind the front as it is when a request comes: a replacement changes it. */
export interface Upstream {
  /** Resolves once an engine serves, or once none will (givenUp then says why). */
  ready(): Promise<void>;
  givenUp(): string | undefined;
  target(): { host: string; port: number };
  /** Resolves when the serving engine's death is reported, lastDeath saying how it died. */
  deathNoticed(): Promise<void>;
  lastDeath(): string;
}

export interface Front {
  /** Listens on a free port of 127.0.0.1; resolves with the front's URL. */
  listen(): Promise<string>;
  /** Stops listening and drops the connections on both sides. */
  close(): Promise<void>;
}

/** A platform-shaped error envelope: the terminal and the steps show err_msg as is. */
function errorEnvelope(message: string): string {
  return JSON.stringify({ infcode: -1, err_msg: message, warn_msg: '', inf_refmsgid: '', refmsg_time: '', respond_time: '', cainfo: null, signtype: null, output: null });
}

/** Requests that arrive before the engine is ready wait for it; if none will come, they get the reason. */
export function createFront(engine: Upstream, opts: Pick<ContainerEngineOptions, 'observe' | 'onRequest'>): Front {
  // Kept-alive connections to the engine: a new one per request costs a connect through
  // docker's port proxy, twice.
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const fail = (msg: string) => {
        if (res.headersSent) { res.destroy(); return; }
        res.writeHead(req.url?.startsWith('/health') ? 503 : 200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(errorEnvelope(msg));
      };
      await engine.ready();
      const givenUp = engine.givenUp();
      if (givenUp) return fail(`medcard: ${givenUp}`);
      opts.onRequest?.(body);
      const forward = (retried: boolean) => {
        const target = engine.target();
        const up = http.request({ agent: upstreamAgent, host: target.host, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${target.host}:${target.port}` } }, (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          if (opts.observe) {
            const got: Buffer[] = [];
            ur.on('data', (d: Buffer) => got.push(d));
            ur.on('end', () => opts.observe!(body, Buffer.concat(got), ur.statusCode ?? 0));
          }
          ur.pipe(res);
          ur.on('error', () => res.destroy());
        });
        up.on('error', async (e: NodeJS.ErrnoException) => {
          // A kept-alive connection the engine closed as we reused it: once more on a new one
          // (requests are idempotent by msgid).
          if (up.reusedSocket && e.code === 'ECONNRESET' && !retried && !res.headersSent) return forward(true);
          // Give the watcher a moment to learn why (a kill shows as a reset connection first).
          await Promise.race([engine.deathNoticed(), new Promise((r) => setTimeout(r, 1500))]);
          fail(`medcard: ${engine.lastDeath() || `the engine container stopped answering (${(e as Error).message})`} in the middle of this request; `
            + 'its answer never came, so this step fails. The harness starts a fresh engine for the scenarios that follow; the ledger keeps every acknowledged settlement.');
        });
        up.end(body);
      };
      forward(false);
    });
  });
  return {
    listen: () => new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      upstreamAgent.destroy();
    },
  };
}
