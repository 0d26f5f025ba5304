// A terminal under test with its own automation endpoint, for the http adapter: a small HTTP
// server (its own process, 127.0.0.1, port printed on its first line) that, for each POSTed
// action, runs the reference terminal (`medcard terminal settle`) with the action's fields and
// answers with what it reported. `node -r ./steps/register.js test/compliance/http-tut.ts`
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const ROOT = path.resolve(__dirname, '..', '..');

function settle(a: Record<string, string>): Promise<string> {
  const args = ['bin/medcard.js', 'terminal', a.action ?? '', '--reader', a.reader ?? '', '--psam-reader', a.psam_reader ?? '', '--platform', a.platform_url ?? '',
    '--institution', a['institution.code'] ?? '', '--institution-name', a['institution.name'] ?? '', '--region', a['institution.region'] ?? '',
    '--key', a.key ?? '', '--sign-type', a.sign_type ?? '', '--date', a.date ?? '', '--kind', a.kind ?? '', '--items', a.items ?? '[]',
    '--presented-name', a['person.name'] ?? '', '--presented-id', a['person.id'] ?? '', '--account', a.use_account ?? '1'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stdin.end(a.pin ? `${a.pin}\n` : '');
    child.on('close', () => resolve(out.trim().split('\n').at(-1) ?? ''));
  });
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => { body += c; });
  req.on('end', () => {
    let action: Record<string, string>;
    try { action = JSON.parse(body) as Record<string, string>; } catch { res.writeHead(400).end('{"outcome":"refused","message":"not JSON"}'); return; }
    void settle(action).then((report) => res.writeHead(200, { 'content-type': 'application/json' }).end(report));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
