// Files named by files: a rig file's `card:` and a scenario's fixture are read only inside
// the fixtures folders, never echoed, and a YAML file that is not a regular file or is over
// 1 MiB is refused before it is read — through the real CLI and the steps' own loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_YAML_BYTES } from '../../schema';

const ROOT = path.resolve(__dirname, '..', '..');
const MEDCARD = path.join(ROOT, 'bin', 'medcard.js');
const PASSWD_LINE = fs.readFileSync('/etc/passwd', 'utf8').split('\n')[0]!; // e.g. root:x:0:0:root:/root:/bin/bash
const medcard = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [MEDCARD, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-files-'));
/** A copy of fixtures/ (a `--fixtures` folder) whose cards/evil.yaml is a link to /etc/passwd. */
function fixturesWithLink(): string {
  const fixtures = scratch();
  fs.cpSync(path.join(ROOT, 'fixtures'), fixtures, { recursive: true });
  fs.symlinkSync('/etc/passwd', path.join(fixtures, 'cards', 'evil.yaml'));
  return fixtures;
}

test('a rig file naming a card outside the fixtures folders is refused, and nothing of that file is shown', () => {
  const dir = scratch();
  const rigs = {
    up: 'kind: emulated\ncard: ../../../../../../etc/passwd\n',
    absolute: 'kind: emulated\ncard: /etc/passwd\n',
    device: 'kind: emulated\ncard: /dev/zero\n',
  };
  for (const [name, text] of Object.entries(rigs)) fs.writeFileSync(path.join(dir, `${name}.yaml`), text);
  const r = medcard(['rigs'], { MEDCARD_RIGS_DIR: dir });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  for (const name of Object.keys(rigs)) assert.match(r.stdout, new RegExp(`${name}\\s+INVALID\\s+.*${name}.yaml:2: card: \\S+ is outside the fixtures folders`));
  assert.ok(!(r.stdout + r.stderr).includes(PASSWD_LINE), 'no line of /etc/passwd appears');
  assert.ok(!/root:/.test(r.stdout + r.stderr));
  // `medcard run` stops on the same rig before any scenario, with the same words.
  const run = medcard(['run', '--rig', path.join(dir, 'up.yaml'), '--quiet', '--reports', scratch()]);
  assert.equal(run.status, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /card: \S+ is outside the fixtures folders/);
  assert.ok(!(run.stdout + run.stderr).includes(PASSWD_LINE));
});

test('a symbolic link inside a fixtures folder that leads outside it is refused', () => {
  const fixtures = fixturesWithLink();
  const rigs = scratch();
  fs.writeFileSync(path.join(rigs, 'evil.yaml'), `kind: emulated\ncard: ${path.join(fixtures, 'cards', 'evil.yaml')}\n`);
  fs.writeFileSync(path.join(rigs, 'fine.yaml'), `kind: emulated\ncard: ${path.join(fixtures, 'cards', 'zhang-san.yaml')}\n`);
  const r = medcard(['rigs'], { MEDCARD_RIGS_DIR: rigs, MEDCARD_FIXTURES: fixtures });
  assert.match(r.stdout, /evil\s+INVALID\s+.*card: \S+ is outside the fixtures folders/);
  assert.match(r.stdout, /^ {2}fine\s+emulated\s/m, 'a profile in the --fixtures folder itself is allowed');
  assert.ok(!(r.stdout + r.stderr).includes(PASSWD_LINE));
});

test('a scenario naming a fixture outside the fixtures folders fails with the reason, not the file', () => {
  const fixtures = fixturesWithLink();
  const dir = scratch();
  const feature = (card: string) => ['# language: zh-CN', '功能: 越界的卡片文件', '  场景: 卡片文件指向项目之外', '    假如 今天是 2024-03-15', `    并且 参保人 "张三" 持有卡 ${card}`, ''].join('\n');
  fs.writeFileSync(path.join(dir, 'link.feature'), feature('cards/evil.yaml'));
  fs.writeFileSync(path.join(dir, 'dots.feature'), feature('fixtures/cards/../../../../../../etc/passwd.yaml'));
  // The run checks the fixtures first (cli/lint.ts): the link is named, not followed, and nothing runs (exit 2).
  const link = medcard(['run', '--rig', 'emulated', '--fixtures', fixtures, '--reports', scratch(), path.join(dir, 'link.feature')]);
  assert.equal(link.status, 2, link.stdout + link.stderr);
  assert.match(link.stdout + link.stderr, /cards\/evil.yaml is outside the fixtures folders/);
  const checked = medcard(['check', '--fixtures', fixtures, path.join(dir, 'link.feature')]);
  assert.equal(checked.status, 1, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /cards\/evil.yaml is outside the fixtures folders/);
  // A path with `..` is not a fixture at all: the step does not match, so nothing is read.
  const dots = medcard(['run', '--rig', 'emulated', '--reports', scratch(), path.join(dir, 'dots.feature')], { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' });
  assert.equal(dots.status, 2, dots.stdout + dots.stderr);
  assert.match(dots.stderr, /dots\.feature:5: undefined step/);
  for (const r of [link, checked, dots]) assert.ok(!(r.stdout + r.stderr).includes(PASSWD_LINE));
});

test('devices and files over 1 MiB are refused before they are read, with little memory', () => {
  const dir = scratch();
  const big = path.join(dir, 'big.yaml');
  // 50 MB of valid YAML: read and parsed, it would cost gigabytes.
  const line = `# ${'x'.repeat(98)}\n`;
  fs.writeFileSync(big, line.repeat(500_000));
  assert.ok(fs.statSync(big).size > 40 * MAX_YAML_BYTES);
  const r = medcard(['emulate', '--card', big]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /big.yaml: \(file\): cannot read: \d+ bytes; a YAML file may be at most 1048576 bytes \(1 MiB\)/);
  const zero = medcard(['emulate', '--card', '/dev/zero']);
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /\(file\): cannot read: not a regular file/);
  // The refusal costs no more memory than starting the CLI does (measured in a child, not timed).
  const probe = spawnSync(process.execPath, ['-r', path.join(ROOT, 'steps', 'register.js'), '-e', `
    const { loadCardProfile } = require(${JSON.stringify(path.join(ROOT, 'emulator'))});
    for (const f of [${JSON.stringify(big)}, '/dev/zero']) { try { loadCardProfile(f); } catch (e) { if (!/cannot read/.test(e.message)) throw e; } }
    console.log(process.resourceUsage().maxRSS);`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(probe.status, 0, probe.stderr);
  const maxRssMiB = Number(probe.stdout.trim()) / 1024;
  assert.ok(maxRssMiB < 400, `peak memory ${maxRssMiB.toFixed(0)} MiB`);
});
