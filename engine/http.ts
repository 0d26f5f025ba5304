// The engine's HTTP front: who may talk to it (the Host it is bound to, never a browser), what
// it reads (JSON in UTF-8, capped while it streams in, nesting bounded), how long it waits,
// and the route table. Everything it refuses is answered in the platform's envelope shape.
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { CONTROL_PATH, EC_QUERY_PATH, ENDPOINT, SERVICE_PATHS, type EcAnswer, type Response } from '../platform';
import type { Route as ServicePath } from './types';

/** Largest body read: the refusal comes as soon as a body passes it, not at its end. */
export const MAX_BODY = 1 << 20;
/** Deepest nesting of objects and arrays accepted (the platform's own messages use 4). */
export const MAX_DEPTH = 32;

export interface RouteRequest { body: unknown; headers: http.IncomingHttpHeaders }
export interface Reply { status: number; body: unknown }
export type Route = (req: RouteRequest) => Promise<Reply>;
/** `METHOD /path` → handler; POST bodies arrive parsed. */
export type Routes = Record<string, Route>;

/** The harness's control API: POST CONTROL_PATH/<op>, the token from `Authorization: Bearer`. */
export function controlRoutes(ops: readonly string[], control: (op: string, body: unknown, token: string | undefined) => Promise<Response>): Routes {
  const routes: Routes = {};
  for (const op of ops) {
    routes[`POST ${CONTROL_PATH}/${op}`] = async ({ body, headers }) => {
      const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
      return { status: 200, body: await control(op, body, token) };
    };
  }
  return routes;
}

/** The local e-voucher component's ec.query (engine/evoucher.ts): beside the control API, as the component runs on the HIS's own machine. */
export function evoucherRoutes(ecQuery: (body: unknown) => Promise<EcAnswer>): Routes {
  return { [`POST ${EC_QUERY_PATH}`]: async ({ body }) => ({ status: 200, body: await ecQuery(body) }) };
}

/**
 * The platform interface: the gateway path (and `/`) for every transaction, each per-service
 * path for its own infnos only; and the health check.
 */
export function platformRoutes(handle: (body: unknown, route?: ServicePath) => Promise<Response>): Routes {
  const platform: Route = async ({ body }) => ({ status: 200, body: await handle(body) });
  const health: Route = async () => ({ status: 200, body: { ok: true, endpoint: ENDPOINT } });
  const routes: Routes = { [`POST ${ENDPOINT}`]: platform, 'POST /': platform, 'GET /health': health, 'GET /': health };
  for (const [path, infnos] of Object.entries(SERVICE_PATHS)) {
    routes[`POST ${path}`] = async ({ body }) => ({ status: 200, body: await handle(body, { path, infnos }) });
  }
  return routes;
}

export interface FrontOptions {
  port: number;
  host: string;
  /**
   * The route table of this listener. `loopback` is false when it can be reached from other
   * machines: a route meant for this machine only is left out then.
   */
  routes: (loopback: boolean) => Routes;
  /** Whether institutions' signatures are checked (said in the warning for a non-loopback address). */
  signatures: boolean;
  /** Names accepted in Host besides the bound address (e.g. a proxy's or a container's name). */
  allowedHosts?: string[];
  /** The request line and headers must arrive within this (default 10 s). */
  headersTimeoutMs?: number;
  /** The body must arrive within this once the headers are in (default 10 s). */
  bodyTimeoutMs?: number;
  /** Where each refusal is told (one line, never the body); none: not told. */
  log?: (line: string) => void;
}

export interface Front { url: string; port: number; close(): Promise<void> }

