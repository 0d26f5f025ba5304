// Faults on the containers rig. The engine container is killed (docker kill) mid-request in
// the middle of the suite: that scenario fails with a clear message, a fresh engine serves the
// rest, and the ledger (PostgreSQL in its container) holds every settlement that
// was acknowledged, balanced. Then the PostgreSQL container is restarted: the engine
// reconnects, the suite passes again, and nothing acknowledged is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { runSuite } from '../../cli/run';
import { listOurs, startContainerEngine } from '../../containers';
import { loadRigFile } from '../../rigs';
import { medcard, needDocker } from './helpers';

const SETTLE = new Set(['2207', '2304']);

function failedSteps(reports: string): Array<{ scenario: string; message: string }> {
  const out: Array<{ scenario: string; message: string }> = [];
  for (const f of JSON.parse(fs.readFileSync(path.join(reports, 'cucumber.json'), 'utf8'))) {
    for (const el of f.elements ?? []) for (const s of el.steps ?? []) {
      if (s.result?.status === 'failed') out.push({ scenario: el.name, message: String(s.result.error_message ?? '') });
    }
  }
  return out;
}

async function ledgerState(url: string, setlIds: string[]) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const missing = (await c.query<{ id: string }>(
      `SELECT id FROM unnest($1::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE s.setl_id = id)`, [setlIds])).rows.map((r) => r.id);
    const unbalanced = Number((await c.query(`SELECT count(*) AS n FROM (SELECT journal_id FROM ledger_entries GROUP BY journal_id HAVING SUM(amount) <> 0) x`)).rows[0].n);
    const total = Number((await c.query(`SELECT COALESCE(SUM(amount), 0) AS s FROM ledger_entries`)).rows[0].s);
    const settlements = Number((await c.query(`SELECT count(*) AS n FROM settlements`)).rows[0].n);
    return { missing, unbalanced, total, settlements };
  } finally {
    await c.end();
  }
}

function mappedLedgerUrl(id: string): string {
  const r = spawnSync('docker', ['port', id, '5432/tcp'], { encoding: 'utf8' });
  const hostPort = r.stdout.split('\n').find((l) => /^0\.0\.0\.0:/.test(l)) ?? r.stdout.split('\n')[0]!;
  return `postgres://postgres@127.0.0.1:${hostPort.split(':').pop()!.trim()}/medcard`;
}

