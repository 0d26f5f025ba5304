// The in-memory engine's start: a cold start (no snapshot cached: the first run after an
// install or a schema change) migrates and saves a snapshot; the next start loads it; a
// broken snapshot is replaced. Each kind of start must then serve real work, which uses
// prepared statements on the connection the migrator used first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine } from '../../engine';
import { baseWorld, clients, line, person, visit } from './helpers';

async function settleOnce(): Promise<void> {
  const engine = await createEngine({ world: 'empty' });
  try {
    const { agency, h3 } = clients(engine, '2024-03-15');
    await baseWorld(agency, [h3]);
    const p = await person(agency, { opening: '500.00' });
    const out = await visit(h3, p, [line('1', 'A001', '50.00')]);
    assert.equal(out.setlinfo.medfee_sumamt, '50.00');
  } finally {
    await engine.close();
  }
}

test('PGlite snapshot: cold start migrates and saves it, warm start loads it, a broken one is replaced', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-pglite-'));
  const before = process.env.MEDCARD_PGLITE_CACHE;
  process.env.MEDCARD_PGLITE_CACHE = dir;
  try {
    await settleOnce(); // cold
    const tars = fs.readdirSync(dir).filter((f) => f.endsWith('.tar'));
    assert.equal(tars.length, 1, 'one snapshot saved');
    const file = path.join(dir, tars[0]!);
    const size = fs.statSync(file).size;
    assert.ok(size < 30e6, `the snapshot leaves out the template databases (${size} bytes)`);
    await settleOnce(); // warm
    fs.writeFileSync(file, 'not a tarball');
    await settleOnce(); // broken: ignored, migrated again, replaced
    assert.ok(fs.statSync(file).size > 1e6, 'the broken snapshot was replaced');
    fs.writeFileSync(path.join(dir, 'ffffffffffffffff.tar'), 'an older schema');
    fs.rmSync(file);
    await settleOnce();
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tar')), [path.basename(file)], 'older snapshots are removed');
  } finally {
    if (before === undefined) delete process.env.MEDCARD_PGLITE_CACHE; else process.env.MEDCARD_PGLITE_CACHE = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
