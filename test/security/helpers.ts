// Shared by the security tests: raw HTTP exchanges (no client that would tidy the request
// up), an engine served on 127.0.0.1 with its ledger checksum, and the real CLI as a process.
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createEngine, type Engine, type EngineOptions } from '../../engine';
import { CONTROL_PATH, ENDPOINT } from '../../platform';
import { clients } from '../engine/helpers';

export const TODAY = '2024-03-15 09:00:00';
export const FIXTURE_PERSON = 'P500000000001';

export interface Answer {
  status: number;
  body: { infcode: number; err_msg: string | null; output: unknown } | null;
}

/** Send bytes on a fresh connection and read until the engine closes it. */
export function exchange(port: number, request: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('the engine neither answered nor closed within 15 s')));
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(got))));
    socket.end(request);
  });
}

export function parseAnswer(raw: Buffer): Answer {
  const text = raw.toString('utf8');
  const head = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!head) throw new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 200))}`);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { status: Number(head[1]), body: body ? JSON.parse(body) : null };
}

/** A POST (to the platform endpoint by default) as bytes; headers override the well-formed defaults (null drops one). */
export function post(port: number, body: string | Buffer, headers: Record<string, string | null> = {}, path = ENDPOINT): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const all = { host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': String(bytes.length), connection: 'close', ...headers };
  const head = Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${head}\r\n`), bytes]);
}

/** The path of a control op, e.g. opening-balance. */
export const controlPath = (op: string) => `${CONTROL_PATH}/${op}`;

/**
 * The fixtures' world on 127.0.0.1, an in-process control client, the ledger checksum, and
 * `control(op, input, headers)`: a control call with the run's token as bytes, to send raw.
 */
export async function servedEngine(opts: EngineOptions = {}) {
  const engine: Engine = await createEngine({ world: 'fixtures', ...opts });
  const { port, url } = await engine.listen(0, '127.0.0.1');
  const { agency } = clients(engine, TODAY);
  let n = 0;
  const controlBody = (input: unknown) => JSON.stringify({ id: `raw-${process.pid}-${++n}`, time: TODAY, input });
  const control = (op: string, input: unknown, headers: Record<string, string | null> = {}) =>
    post(port, controlBody(input), { authorization: `Bearer ${engine.controlToken}`, ...headers }, controlPath(op));
  return { engine, port, url, agency, ledger: () => agency.ledgerCheck(), controlBody, control };
}

/** The input of a call that moves money if it is served: 5.00 into a fixture person's account. */
export const credit = (amount = '5.00') => ({ psn_no: FIXTURE_PERSON, amount, bucket: 'carried' });

/** The lines written with console.error (the engine's log) while fn runs. */
export async function logged(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const was = console.error;
  console.error = (...args: unknown[]) => { lines.push(args.join(' ')); };
  try { await fn(); } finally { console.error = was; }
  return lines;
}

/** The control token the CLI engines of these tests are started with. */
export const CLI_TOKEN = 'security-test-token';

/** `medcard engine --port 0 …` as its own process; resolves once it prints its URL. */
export function startCli(args: string[]): Promise<{ url: string; port: number; stderr: () => string; stop: () => Promise<void> }> {
  const root = path.resolve(__dirname, '../..');
  const proc = spawn(process.execPath, [path.join(root, 'bin/medcard.js'), 'engine', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MEDCARD_CONTROL_TOKEN: CLI_TOKEN } });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => { proc.kill('SIGTERM'); await exited; };
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+?:(\d+))\//.exec(out);
      if (m) resolve({ url: m[1], port: Number(m[2]), stderr: () => err, stop });
    });
    proc.once('exit', (code) => reject(new Error(`medcard engine exited ${code} before listening: ${err}`)));
  });
}
