// The engine's HTTP front under attack (engine/http.ts), over real HTTP on 127.0.0.1 with raw
// requests: each attack is refused, and the ledger checksum (ledger-check) does not move. The
// request that would move money if it were served is a control call with the run's token
// (5.00 into an account): only the front stands in its way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { ControlClient, ENDPOINT, PlatformClient, PlatformError } from '../../platform';
import { CQ, certno } from '../engine/helpers';
import { CLI_TOKEN, TODAY, FIXTURE_PERSON, controlPath, credit, exchange, logged, parseAnswer, post, servedEngine, startCli } from './helpers';

let s: Awaited<ReturnType<typeof servedEngine>>;
before(async () => { s = await servedEngine({ headersTimeoutMs: 500, bodyTimeoutMs: 500, log: true }); });
after(async () => { await s.engine.close(); });

/** Runs the attack; checks the ledger is as it was; returns what the engine logged meanwhile. */
async function unchanged(attack: () => Promise<void>): Promise<string[]> {
  const before = await s.ledger();
  const lines = await logged(attack);
  assert.deepEqual(await s.ledger(), before, 'the ledger moved');
  return lines;
}

/** One log line per refusal: time, remote address, what was refused and why; never the body. */
function assertLogged(lines: string[], count: number, what: RegExp) {
  assert.equal(lines.length, count, lines.join('\n'));
  for (const l of lines) {
    assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z medcard engine: refused 127\.0\.0\.1:\d+: /);
    assert.match(l, what);
    assert.ok(!l.includes(FIXTURE_PERSON) && !l.includes('psn_no'), `the body is not logged: ${l}`);
  }
}