test('engine killed mid-suite, then PostgreSQL restarted: nothing acknowledged is lost, the ledger balances', async () => {
  await needDocker();
  const acked = new Set<string>();
  const ackedBy = new Map<string, string>();
  const reversedMsgids = new Set<string>();
  /** The acknowledged settlements no 2601 undid. */
  const inForce = () => { const undone = new Set([...reversedMsgids].map((m) => ackedBy.get(m))); return [...acked].filter((id) => !undone.has(id)); };
  let settleRequests = 0;
  let killedAt = 0;
  let engineId = '';
  const engine = await startContainerEngine(loadRigFile('containers'), {
    log: () => undefined,
    onRequest: (req) => {
      let infno = '';
      try { infno = JSON.parse(req.toString()).infno; } catch { return; }
      // Kill the engine as the 10th settlement is on its way: the request is in flight.
      if (SETTLE.has(infno) && ++settleRequests === 10 && !killedAt) {
        killedAt = Date.now();
        engineId = engine_id();
        spawnSync('docker', ['kill', engineId]);
      }
    },
    observe: (req, res) => {
      try {
        const q = JSON.parse(req.toString());
        const a = JSON.parse(res.toString());
        if (SETTLE.has(q.infno) && Number(a.infcode) === 0) {
          for (const m of res.toString().matchAll(/"setl_id":"([^"]+)"/g)) { acked.add(m[1]!); ackedBy.set(String(q.msgid), m[1]!); }
        }
        // A settlement 2601 undid (the HIS scenario whose answer is cut on its way back) is erased by design.
        const undo = q.input?.data ?? q.input;
        if (q.infno === '2601' && Number(a.infcode) === 0 && a.output?.data?.rvs_stas === '1') reversedMsgids.add(String(undo?.omsgid));
      } catch { /* not JSON */ }
    },
  });
  function engine_id() { return engine.engineContainerId(); }
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-faults-'));
  try {
    // 0. The run holds its ledger and its engine, nothing else.
    const run = spawnSync('docker', ['inspect', '-f', '{{index .Config.Labels "org.medcard.run"}}', engine.ledgerContainerId()!], { encoding: 'utf8' }).stdout.trim();
    assert.deepEqual(new Set(listOurs({ run }).containers.map((id) => id.slice(0, 12))),
      new Set([engine.ledgerContainerId()!, engine.engineContainerId()].map((id) => id.slice(0, 12))));
    // The run is given the engine's control token, as `medcard run` gives it to its workers.
    process.env.MEDCARD_CONTROL_TOKEN = engine.controlToken;
    // 1. The suite with the kill in the middle.
    const first = await runSuite({ rig: 'containers', engineUrl: engine.url, parallel: 0, reports, paths: [], dryRun: false, failFast: false, quiet: true, stdoutFormat: 'summary' });
    assert.ok(killedAt > 0, 'the engine was killed');
    assert.equal(engine.restarts(), 1, 'one fresh engine');
    assert.notEqual(engine.engineContainerId(), engineId, 'a new container serves');
    const failed = failedSteps(reports);
    assert.equal(first.success, false, 'the scenario running at the kill fails');
    assert.ok(failed.length >= 1 && failed.length <= 2, `only the scenario(s) at the kill fail, got ${failed.length}:\n${failed.map((f) => `${f.scenario}: ${f.message.slice(0, 200)}`).join('\n')}`);
    assert.match(failed[0]!.message, /the engine container [0-9a-f]{12} \(medcard\/engine\) stopped \(killed: exit 137\) in the middle of this request/);
    assert.match(failed[0]!.message, /starts a fresh engine/);
    assert.ok(acked.size >= 10, `settlements acknowledged: ${acked.size}`);
    let state = await ledgerState(engine.ledgerUrl!, inForce());
    assert.deepEqual(state.missing, [], 'every acknowledged settlement is in the ledger');
    assert.equal(state.unbalanced, 0, 'every journal balances');
    assert.equal(state.total, 0, 'the ledger sums to zero');

    // 2. PostgreSQL restarted under the engine: it reconnects, and the suite passes again.
    const ledgerId = engine.ledgerContainerId()!;
    const r = spawnSync('docker', ['restart', '-t', '5', ledgerId], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const before = acked.size;
    // (a child process: cucumber registers step definitions once per process)
    const second = medcard(['run', '--rig', 'containers', '--engine-url', engine.url, '--quiet', '--reports', reports]);
    const code = await second.exited;
    const failed2 = failedSteps(reports);
    assert.equal(code, 0, `after the PostgreSQL restart the suite passes:\n${failed2.map((f) => `${f.scenario}: ${f.message.slice(0, 300)}`).join('\n')}\n${second.output().slice(-2000)}`);
    assert.ok(acked.size > before, 'more settlements acknowledged after the restart');
    state = await ledgerState(mappedLedgerUrl(ledgerId), inForce());
    assert.deepEqual(state.missing, [], 'nothing acknowledged lost across the PostgreSQL restart');
    assert.equal(state.unbalanced, 0);
    assert.equal(state.total, 0);
    assert.equal(engine.restarts(), 1, 'the engine itself did not die');
  } finally {
    await engine.stop();
  }
});

test('an engine that dies once replacements are used up: requests get the reason, not a hang', async () => {
  await needDocker();
  const lines: string[] = [];
  const engine = await startContainerEngine(loadRigFile('containers'), { log: (l) => lines.push(l), maxRestarts: 0 });
  try {
    const dead = engine.engineContainerId();
    spawnSync('docker', ['kill', dead]);
    const deadline = Date.now() + 30_000;
    while (!lines.some((l) => /the harness gives up/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${engine.url}/fsi/api/rsfComIfsService/callService`, { method: 'POST', body: '{}' });
    const body = await res.json() as { infcode: number; err_msg: string };
    assert.equal(body.infcode, -1);
    assert.match(body.err_msg, new RegExp(`the engine container ${dead.slice(0, 12)} \\(medcard/engine\\) stopped \\(killed: exit 137\\), and it was replaced 0 times already: the harness gives up`));
    assert.equal(engine.restarts(), 0);
  } finally {
    await engine.stop();
  }
});
