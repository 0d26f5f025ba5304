// Adding a rig kind is one file plus its rig file: a throwaway kind, written in a lab's own
// rigs folder (MEDCARD_RIGS_DIR/kinds/), is checked by the rig-file validator through its
// own fields and runs a scenario, with nothing in the harness naming it. No virtual reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MEDCARD, ROOT } from './helpers';

const KIND = `// A throwaway rig kind: the emulator in-process behind a channel that counts APDUs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmulatedCard } from ${JSON.stringify(path.join(ROOT, 'emulator'))};
import { z } from ${JSON.stringify(path.join(ROOT, 'schema'))};
import { CAPABILITIES, EmulatedChannel, TracingChannel, type RigKindDriver } from ${JSON.stringify(path.join(ROOT, 'rigs'))};

export const driver: RigKindDriver = {
  summary: 'a throwaway kind that counts APDUs',
  fields: { greeting: z.string({ error: 'missing: a greeting, as text' }) },
  capabilities: () => ({ max: CAPABILITIES.filter((c) => c !== 'card-state'), why: 'the throwaway kind keeps its cards to itself' }),
  open(rig) {
    const reader = new EmulatedChannel('throwaway reader');
    const channel = new TracingChannel(reader);
    let apdus = 0;
    return {
      name: rig.name,
      capabilities: new Set(rig.capabilities),
      async insertCard(profile) {
        reader.insert(new EmulatedCard(profile));
        apdus += channel.trace().length;
        channel.clearTrace();
        return { channel, trace: () => channel.trace(), clearTrace: () => channel.clearTrace() };
      },
      async removeCard() { reader.remove(); },
      async close() {
        apdus += channel.trace().length;
        fs.writeFileSync(path.join(path.dirname(rig.file), 'opened.txt'), \`\${rig.settings.greeting} \${apdus}\`);
        await channel.close();
      },
    };
  },
};
`;

const FEATURE = `Feature: a throwaway rig kind
  Scenario: a visit with the card on the throwaway rig
    Given today is 2024-03-15
    And a designated hospital "City Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San" holds a card
    And "Zhang San"'s account is credited CNY 500.00
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 120.00
    Then the account pays CNY 120.00
    And the pooled fund pays CNY 0.00
    And the account balance after settlement is CNY 380.00
`;

test('a rig kind added as one file in the lab\'s rigs folder validates its own fields and runs a scenario', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-kind-'));
  fs.mkdirSync(path.join(dir, 'kinds'));
  fs.writeFileSync(path.join(dir, 'kinds', 'throwaway.ts'), KIND);
  fs.writeFileSync(path.join(dir, 'throwaway.yaml'), 'kind: throwaway\ndescription: counts APDUs\ngreeting: hello\ncapabilities: [card-swap, card-remove]\n');
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: throwaway\ncapabilities: [card-state]\n');
  fs.writeFileSync(path.join(dir, 'visit.feature'), FEATURE);
  const env = { ...process.env, MEDCARD_RIGS_DIR: dir };

  // The kind's own field and its capabilities are checked like any rig file's, with file, line and field.
  const listing = spawnSync(process.execPath, [MEDCARD, 'rigs'], { cwd: ROOT, encoding: 'utf8', env });
  assert.match(listing.stdout, /throwaway\s+throwaway\s+counts APDUs/);
  assert.match(listing.stdout, /broken\s+INVALID\s+.*broken.yaml:1: greeting: missing: a greeting, as text/);
  assert.match(listing.stdout, /broken.yaml:2: capabilities\[0\]: a throwaway rig cannot offer card-state: the throwaway kind keeps its cards to itself/);

  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-kind-reports-'));
  const run = spawnSync(process.execPath, [MEDCARD, 'run', '--rig', 'throwaway', '--quiet', '--reports', reports, path.join(dir, 'visit.feature')], { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /1 scenario \(1 passed\)/);
  // The scenario ran on the throwaway kind's channel: its close saw the card's traffic.
  const [greeting, apdus] = fs.readFileSync(path.join(dir, 'opened.txt'), 'utf8').split(' ');
  assert.equal(greeting, 'hello');
  assert.ok(Number(apdus) > 10, `the throwaway channel carried ${apdus} APDUs`);
});