test('a text/plain body from a web page (foreign Origin, Sec-Fetch-Site) is refused', async () => assertLogged(await unchanged(async () => {
  const page = await exchange(s.port, s.control('opening-balance', credit(), { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' }));
  assert.equal(page.status, 403);
  assert.match(page.body!.err_msg!, /浏览器.* \/ requests from web pages are refused/);
  assert.equal(page.body!.infcode, -1);
  assert.equal(page.body!.output, null);
  assert.equal((await exchange(s.port, s.control('opening-balance', credit(), { origin: 'null' }))).status, 403, 'any Origin, even with JSON');
  assert.equal((await exchange(s.port, s.control('opening-balance', credit(), { 'sec-fetch-site': 'cross-site' }))).status, 403);
  const plain = await exchange(s.port, s.control('opening-balance', credit(), { 'content-type': 'text/plain' }));
  assert.equal(plain.status, 415);
  assert.match(plain.body!.err_msg!, /JSON.* \/ Content-Type must be application\/json/);
  for (const ct of [null, 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    assert.equal((await exchange(s.port, s.control('opening-balance', credit(), { 'content-type': ct }))).status, 415, `content-type ${ct}`);
  }
}), 8, /: (403 requests from web pages are refused|415 Content-Type must be application\/json).* \(POST "\/medcard\/control\/opening-balance"\)$/));

test('a Host that is not the bound address (DNS rebinding) is refused', async () => assertLogged(await unchanged(async () => {
  for (const host of [`evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, `127.0.0.1.evil.example:${s.port}`, '']) {
    const res = await exchange(s.port, s.control('opening-balance', credit(), { host }));
    assert.equal(res.status, 421, `Host ${host}`);
    assert.match(res.body!.err_msg!, /不是本引擎的地址 \/ Host ".*" is not this engine's address/);
  }
  for (const host of [`localhost:${s.port}`, `[::1]:${s.port}`]) {
    assert.equal((await exchange(s.port, `GET /health HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`)).status, 200, `loopback alias ${host}`);
  }
}), 4, /: 421 Host ".*" is not this engine's address \(POST "\/medcard\/control\/opening-balance"\)$/));

test('a 50 MB chunked body is cut at 1 MiB, not read to its end', { timeout: 60_000 }, async () => assertLogged(await unchanged(async () => {
  const total = 50e6;
  const { status, accepted, answeredAt } = await new Promise<{ status: number; accepted: number; answeredAt: number }>((resolve, reject) => {
    const socket = net.connect(s.port, '127.0.0.1');
    const got: Buffer[] = [];
    let accepted = 0;
    let answeredAt = -1;
    let closed = false;
    socket.on('data', (d: Buffer) => { if (answeredAt < 0) answeredAt = accepted; got.push(d); });
    socket.on('error', () => { /* the cut: EPIPE or ECONNRESET on our writes */ });
    socket.on('close', () => {
      closed = true;
      try { resolve({ status: parseAnswer(Buffer.concat(got)).status, accepted, answeredAt }); } catch (e) { reject(e); }
    });
    socket.write(`POST ${ENDPOINT} HTTP/1.1\r\nhost: 127.0.0.1:${s.port}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x20), Buffer.from('\r\n')]);
    let sent = 0;
    const pump = () => {
      while (!closed && sent < total) {
        sent += chunk.length;
        // Counted once the socket took it: what the kernel accepted, not what we queued.
        if (!socket.write(chunk, (e) => { if (!e) accepted += chunk.length; })) { socket.once('drain', pump); return; }
      }
    };
    pump();
  });
  assert.equal(status, 413);
  // Past the 1 MiB read, only what the two kernels' socket buffers hold got in before the cut.
  assert.ok(accepted < total / 3, `${accepted} of ${total} bytes were taken before the connection was cut`);
  assert.ok(answeredAt >= 0 && answeredAt < total / 3, `the answer came after ${answeredAt} bytes`);
}), 1, /: 413 body over 1 MiB \(POST /));

test('deeply nested JSON is refused with a clear error, logged on stderr without the body (medcard engine --log)', async () => {
  const cli = await startCli(['--log']);
  try {
    const http = new PlatformClient({ url: cli.url, fixmedinsCode: 'H50010300001', regionCode: CQ });
    const control = new ControlClient({ url: cli.url, token: CLI_TOKEN });
    http.clock.set(TODAY);
    const before = await control.ledgerCheck();
    const deep = JSON.stringify({ ...http.envelope('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: 'A50000001' }), input: 0 }).replace('"input":0', `"input":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const res = await exchange(cli.port, post(cli.port, deep));
    assert.equal(res.status, 400);
    assert.equal(res.body!.err_msg, '请求报文嵌套超过 32 层 / JSON nested deeper than 32 levels');
    assert.deepEqual(await control.ledgerCheck(), before);
    await new Promise((r) => setTimeout(r, 200)); // the log line may trail the answer
    const lines = cli.stderr().split('\n').filter((l) => l.includes('refused'));
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z medcard engine: refused 127\.0\.0\.1:\d+: 400 JSON nested deeper than 32 levels \(POST "\/fsi\/api\/rsfComIfsService\/callService"\)$/);
    assert.ok(!cli.stderr().includes('[['), 'the body is not logged');
    assert.ok(!cli.stderr().includes('WARNING'), 'a loopback listener gives no warning');
  } finally {
    await cli.stop();
  }
});

test('invalid UTF-8 in a name is refused, not stored as U+FFFD', async () => assertLogged(await unchanged(async () => {
  const psn = 'P500000009901';
  const body = (name: Buffer) => {
    const [head, tail] = s.controlBody({
      psn_no: psn, psn_name: '@NAME@', certno: certno(CQ, '1990-01-01'), gend: '1', brdy: '1990-01-01', insutype: '310', insuplc_admdvs: CQ, psn_insu_date: '2015-07-01',
    }).split('@NAME@');
    return Buffer.concat([Buffer.from(head), name, Buffer.from(tail)]);
  };
  const send = (name: Buffer) => exchange(s.port, post(s.port, body(name), { authorization: `Bearer ${s.engine.controlToken}` }, controlPath('person')));
  const res = await send(Buffer.from([0xe7, 0x8e, 0xff, 0x41]));
  assert.equal(res.status, 400);
  assert.equal(res.body!.err_msg, '请求报文不是合法的 UTF-8 / body is not valid UTF-8');
  assert.equal((await s.agency.findPerson({ psn_no: psn })).person, null, 'no person was created');
  // The same request in good UTF-8 is served: the bytes were the only fault.
  assert.equal((await send(Buffer.from('王小明'))).body!.infcode, 0);
  assert.equal((await s.agency.findPerson({ psn_no: psn })).person?.psn_name, '王小明');
}), 1, /: 400 body is not valid UTF-8 \(POST /));

test('an amount with a newline or a space around it ("5.00\\n") is refused', async () => {
  const http = new ControlClient({ url: s.url, token: s.engine.controlToken });
  http.clock.set(TODAY);
  await unchanged(async () => {
    for (const amount of ['5.00\n', ' 5.00', '5.00 ', '\t5.00']) {
      await assert.rejects(http.openingBalance(FIXTURE_PERSON, amount), (e: PlatformError) => {
        assert.equal(e.errMsg, 'input.amount（金额） 金额前后不能有空格或换行');
        return true;
      }, JSON.stringify(amount));
    }
  });
  const was = await http.balance(FIXTURE_PERSON);
  await http.openingBalance(FIXTURE_PERSON, '5.00');
  assert.notEqual((await http.balance(FIXTURE_PERSON)).balc, was.balc, '"5.00" itself is taken');
});

test('slow uploads are dropped after the body timeout (and slow headers after the header timeout)', { timeout: 30_000 }, async () => assertLogged(await unchanged(async () => {
  /** Sends `first`, then one byte of `rest` per interval; resolves with what came back once the engine closes. */
  const slow = (first: string, rest: string, everyMs: number) => new Promise<{ answer: string; dripped: number }>((resolve) => {
    const socket = net.connect(s.port, '127.0.0.1');
    let answer = '';
    let dripped = 0;
    socket.on('data', (d) => { answer += d; });
    socket.on('error', () => {});
    const drip = setInterval(() => { if (dripped < rest.length) socket.write(rest[dripped++]); }, everyMs);
    socket.on('close', () => { clearInterval(drip); resolve({ answer, dripped }); });
    socket.write(first);
  });
  const whole = s.control('opening-balance', credit()).toString();
  const body = whole.slice(whole.indexOf('\r\n\r\n') + 4);
  const head = whole.slice(0, whole.indexOf('\r\n\r\n') + 4);
  const stalled = await slow(head + body.slice(0, 10), '', 100);
  assert.match(stalled.answer, /^HTTP\/1\.1 408 .*body not received within 0\.5 s/s);
  const trickle = await slow(head, body, 50);
  assert.match(trickle.answer, /^HTTP\/1\.1 408 /);
  assert.ok(trickle.dripped < body.length, 'dropped before the body was in');
  const headers = await slow('', head, 50); // a byte of the headers every 50 ms: never idle, never done
  assert.match(headers.answer, /^HTTP\/1\.1 408 .*"infcode":-1,"err_msg":"请求未在规定时间内收齐 \/ request not received in time"/s);
  assert.ok(headers.dripped < head.length);
}), 3, /: 408 (body not received within 0\.5 s \(POST .*\)|request not received in time)$/));

test('a well-formed request is served, and a kept-alive connection outlives the header timeout', async () => {
  const socket = net.connect(s.port, '127.0.0.1');
  let got = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
  const ask = async (op: string, input: unknown) => {
    got = Buffer.alloc(0);
    socket.write(s.control(op, input, { connection: 'keep-alive' }));
    for (;;) {
      const end = got.indexOf('\r\n\r\n');
      const length = end < 0 ? -1 : Number(/content-length: (\d+)/i.exec(got.subarray(0, end).toString())?.[1]);
      if (end >= 0 && got.length >= end + 4 + length) return parseAnswer(got);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const first = await ask('ledger-check', {});
  assert.equal(first.status, 200);
  assert.equal(first.body!.infcode, 0);
  await new Promise((r) => setTimeout(r, 1500)); // idle three times the 500 ms header timeout
  const second = await ask('opening-balance', credit('1.00'));
  assert.equal(second.body!.infcode, 0, JSON.stringify(second.body));
  assert.notDeepEqual(await s.ledger(), first.body!.output, 'the credit moved the ledger');
  socket.destroy();
});

test('medcard engine --host on a non-loopback address warns on stderr what it exposes, and to whom', async () => {
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  const host = external ?? '0.0.0.0';
  const cli = await startCli(['--host', host, '--empty']);
  try {
    const warning = cli.stderr();
    assert.match(warning, /medcard engine: WARNING: listening on .*not on loopback only: anyone who can reach it can call the platform interface \(\/fsi\/api\/rsfComIfsService\/callService\)/);
    assert.match(warning, external ? new RegExp(`listening on ${external.replace(/\./g, '\\.')}, port ${cli.port}`) : /every address of this machine/);
    assert.match(warning, /Signatures are on: only an institution holding its key can transact as it\. The control API \(\/medcard\/control\/…\) is not served on this address\./);
    const address = external ?? '127.0.0.1';
    const health = (h: string) => new Promise<number>((resolve, reject) => {
      const socket = net.connect(cli.port, address);
      let got = '';
      socket.on('data', (d) => { got += d; });
      socket.on('error', reject);
      socket.on('close', () => resolve(Number(got.slice(9, 12))));
      socket.end(`GET /health HTTP/1.1\r\nhost: ${h}\r\nconnection: close\r\n\r\n`);
    });
    assert.equal(await health(`${address}:${cli.port}`), 200);
    assert.equal(await health(`evil.example:${cli.port}`), 421);
    // The control API is not there, token or not: only the platform interface is exposed.
    if (external) {
      const control = await new Promise<number>((resolve, reject) => {
        const socket = net.connect(cli.port, external);
        let got = '';
        socket.on('data', (d) => { got += d; });
        socket.on('error', reject);
        socket.on('close', () => resolve(Number(got.slice(9, 12))));
        socket.end(post(cli.port, JSON.stringify({ id: 'from-the-network', time: TODAY, input: {} }), { host: `${external}:${cli.port}`, authorization: `Bearer ${CLI_TOKEN}` }, controlPath('ledger-check')));
      });
      assert.equal(control, 404);
    }
  } finally {
    await cli.stop();
  }
});
