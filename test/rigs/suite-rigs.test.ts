// The certification suite through `medcard run` on the serial rig (every scenario, through the
// serial code path on a pty) and on the pcsc rig against a card served by a separate
// `medcard emulate` process: what a real card cannot do is skipped, each with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MEDCARD, ROOT, startEmulator } from './helpers';

function medcardRun(args: string[]) {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-suite-'));
  const r = spawnSync(process.execPath, [MEDCARD, 'run', '--quiet', '--reports', reports, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const jsonFile = path.join(reports, 'cucumber.json');
  const json = fs.existsSync(jsonFile) ? JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as any[] : [];
  const scenarios = json.flatMap((f) => f.elements.map((e: any) => ({
    uri: f.uri as string, name: e.name as string,
    status: e.steps.some((s: any) => s.result.status === 'failed') ? 'failed' : e.steps.every((s: any) => s.result.status === 'passed') ? 'passed' : 'skipped',
  })));
  const skippedFile = path.join(reports, 'skipped.txt');
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, scenarios, skipped: fs.existsSync(skippedFile) ? fs.readFileSync(skippedFile, 'utf8').trim().split('\n').filter(Boolean) : [] };
}

test('the whole suite passes on the serial rig (a pty, vpcd framing at 115200 baud)', { timeout: 15 * 60_000 }, () => {
  const r = medcardRun(['--rig', 'serial']);
  const bad = r.scenarios.filter((s) => s.status !== 'passed');
  assert.equal(r.status, 0, `serial suite failed:\n${bad.map((s) => `${s.uri}: ${s.name}`).join('\n')}\n${r.out.slice(-3000)}`);
  assert.ok(r.scenarios.length >= 60, `only ${r.scenarios.length} scenarios ran`);
  assert.deepEqual(bad, []);
});

// The card served there stands in for the scenarios' cards (rigs/held-cards.ts); which scenarios
// must run with one, two and a replaced card: test/rigs/held-cards.test.ts.
test('the suite on the pcsc rig with an externally served card: passes what a real card allows, skips the rest with reasons', { timeout: 15 * 60_000 }, async () => {
  const emu = await startEmulator(['--card', 'fixtures/cards/zhang-san.yaml', '--vpcd-port', '35964'], 'Virtual PCD 00 01');
  let r;
  try {
    r = medcardRun(['--rig', 'pcsc-vpcd']);
  } finally {
    await emu.stop();
  }
  const failed = r.scenarios.filter((s) => s.status === 'failed');
  assert.equal(r.status, 0, `pcsc suite failed:\n${failed.map((s) => `${s.uri}: ${s.name}`).join('\n')}\n${r.out.slice(-3000)}`);
  const passed = r.scenarios.filter((s) => s.status === 'passed');
  const skipped = r.scenarios.filter((s) => s.status === 'skipped');
  assert.ok(passed.length > 0, 'scenarios that need no card pass on the pcsc rig');
  assert.ok(skipped.length > 0, 'scenarios a real card cannot serve are skipped');
  // Never silently: every skipped scenario is in skipped.txt and the run's output, with the reason.
  assert.equal(r.skipped.length, skipped.length, `skipped.txt has ${r.skipped.length} lines for ${skipped.length} skipped scenarios`);
  for (const line of r.skipped) assert.match(line, /— skipped: rig "pcsc-vpcd" lacks (card-state \(scenario tagged @needs-card-state\)|card-swap \(scenario tagged @needs-card-swap\)|card-swap: .*(needs another card of that holder \(a replacement\); rig "pcsc-vpcd" holds only A50000001 \(张三\)|rig "pcsc-vpcd" has no card left for))/);
  assert.match(r.out, new RegExp(`${skipped.length} scenario\\(s\\) skipped because the rig lacks a capability`));
  assert.ok(r.skipped.some((l) => /lacks card-state/.test(l)) && r.skipped.some((l) => /lacks card-swap/.test(l)));
});
