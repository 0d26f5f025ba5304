// The http adapter: a terminal under test with its own automation endpoint (a separate
// process, test/compliance/http-tut.ts, wrapping the reference terminal) is certified through
// `adapter: http`, and passes every requirement; an endpoint that is not there is an error of
// every action, never a pass.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { REQUIREMENTS } from '../../compliance';
import { certify, ROOT, verdicts } from './certify-run';

function startEndpoint(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', './steps/register.js', 'test/compliance/http-tut.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', (c: Buffer) => {
      const port = /listening (\d+)/.exec(String(c))?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}/automation` });
      else reject(new Error(`the endpoint said: ${c}`));
    });
    child.once('exit', (code) => reject(new Error(`the endpoint exited (${code})`)));
  });
}

describe('the http adapter', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-http-tut-'));
  const reference = parse(fs.readFileSync(path.join(ROOT, 'terminals', 'reference.yaml'), 'utf8')) as Record<string, unknown>;
  const terminalFile = (name: string, url: string) => {
    const file = path.join(tmp, `${name}.yaml`);
    const { actions: _none, ...rest } = reference;
    fs.writeFileSync(file, stringify({ ...rest, description: `${name}: the reference terminal behind an automation endpoint`, adapter: 'http', url }));
    return file;
  };
  let endpoint: ChildProcess | undefined;
  after(() => { endpoint?.kill(); });

  test('a terminal driven over its own HTTP endpoint passes every requirement', async () => {
    const started = await startEndpoint();
    endpoint = started.child;
    const { code, out, cert } = await certify(terminalFile('http-tut', started.url), path.join(tmp, 'http-tut'));
    assert.equal(code, 0, out.slice(-3000));
    assert.deepEqual(verdicts(cert), Object.fromEntries(REQUIREMENTS.map((r) => [r.id, 'passed'])));
  });

  test('an endpoint nobody serves fails the certification, naming the address', async () => {
    const { code, out, cert } = await certify(terminalFile('nobody', 'http://127.0.0.1:9/automation'), path.join(tmp, 'nobody'), '@req-PLAT-08 and not @english');
    assert.equal(code, 1, out.slice(-3000));
    assert.match(out, /http:\/\/127\.0\.0\.1:9\/automation did not answer/);
    assert.ok(cert.rows.every((r) => r.verdict !== 'passed'), out.slice(-3000));
  });
});
