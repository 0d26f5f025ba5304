// The conventions every `medcard` command keeps: --version, one error prefix
// (`medcard <command>: `), unknown options and extra arguments refused with exit 2, in
// English under LANG=C and in Chinese under LANG=zh_CN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const run = (lang: string, args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], {
  cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' },
});
/** Under LANG=C: the English messages. */
const medcard = (...args: string[]) => run('C', args);
/** Under LANG=zh_CN.UTF-8: the Chinese ones (test/cli/usage-lang.test.ts has each command's own). */
const medcardZh = (...args: string[]) => run('zh_CN.UTF-8', args);

test('the command list is read from `medcard --help`', () => {
  for (const name of ['run', 'doctor', 'emulate', 'images']) assert.ok(COMMANDS.includes(name), `${name} not in ${COMMANDS}`);
});

test('`medcard --version` and `-V` print the version in package.json, exit 0', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = medcard(flag);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `medcard ${version}\n`);
  }
});

test('an unknown command, or none, prints the usage on stderr/stdout and exits 2', () => {
  const bogus = medcard('bogus');
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /^medcard: unknown command "bogus"\n\nusage: medcard <command>/);
  assert.equal(medcard().status, 2);
  assert.equal(medcard('--help').status, 0);
});

// Every command `medcard --help` lists: an option it does not know and an argument it does not take.
const COMMANDS = [...medcard('--help').stdout.matchAll(/^  ([a-z-]+)  /gm)].map((m) => m[1]);
// The plain arguments each command takes, filled to its limit, so one more is the extra.
const TAKES: Record<string, string[] | 'any'> = { run: 'any', certify: 'any', check: 'any', images: ['list'], rig: ['check', 'emulated'], terminal: ['settle'] };

for (const name of COMMANDS) {
  test(`medcard ${name}: an unknown option and an extra argument are refused with "medcard ${name}: …", exit 2`, () => {
    const unknown = medcard(name, '--no-such-option');
    assert.equal(unknown.status, 2, unknown.stdout + unknown.stderr);
    assert.match(unknown.stderr, new RegExp(`^medcard ${name}: unknown option --no-such-option\\n\\nusage: medcard ${name}`));
    const zh = medcardZh(name, '--no-such-option');
    assert.equal(zh.status, 2, zh.stdout + zh.stderr);
    assert.match(zh.stderr, new RegExp(`^medcard ${name}: 没有 --no-such-option 这个选项\\n\\nusage: medcard ${name}`));
    const takes = TAKES[name] ?? [];
    if (takes === 'any') return; // feature files or folders: any number
    const extra = medcard(name, ...takes, 'surplus');
    assert.equal(extra.status, 2, extra.stdout + extra.stderr);
    assert.match(extra.stderr, new RegExp(`^medcard ${name}: unexpected argument "surplus": this command takes ${takes.length ? `at most ${takes.length} argument` : 'no arguments'}`));
    const extraZh = medcardZh(name, ...takes, 'surplus');
    assert.equal(extraZh.status, 2, extraZh.stdout + extraZh.stderr);
    assert.match(extraZh.stderr, new RegExp(`^medcard ${name}: 多余的参数 "surplus"：这个命令${takes.length ? `最多接受 ${takes.length} 个参数` : '只接受选项，不接受参数'}`));
  });
}

test('an error a command throws (a card profile that is not there) carries the command\'s prefix and exit 2', () => {
  const r = medcard('emulate', '--card', 'fixtures/cards/no-such-card.yaml');
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /^medcard emulate: .*no-such-card\.yaml.*ENOENT/);
});

test('every command module names itself in its error messages (one prefix: `medcard <command>: `)', () => {
  // A message that reaches the user through console.error starts with the prefix of its own file.
  for (const file of fs.readdirSync(path.join(root, 'cli')).filter((f) => f.endsWith('.ts'))) {
    const name = file.replace(/\.ts$/, '');
    const text = fs.readFileSync(path.join(root, 'cli', file), 'utf8');
    for (const m of text.matchAll(/console\.error\((['`])(\\n)*(.{0,40})/g)) {
      if (name === 'main') continue; // `medcard: unknown command` and the caught errors of every command
      assert.ok(m[3].startsWith(`medcard ${name}: `), `cli/${file}: console.error(${m[1]}${m[3]}… does not start with "medcard ${name}: "`);
    }
  }
});
