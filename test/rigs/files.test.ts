// Rig files: the shipped ones load; a wrong one is refused with the file, the line and the
// field; `medcard rigs` lists them; an unreachable engine is a clear error before any scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRigFiles, loadRigFile, parseRigFile, RigFileError } from '../../rigs/files';
import { MEDCARD, ROOT } from './helpers';

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  return port;
}

const issuesOf = (text: string) => {
  try {
    parseRigFile(text, path.join(ROOT, 'rigs', 'bad.yaml'));
  } catch (err) {
    assert.ok(err instanceof RigFileError, String(err));
    return err.issues;
  }
  assert.fail('the rig file was accepted');
};

test('the shipped rig files load: emulated and vpcd first, each with its kind and capabilities', () => {
  const names = listRigFiles();
  assert.deepEqual(names.slice(0, 2), ['emulated', 'vpcd']);
  for (const n of ['serial', 'pcsc', 'pcsc-vpcd']) assert.ok(names.includes(n), `${n} missing from ${names}`);
  const serial = loadRigFile('serial');
  assert.equal(serial.kind, 'serial');
  assert.deepEqual(serial.settings.serial, { path: undefined, baudRate: 115200, timeoutMs: 2000 });
  assert.deepEqual(serial.capabilities, ['card-state', 'card-swap', 'card-remove']);
  const pcsc = loadRigFile('pcsc');
  assert.ok(pcsc.settings.reader instanceof RegExp && pcsc.settings.reader.test('ACS ACR39U ICC Reader 00 00') && !pcsc.settings.reader.test('Virtual PCD 00 00'));
  assert.deepEqual(pcsc.capabilities, []);
  assert.equal(pcsc.exclusive, '@rig-any');
  assert.equal(loadRigFile('pcsc-vpcd').settings.reader, 'Virtual PCD 00 01');
  assert.deepEqual(loadRigFile('emulated').engine, { kind: 'embedded' });
});

