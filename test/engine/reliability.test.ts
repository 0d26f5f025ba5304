// Reliability on the real PostgreSQL (and, where it makes sense, PGlite): msgid replay,
// concurrent settlements on one account, kill -9 of the engine process during a batch.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createEngine, type Engine } from '../../engine';
import { ControlClient, type PlatformClient, type SettleInput } from '../../platform';
import { clients, baseWorld, institutionClient, person, line, uniq, pgAvailable, tempDatabase, CQ } from './helpers';

/** The control token the engine process of the kill test is started with. */
const TOKEN = 'reliability-test-token';

async function prepareVisits(c: PlatformClient, p: { psn: string; card: string }, n: number, amount: string): Promise<SettleInput[]> {
  const out: SettleInput[] = [];
  for (let i = 0; i < n; i++) {
    const reg = await c.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
    await c.uploadFees([{ ...line('1', 'A001', amount), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
    out.push({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: amount, mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' });
  }
  return out;
}
const fen = (s: string) => { const [y, f] = s.split('.'); return Number(y) * 100 + Number(f); };

describe('on PostgreSQL', { concurrency: false }, () => {
  let skip: string | false = false;
  let engine: Engine;
  let db: { url: string; drop: () => Promise<void> };
  let url: string;
  let c: ReturnType<typeof clients>;
  before(async () => {
    if (!(await pgAvailable())) { skip = 'PostgreSQL on 127.0.0.1:5432 is not reachable'; return; }
    db = await tempDatabase('rel');
    engine = await createEngine({ databaseUrl: db.url, world: 'empty', poolSize: 12 });
    url = (await engine.listen(0)).url;
    c = clients(engine, '2024-03-15 09:00:00');
    await baseWorld(c.agency, c.all);
  });
  after(async () => { if (engine) await engine.close(); if (db) await db.drop(); });
  const it = (name: string, fn: () => Promise<void>) => test(name, async (t) => { if (skip) { t.skip(skip); return; } await fn(); });

  it('replay of 100 msgids (sequential and concurrent duplicates): the first answer, no double movement', async () => {
    const p = await person(c.agency, { opening: '1000.00' });
    const h = institutionClient({ url }, 'H50000000001', CQ, '2024-03-15 09:00:00');
    await h.signIn();
    const inputs = await prepareVisits(h, p, 100, '3.00');
    const before = await c.agency.ledgerCheck();
    const msgids = inputs.map(() => h.msgid());
    // The first send of each, racing a duplicate of itself.
    const first = await Promise.all(inputs.map(async (inp, i) => {
      const [a, b] = await Promise.all([h.raw(h.envelope('2207', inp, { msgid: msgids[i] })), h.raw(h.envelope('2207', inp, { msgid: msgids[i] }))]);
      assert.equal(a.infcode, 0, a.err_msg ?? '');
      assert.deepEqual(b, a);
      return a;
    }));
    const mid = await c.agency.ledgerCheck();
    // Replayed later: the same answers, nothing moves.
    for (let i = 0; i < inputs.length; i++) assert.deepEqual(await h.raw(h.envelope('2207', inputs[i], { msgid: msgids[i] })), first[i]);
    const end = await c.agency.ledgerCheck();
    assert.equal(end.digest, mid.digest);
    assert.equal(end.journals - before.journals, 100);
    assert.equal((await c.agency.balance(p.psn)).balc, '700.00');
    assert.equal(new Set(first.map((r) => (r.output as { setlinfo: { setl_id: string } }).setlinfo.setl_id)).size, 100);
  });

  it('50 concurrent settlements on one account: exact final balance, never negative', async () => {
    const p = await person(c.agency, { opening: '300.00' });
    const h = institutionClient({ url }, 'H50000000001', CQ, '2024-03-15 09:00:00');
    await h.signIn();
    const inputs = await prepareVisits(h, p, 50, '7.00');
    const res = await Promise.all(inputs.map((i) => h.settle(i)));
    // 50 × 7.00 = 350.00, all below the 400 line: the account pays 300.00, cash 50.00.
    const acct = res.reduce((s, r) => s + fen(r.setlinfo.acct_pay), 0);
    const cash = res.reduce((s, r) => s + fen(r.setlinfo.psn_cash_pay), 0);
    assert.deepEqual([acct, cash], [30000, 5000]);
    assert.ok(res.every((r) => fen(r.setlinfo.balc) >= 0));
    // Serialized: the balances after each settlement are all distinct and step down.
    const balcs = res.map((r) => fen(r.setlinfo.balc)).sort((a, b) => b - a);
    assert.equal(balcs[balcs.length - 1], 0);
    assert.equal((await c.agency.balance(p.psn)).balc, '0.00');
    assert.equal((await c.agency.balance(p.psn, 2024)).cum_inscp, '350.00');
    const chk = await c.agency.ledgerCheck();
    assert.deepEqual([chk.sum, chk.unbalanced_journals, chk.accounts_negative], ['0.00', 0, 0]);
  });

  it('kill -9 of the engine process during a batch: every acknowledged settlement is there, the ledger balances', async () => {
    const killDb = await tempDatabase('kill');
    const root = path.resolve(__dirname, '../..');
    const start = () => new Promise<{ proc: ChildProcess; url: string }>((resolve, reject) => {
      const proc = spawn(process.execPath, [path.join(root, 'bin/medcard.js'), 'engine', '--port', '0', '--empty', '--database-url', killDb.url], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MEDCARD_CONTROL_TOKEN: TOKEN } });
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
        if (m) resolve({ proc, url: m[1] });
      });
      proc.once('exit', (code) => reject(new Error(`engine exited ${code}`)));
    });
    try {
      let { proc, url: u } = await start();
      const agency = new ControlClient({ url: u, token: TOKEN });
      agency.clock.set('2024-03-15 09:00:00');
      const h = institutionClient({ url: u }, 'H50000000003', CQ, '2024-03-15 09:00:00');
      await baseWorld(agency, [h]);
      const p = await person(agency, { opening: '5000.00' });
      const inputs = await prepareVisits(h, p, 120, '9.00');
      const acked: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < inputs.length) {
          const inp = inputs[next++];
          try {
            const r = await h.settle(inp);
            acked.push(r.setlinfo.setl_id);
            if (acked.length === 40) proc.kill('SIGKILL');
          } catch { return; }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r(null) : proc.once('exit', r)));
      assert.ok(acked.length >= 40 && acked.length < 120, `acknowledged ${acked.length}`);
      ({ proc, url: u } = await start());
      // The restarted engine knows the sign-in (it is in the ledger): the same client goes on.
      const h2 = institutionClient({ url: u }, 'H50000000003', CQ, '2024-03-15 09:00:00');
      h2.signNo = h.signNo;
      for (const id of acked) assert.equal((await h2.querySettlement({ psn_no: p.psn, setl_id: id })).setlinfo.setl_stas, 'settled');
      const a2 = new ControlClient({ url: u, token: TOKEN });
      const chk = await a2.ledgerCheck();
      assert.deepEqual([chk.sum, chk.unbalanced_journals, chk.accounts_negative], ['0.00', 0, 0]);
      // Balance = opening − what the settlements that exist took from the account.
      const hist = await a2.history(p.psn, 1000);
      const settledAcct = hist.settlements.filter((s) => s.setl_stas === 'settled').reduce((s, x) => s + fen(x.acct_pay), 0);
      assert.ok(hist.settlements.length >= acked.length);
      assert.equal(fen((await a2.balance(p.psn)).balc), 500000 - settledAcct);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    } finally {
      await killDb.drop();
    }
  });
});

describe('on PGlite', () => {
  let engine: Engine;
  before(async () => { engine = await createEngine({ world: 'empty' }); });
  after(async () => { await engine.close(); });
  test('50 concurrent settlements on one account serialize (one connection, queued transactions)', async () => {
    const c = clients(engine, '2024-03-15 09:00:00');
    await baseWorld(c.agency, c.all);
    const p = await person(c.agency, { opening: '300.00' });
    const inputs = await prepareVisits(c.h1, p, 50, '7.00');
    const res = await Promise.all(inputs.map((i) => c.h1.settle(i)));
    assert.equal(res.reduce((s, r) => s + fen(r.setlinfo.acct_pay), 0), 30000);
    assert.equal((await c.agency.balance(p.psn)).balc, '0.00');
  });
});
