// The platform side of the terminal under test: an HTTP recorder in front of the engine. The
// TUT is configured with the recorder's address; every request it sends is forwarded to the
// engine unchanged and recorded with its answer and time, and the faults a scenario asks
// for are played here, where a real network would play them (a late answer, a −1 from a
// gateway, an answer lost after the engine committed).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlatformExchange, PlatformFault } from './types';

const MAX_BODY = 2 << 20;
/** Kept-alive connections to the engine: a new TCP connection per request cost a third of a millisecond (bench/certify.ts). */
const UPSTREAM = new http.Agent({ keepAlive: true });

/** An engine in this process (engine/'s Engine has this method). */
export interface EmbeddedEngine { servePlatform(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> }
/** Where the recorder forwards: an engine's base URL, or an engine in this process. */
export type Upstream = string | EmbeddedEngine;

export class PlatformRecorder {
  private log: PlatformExchange[] = [];
  private faults: PlatformFault[] = [];
  private t0 = Date.now();
  /** Run-wide: sign_nos successful 9001s answered, and each msgid's content, for the judge. */
  private readonly signNos = new Set<string>();
  private readonly contents = new Map<string, { infno: string; content: string }>();
  private constructor(private readonly server: http.Server, readonly url: string, private readonly target: Upstream) {}

  /** Listen on 127.0.0.1 (an ephemeral port) and forward to `target`: the engine's base URL, or an embedded engine. */
  static async start(target: Upstream): Promise<PlatformRecorder> {
    let self: PlatformRecorder | undefined;
    const server = http.createServer((req, res) => { void self!.forward(req, res); });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
    const { port } = server.address() as AddressInfo;
    self = new PlatformRecorder(server, `http://127.0.0.1:${port}`, target);
    return self;
  }

  /** Start a new recording (one action of the TUT); faults already asked for stay. */
  begin(): void { this.log = []; this.t0 = Date.now(); }
  /** What was recorded since begin(). */
  exchanges(): readonly PlatformExchange[] { return this.log; }
  inject(f: PlatformFault): void { this.faults.push(f); }
  clearFaults(): void { this.faults = []; }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!body) { res.writeHead(413).end(); return; }
    const sent = parseJson(body);
    const request = asObject(sent?.value);
    const infno = typeof request?.infno === 'string' ? request.infno : undefined;
    const i = infno === undefined ? -1 : this.faults.findIndex((f) => f.infno === infno);
    const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
    const entry: PlatformExchange = {
      at: Date.now() - this.t0, path: req.url ?? '/', request, response: undefined, engineResponse: undefined,
      signedIn: typeof request?.sign_no === 'string' && this.signNos.has(request.sign_no), ...(fault ? { fault: fault.name } : {}),
    };
    this.remember(entry);
    this.log.push(entry);
    if (fault?.name === 'error') {
      // A gateway's −1: the engine never saw it.
      const answer = { infcode: -1, inf_refmsgid: '', refmsg_time: '', respond_time: '', err_msg: fault.errMsg ?? '系统繁忙，请稍后再试', warn_msg: null, cainfo: null, signtype: null, output: null };
      entry.response = answer;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
      return;
    }
    if (fault?.name === 'late') await new Promise((r) => setTimeout(r, fault.delayMs ?? 5000));
    let upstream: Upstreamed;
    try {
      upstream = typeof this.target === 'string' ? await this.send(this.target, req, body) : await served(this.target, req, sent);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`medcard recorder: the engine did not answer: ${(err as Error).message}`);
      return;
    }
    entry.engineResponse = asObject(upstream.value ?? parseJson(upstream.body)?.value);
    if (fault?.name === 'lost') {
      // The engine committed; the TUT never hears of it.
      req.socket.destroy();
      return;
    }
    entry.response = entry.engineResponse;
    const signNo = (entry.response?.output as { signinoutb?: { sign_no?: unknown } } | undefined)?.signinoutb?.sign_no;
    if (infno === '9001' && entry.response?.infcode === 0 && typeof signNo === 'string') this.signNos.add(signNo);
    res.writeHead(upstream.status, { 'content-type': upstream.type, 'content-length': upstream.body.length }).end(upstream.body);
  }

  /** A msgid seen before with other content is marked; a byte-for-byte resend is not (idempotent). */
  private remember(entry: PlatformExchange): void {
    const r = entry.request;
    if (!r || typeof r.msgid !== 'string') return;
    const content = JSON.stringify([r.infno, r.input]);
    const seen = this.contents.get(r.msgid);
    if (!seen) this.contents.set(r.msgid, { infno: String(r.infno), content });
    else if (seen.content !== content) entry.msgidReusedFrom = seen.infno;
  }

  private send(target: string, req: http.IncomingMessage, body: Buffer): Promise<Upstreamed> {
    const url = new URL(target);
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': body.length };
      const up = http.request({ host: url.hostname, port: url.port, path: req.url, method: req.method, headers, agent: UPSTREAM }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, type: String(r.headers['content-type'] ?? 'application/json'), body: Buffer.concat(parts) }));
        r.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  }
}

/** The engine's answer: its bytes for the TUT, and (in process) the value they encode, not parsed again. */
interface Upstreamed { status: number; type: string; body: Buffer; value?: unknown }

/** An embedded engine answers in this process, given the request already parsed: the TUT still speaks HTTP, to the recorder. */
async function served(engine: EmbeddedEngine, req: http.IncomingMessage, sent: { value: unknown } | undefined): Promise<Upstreamed> {
  const json = (status: number, value: unknown) => ({ status, type: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(value)), value });
  if (!sent) return json(400, { infcode: -1, err_msg: '请求报文不是合法的 JSON / body is not valid JSON', output: null });
  const r = await engine.servePlatform(req.method ?? 'POST', (req.url ?? '/').split('?')[0]!, sent.value);
  return json(r.status, r.body);
}

/** The request's body, or undefined past MAX_BODY. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The JSON a body holds, or undefined when it holds none. */
function parseJson(b: Buffer): { value: unknown } | undefined {
  try { return { value: JSON.parse(b.toString('utf8')) as unknown }; } catch { return undefined; }
}

const asObject = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
