// An engine started beside its database (a compose file, say: `--wait-for-database`) waits for
// PostgreSQL with waitForDatabaseMs, and fails at once without it. The database "comes up"
// as a TCP forwarder to the real PostgreSQL that starts listening after a while.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createEngine } from '../../engine';
import { pgAvailable, tempDatabase } from './helpers';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('waitForDatabaseMs: the engine waits for a PostgreSQL that comes up late; without it, it fails at once', async (t) => {
  if (!(await pgAvailable())) return t.skip('PostgreSQL on 127.0.0.1:5432 is not running');
  const db = await tempDatabase('wait');
  const port = await freePort();
  const url = db.url.replace('127.0.0.1:5432', `127.0.0.1:${port}`);
  const forwarder = net.createServer((c) => { const up = net.connect(5432, '127.0.0.1'); c.pipe(up).pipe(c); c.on('error', () => up.destroy()); up.on('error', () => c.destroy()); });
  try {
    const t0 = Date.now();
    await assert.rejects(createEngine({ databaseUrl: url, world: 'empty' }), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    // "At once" means no retrying: a generous limit for a busy 2-core machine, far below the
    // 10 s the waiting engine below is allowed.
    assert.ok(Date.now() - t0 < 8000, `without a wait, a refused connection fails at once (took ${Date.now() - t0} ms; generous limit 8 s)`);

    setTimeout(() => forwarder.listen(port, '127.0.0.1'), 700);
    const t1 = Date.now();
    const engine = await createEngine({ databaseUrl: url, world: 'empty', waitForDatabaseMs: 10_000 });
    assert.ok(Date.now() - t1 >= 600, 'it waited for the database to come up');
    const res = await engine.handle({ infno: '9999', msgid: 'AGENCY0000002024010100000001', mdtrtarea_admvs: '500000', fixmedins_code: 'AGENCY0000001', inf_time: '2024-01-01 00:00:00', input: {} });
    assert.equal(res.infcode, -1); // answered (an unknown transaction), so the engine is serving
    await engine.close();
  } finally {
    forwarder.close();
    await db.drop();
  }
});