test('engine kinds: embedded, postgres, url, container (with env and health passed through)', () => {
  const rig = (engine: string) => parseRigFile(`kind: emulated\nengine: ${engine}\n`, '/tmp/x.yaml').engine;
  assert.deepEqual(rig('{ kind: postgres, url: "postgres://postgres@127.0.0.1:5432/medcard" }'), { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/medcard' });
  assert.deepEqual(rig('{ kind: url, url: "http://10.0.0.5:8080" }'), { kind: 'url', url: 'http://10.0.0.5:8080' });
  assert.deepEqual(rig('{ kind: container, image: "medcard/engine:latest", port: 8080, env: { TZ: Asia/Shanghai }, health: /health }'),
    { kind: 'container', image: 'medcard/engine:latest', port: 8080, env: { TZ: 'Asia/Shanghai' }, health: '/health' });
  const withLedger = parseRigFile('kind: emulated\nengine: { kind: container, image: e, port: 1 }\nledger: { image: medcard/postgres }\n', '/tmp/x.yaml');
  assert.deepEqual(withLedger.ledger, { image: 'medcard/postgres' });
});

test('a wrong rig file names the file, the line and the field, and says what is allowed', () => {
  const issues = issuesOf([
    'kind: pcsc',                          // 1
    'reader: 7',                           // 2
    'card: fixtures/cards/nobody.yaml',    // 3
    'capabilities: [card-state, teleport]', // 4
    'engine: { kind: url, url: "ftp://x" }', // 5
    'colour: blue',                        // 6
  ].join('\n'));
  const byField = new Map(issues.map((i) => [i.field, i]));
  assert.equal(byField.get('colour')?.line, 6);
  assert.match(byField.get('colour')!.message, /unknown field; a rig file has kind, description, reader/);
  assert.equal(byField.get('reader')?.line, 2);
  assert.match(byField.get('card')!.message, /no card profile at fixtures\/cards\/nobody.yaml/);
  assert.match(byField.get('capabilities[0]')!.message, /a pcsc rig cannot offer card-state: a real card/);
  assert.equal(byField.get('capabilities[1]')?.line, 4);
  assert.match(byField.get('capabilities[1]')!.message, /"teleport" is not a capability; one of card-state, card-swap, card-remove/);
  assert.match(byField.get('engine.url')!.message, /base URL/);
  assert.ok(issues.every((i) => i.file === path.join('rigs', 'bad.yaml')), 'every issue names the file');

  assert.match(issuesOf('kind: robot\n')[0].message, /"robot" is not a rig kind; one of emulated, vpcd, pcsc, serial/);
  assert.match(issuesOf('kind: serial\nserial: { path: /dev/ttyUSB0, baudRate: fast }\ncapabilities: [card-state]\n').map((i) => `${i.field}: ${i.message}`).join('\n'),
    /serial.baudRate: a baud rate[\s\S]*capabilities\[0\]: a serial rig cannot offer card-state: the card at the far end of serial.path is not run by the harness/);
  assert.match(issuesOf('kind: emulated\nengine: { kind: container, port: 99999 }\n').map((i) => i.field).join(','), /engine.image,engine.port/);
  assert.match(issuesOf('kind: pcsc\ncard: fixtures/cards/zhang-san.yaml\n')[0].message, /missing: the PC\/SC reader's exact name, or a \/regular expression\//);
});

test('`medcard rigs` lists every rig with its kind, engine and capabilities; an invalid file is shown, not hidden', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-rigs-'));
  fs.copyFileSync(path.join(ROOT, 'rigs', 'serial.yaml'), path.join(dir, 'serial.yaml'));
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: serial\nserial: { baudRate: 12 }\n');
  const r = spawnSync(process.execPath, [MEDCARD, 'rigs'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MEDCARD_RIGS_DIR: dir } });
  assert.equal(r.status, 1, 'a broken rig file makes the listing fail');
  assert.match(r.stdout, /serial\s+serial\s+the emulated card on the far end of a pty,/);
  assert.match(r.stdout, /can: card-state, card-swap, card-remove/);
  assert.match(r.stdout, /broken\s+INVALID\s+.*broken.yaml:2: serial.baudRate: a baud rate such as 9600 or 115200, not 12/);
  const all = spawnSync(process.execPath, [MEDCARD, 'rigs'], { cwd: ROOT, encoding: 'utf8' });
  for (const n of ['emulated', 'vpcd', 'serial', 'pcsc']) assert.match(all.stdout, new RegExp(`^  ${n}\\s`, 'm'));
});

test('engine unreachable: `rig check` fails the engine check and `medcard run` stops before any scenario, saying what to do', async () => {
  const port = await deadPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-rigs-'));
  const file = path.join(dir, 'vendor.yaml');
  fs.writeFileSync(file, `kind: emulated\ndescription: a vendor engine that is down\nengine: { kind: url, url: "http://127.0.0.1:${port}" }\n`);
  const check = spawnSync(process.execPath, [MEDCARD, 'rig', 'check', file], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
  assert.equal(check.status, 1);
  assert.match(check.stdout, new RegExp(`FAIL\\s+engine\\s+engine at http://127.0.0.1:${port} is unreachable \\(ECONNREFUSED\\)`));
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-reports-'));
  const run = spawnSync(process.execPath, [MEDCARD, 'run', '--rig', file, '--quiet', '--reports', reports], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  assert.equal(run.status, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /medcard run: rig "vendor": engine at http:\/\/127.0.0.1:\d+ is unreachable \(ECONNREFUSED\): start it/);
  assert.ok(!fs.existsSync(path.join(reports, 'cucumber.json')), 'no scenario ran');
});

test('`medcard run --engine-url`: a dead address, no control token, or a wrong one stops the run before any scenario (exit 2), saying which', async () => {
  const dead = await deadPort();
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-reports-'));
  // Not spawnSync: the engine of this test runs in this process and must go on answering.
  const run = (url: string, token?: string) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env };
    if (token === undefined) delete env.MEDCARD_CONTROL_TOKEN; else env.MEDCARD_CONTROL_TOKEN = token;
    const child = spawn(process.execPath, [MEDCARD, 'run', '--engine-url', url, '--quiet', '--reports', reports], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const down = await run(`http://127.0.0.1:${dead}`, 'any');
  assert.equal(down.status, 2, down.stdout + down.stderr);
  assert.match(down.stderr, /engine at http:\/\/127.0.0.1:\d+ is unreachable \(ECONNREFUSED\)/);
  const { createEngine } = require('../../engine') as typeof import('../../engine');
  const engine = await createEngine({ world: 'empty', controlToken: 'the-right-token' });
  try {
    const { url } = await engine.listen(0, '127.0.0.1');
    const none = await run(url);
    assert.equal(none.status, 2, none.stdout + none.stderr);
    assert.match(none.stderr, /needs its control token: set MEDCARD_CONTROL_TOKEN/);
    const wrong = await run(url, 'a-wrong-token');
    assert.equal(wrong.status, 2, wrong.stdout + wrong.stderr);
    assert.match(wrong.stderr, /refused this run's control call \(.*令牌.*\): is MEDCARD_CONTROL_TOKEN the token this engine printed\?/);
    assert.ok(!fs.existsSync(path.join(reports, 'cucumber.json')), 'no scenario ran');
  } finally {
    await engine.close();
  }
});

test('`medcard run --engine-url` to a server that is not a platform engine stops before any scenario (exit 2), saying so', async () => {
  const http = require('node:http') as typeof import('node:http');
  const page = http.createServer((_req, res) => res.end('<html>a web page</html>')).listen(0, '127.0.0.1');
  await new Promise((r) => page.once('listening', r));
  const url = `http://127.0.0.1:${(page.address() as net.AddressInfo).port}`;
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-reports-'));
  try {
    // Not spawnSync: the server answers from this process.
    const child = spawn(process.execPath, [MEDCARD, 'run', '--engine-url', url, '--quiet', '--reports', reports], { cwd: ROOT, env: { ...process.env, MEDCARD_CONTROL_TOKEN: 'any' } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 2, stderr);
    assert.match(stderr, new RegExp(`^medcard run: ${url} answers, but not as a medcard or platform engine: POST ${url}/fsi/api/rsfComIfsService/callService got HTTP 200 without an infcode \\("<html>a web page</html>"\\)`));
    assert.ok(!fs.existsSync(path.join(reports, 'cucumber.json')), 'no scenario ran');
  } finally {
    page.close();
  }
});
