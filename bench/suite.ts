// The certification suite's wall time beside the same features run with no-op step bodies
// (cucumber's own cost: parsing, matching, formatters, Allure), in the same run; and the
// time from `medcard run` to the first scenario starting. Goal: suite ≤ 2 × no-op.
// Usage: npm run bench -- suite [--rig emulated|vpcd] [--tags <expr>]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ratioLine } from './format';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1]! : dflt; };
const rig = opt('rig', 'emulated');
const tags = opt('tags', '');

interface Run { wallMs: number; firstScenarioMs: number; scenarios: number; ok: boolean }

function once(noop: boolean): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-bench-'));
  const messages = path.join(dir, 'messages.ndjson');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--rig', rig, '--reports', dir, ...(tags ? ['--tags', tags] : [])], {
    cwd: root, encoding: 'utf8', env: { ...process.env, MEDCARD_MESSAGES_FILE: messages, ...(noop ? { MEDCARD_NOOP_STEPS: '1' } : {}) },
  });
  const wallMs = Date.now() - t0;
  let first = NaN;
  let scenarios = 0;
  for (const line of fs.existsSync(messages) ? fs.readFileSync(messages, 'utf8').split('\n') : []) {
    if (!line.includes('testCaseStarted')) continue;
    const m = JSON.parse(line).testCaseStarted;
    if (!m) continue;
    scenarios++;
    const at = Number(m.timestamp.seconds) * 1000 + Math.floor(m.timestamp.nanos / 1e6);
    if (Number.isNaN(first) || at - t0 < first) first = at - t0;
  }
  if (r.status !== 0) process.stderr.write(`${noop ? 'no-op' : 'suite'} run exited ${r.status}\n${(r.stdout + r.stderr).split('\n').slice(-15).join('\n')}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { wallMs, firstScenarioMs: first, scenarios, ok: r.status === 0 };
}

const noop = once(true);
const suite = once(false);
console.log(`rig ${rig}${tags ? `, tags ${tags}` : ''}`);
console.log(`no-op steps : ${noop.scenarios} scenarios, wall ${noop.wallMs} ms, first scenario at ${noop.firstScenarioMs} ms`);
console.log(`full suite  : ${suite.scenarios} scenarios, wall ${suite.wallMs} ms, first scenario at ${suite.firstScenarioMs} ms${suite.ok ? '' : ' (FAILED)'}`);
console.log(ratioLine('suite wall time', suite.wallMs / 1000, 's', 'no-op steps', noop.wallMs / 1000));