/** Refused requests: HTTP status, Chinese for the terminal's screen, English for the log. */
class Refusal {
  constructor(readonly status: number, readonly zh: string, readonly en: string) {}
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export async function listenHttp(o: FrontOptions): Promise<Front> {
  const headersTimeout = o.headersTimeoutMs ?? 10_000;
  const bodyTimeout = o.bodyTimeoutMs ?? 10_000;
  const server = http.createServer({
    headersTimeout,
    // Node's own bound on a whole request (300 s by default); the body timer below is sooner.
    requestTimeout: headersTimeout + bodyTimeout,
    // How often Node looks for requests past those bounds (30 s by default).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(o.port, o.host, () => resolve()); });
  const { address, port } = server.address() as net.AddressInfo;
  const bound = boundTo(o.host, address, port, o.allowedHosts ?? []);
  const routes = o.routes(bound.loopback);
  if (!bound.loopback) console.error(exposureWarning(address, port, routes, o.signatures));
  server.on('request', (req, res) => serve(req, res, routes, bound, bodyTimeout, o.log));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => refuseUnparsed(err, socket, o.log));
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, routes: Routes, bound: Bound, bodyTimeout: number, log: FrontOptions['log']): void {
  const path = (req.url ?? '').split('?')[0];
  const send = (status: number, body: unknown, close = false) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
    // A refused body may still be coming: the connection is cut, not read to its end.
    res.end(text, close ? () => req.socket.destroy() : undefined);
  };
  const refuse = (r: Refusal) => {
    log?.(`${logLine(req.socket, r)} (${req.method} ${shown(path)})`);
    send(r.status, envelope(r), true);
  };
  const early = checkHeaders(req, bound);
  if (early) return refuse(early);
  const route = routes[`${req.method} ${path}`] as Route | undefined;
  if (!route) return refuse(new Refusal(404, `请使用 POST ${ENDPOINT}`, `no such route: use POST ${ENDPOINT}`));

  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const stop = (r: Refusal) => { done = true; clearTimeout(timer); refuse(r); };
  const timer = setTimeout(() => stop(new Refusal(408, `请求报文未在 ${bodyTimeout / 1000} 秒内收齐`, `body not received within ${bodyTimeout / 1000} s`)), bodyTimeout);
  if (Number(req.headers['content-length']) > MAX_BODY) return stop(tooBig());
  req.on('data', (c: Buffer) => {
    if (done) return;
    size += c.length;
    if (size > MAX_BODY) return stop(tooBig());
    chunks.push(c);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const parsed = req.method === 'POST' ? parseBody(Buffer.concat(chunks)) : { value: undefined };
    if (parsed instanceof Refusal) return refuse(parsed);
    route({ body: parsed.value, headers: req.headers }).then((r) => send(r.status, r.body), (e) => {
      log?.(`${new Date().toISOString()} medcard engine: ${req.method} ${path} failed: ${(e as Error).stack ?? e}`);
      send(500, { infcode: -1, err_msg: '系统内部错误 / internal error', output: null });
    });
  });
  req.on('close', () => clearTimeout(timer));
}

/**
 * What Node refuses itself, with the same envelope and log line: headers (or a whole request)
 * past their time, headers too large, a request it cannot parse.
 */
function refuseUnparsed(err: NodeJS.ErrnoException, socket: net.Socket, log: FrontOptions['log']): void {
  if (err.code === 'ECONNRESET' || !socket.writable) { // the client left: nothing to refuse
    socket.destroy();
    return;
  }
  const r = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new Refusal(408, '请求未在规定时间内收齐', 'request not received in time')
    : err.code === 'HPE_HEADER_OVERFLOW' ? new Refusal(431, '请求头过大', 'request headers too large')
    : new Refusal(400, '请求不是合法的 HTTP', `not a valid HTTP request (${err.code ?? err.message})`);
  log?.(logLine(socket, r));
  const text = JSON.stringify(envelope(r));
  socket.end(`HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`, () => socket.destroy());
}

const envelope = (r: Refusal) => ({ infcode: -1, err_msg: `${r.zh} / ${r.en}`, output: null });
const logLine = (socket: net.Socket, r: Refusal) => `${new Date().toISOString()} medcard engine: refused ${socket.remoteAddress}:${socket.remotePort}: ${r.status} ${r.en}`;

const tooBig = () => new Refusal(413, `请求报文过大（上限 ${MAX_BODY >> 20} MiB）`, `body over ${MAX_BODY >> 20} MiB`);

/** Who is asking and in what form, before any of the body is read. */
function checkHeaders(req: http.IncomingMessage, bound: Bound): Refusal | null {
  if (!hostAllowed(req.headers.host, bound)) {
    const host = shown(req.headers.host);
    return new Refusal(421, `请求头 Host ${host} 不是本引擎的地址`, `Host ${host} is not this engine's address`);
  }
  // Only browsers send these: a web page must not be able to post transactions.
  const site = req.headers['sec-fetch-site'];
  if (req.headers.origin !== undefined || site === 'cross-site' || site === 'same-site') {
    return new Refusal(403, '不受理浏览器网页发来的请求（Origin / Sec-Fetch-Site）', 'requests from web pages are refused (Origin / Sec-Fetch-Site)');
  }
  if (req.method === 'POST' && !isJsonUtf8(req.headers['content-type'])) {
    return new Refusal(415, '请求报文须为 JSON：Content-Type: application/json（UTF-8）', `Content-Type must be application/json (UTF-8), got ${shown(req.headers['content-type'])}`);
  }
  return null;
}

/** A header as it may appear in a message and the log: quoted, short. */
const shown = (v: string | undefined) => JSON.stringify((v ?? '').slice(0, 100));

function isJsonUtf8(contentType: string | undefined): boolean {
  const [type, ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
  return type === 'application/json' && params.every((p) => /^charset="?utf-8"?$/.test(p));
}

function parseBody(raw: Buffer): { value: unknown } | Refusal {
  let text: string;
  try { text = UTF8.decode(raw); } catch { return new Refusal(400, '请求报文不是合法的 UTF-8', 'body is not valid UTF-8'); }
  if (tooDeep(text)) return new Refusal(400, `请求报文嵌套超过 ${MAX_DEPTH} 层`, `JSON nested deeper than ${MAX_DEPTH} levels`);
  try { return { value: JSON.parse(text) }; } catch { return new Refusal(400, '请求报文不是合法的 JSON', 'body is not valid JSON'); }
}

/** Counts nesting in one pass over the text, before JSON.parse and the recursive code after it. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // the escaped character, a quote perhaps, is skipped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > MAX_DEPTH) return true; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

// ------------------------------------------------------------------ Host

interface Bound { loopback: boolean; wildcard: boolean; port: number; names: Set<string>; allowed: Set<string> }

const isLoopback = (addr: string) => addr === '::1' || /^(::ffff:)?127\./.test(addr);

function boundTo(host: string, address: string, port: number, allowedHosts: string[]): Bound {
  const loopback = isLoopback(address);
  const names = new Set([host.toLowerCase(), address, ...(loopback ? ['localhost', '127.0.0.1', '::1'] : [])]);
  return { loopback, wildcard: address === '0.0.0.0' || address === '::', port, names, allowed: new Set(allowedHosts.map((h) => h.toLowerCase())) };
}

/**
 * A DNS-rebinding page reaches us under its own name, so the name in Host is what is checked.
 * A listener on one address accepts that address (loopback: and its aliases) with its port.
 * A listener on every address (0.0.0.0, ::) accepts `localhost` and any IP address on any
 * port, as Docker's and NAT's port mappings change both; other names only from allowedHosts.
 */
function hostAllowed(header: string | undefined, b: Bound): boolean {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/i.exec(header ?? '');
  if (!m) return false;
  const name = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
  if (b.allowed.has(name)) return true;
  if (b.wildcard) return name === 'localhost' || net.isIP(name) !== 0;
  return b.names.has(name) && Number(m[3] ?? 80) === b.port;
}

function exposureWarning(address: string, port: number, routes: Routes, signatures: boolean): string {
  const where = address === '0.0.0.0' || address === '::'
    ? `every address of this machine (${Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address).join(', ') || 'none but loopback now'})`
    : address;
  const control = Object.keys(routes).some((r) => r.startsWith(`POST ${CONTROL_PATH}/`));
  return `medcard engine: WARNING: listening on ${where}, port ${port}, not on loopback only: anyone who can reach it can call the platform interface (${ENDPOINT}). `
    + (signatures ? 'Signatures are on: only an institution holding its key can transact as it. ' : 'Signatures are OFF: anyone who can reach it can act as any institution. ')
    + (control ? `The control API (${CONTROL_PATH}/…: people, cards, balances, the clock) is served here too, to whoever holds the run's token. ` : `The control API (${CONTROL_PATH}/…) is not served on this address. `)
    + 'Bind 127.0.0.1 (the default) to keep it on this machine.';
}
