// Usage and set-up errors of every command in the chosen language (issue 22 item 2): Chinese
// under LANG=zh_CN.UTF-8 or with `--lang zh`, English under LANG=C; always one line
// `medcard <command>: …` first on stderr, and exit 2. Run as a user runs them
// (`node bin/medcard.js …`); none starts a scenario or needs a reader (no vpcd lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function medcard(args: string[], lang: string) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '', MEDCARD_CONTROL_TOKEN: '' },
  });
  return { status: r.status, stderr: r.stderr, first: r.stderr.split('\n')[0] ?? '' };
}

/** A port nothing listens on: bound, then let go. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

interface Case { args: string[]; zh: RegExp; en: RegExp }

const CASES: Case[] = [
  { args: ['bogus'], zh: /^medcard: 没有 "bogus" 这个命令$/, en: /^medcard: unknown command "bogus"$/ },
  { args: ['run', '--bogus'], zh: /^medcard run: 没有 --bogus 这个选项$/, en: /^medcard run: unknown option --bogus$/ },
  { args: ['run', '--rig'], zh: /^medcard run: 选项 --rig 后面要跟一个值$/, en: /^medcard run: option --rig wants a value$/ },
  { args: ['run', '--quiet=yes'], zh: /^medcard run: 选项 --quiet 不带值$/, en: /^medcard run: option --quiet takes no value$/ },
  { args: ['run', '--shard', '4/3'], zh: /^medcard run: --shard 应写成 k\/n，且 1 ≤ k ≤ n.*而不是 "4\/3"$/, en: /^medcard run: --shard wants k\/n with 1 ≤ k ≤ n .*not "4\/3"$/ },
  { args: ['run', '--parallel', 'two'], zh: /^medcard run: --parallel 应为整数（0 或更大），而不是 "two"$/, en: /^medcard run: --parallel wants a whole number, not "two"$/ },
  { args: ['run', '--parallel', '-1'], zh: /^medcard run: 选项 --parallel 的值以 - 开头：请写成 --parallel=<值>$/, en: /^medcard run: the value of --parallel starts with -: write --parallel=<value>$/ },
  { args: ['run', '--retry', 'x'], zh: /^medcard run: --retry 应为整数/, en: /^medcard run: --retry wants a whole number, not "x"$/ },
  { args: ['run', '--wait=-5'], zh: /^medcard run: --wait 应为秒数/, en: /^medcard run: --wait wants seconds \(0 or more\), not "-5"$/ },
  { args: ['run', 'features/no-such.feature'], zh: /^medcard run: 找不到特性文件或文件夹：features\/no-such\.feature$/, en: /^medcard run: no such feature file or folder: features\/no-such\.feature$/ },
  { args: ['run', '--rig', 'no-such-rig'], zh: /^medcard run: 没有读卡环境 "no-such-rig"：请从 emulated、vpcd/, en: /^medcard run: unknown rig "no-such-rig": choose one of emulated, vpcd/ },
  { args: ['run', '--tags', '@a and'], zh: /^medcard run: --tags "@a and" 不是有效的标签表达式.*：缺少操作数（标签）$/, en: /^medcard run: --tags "@a and" is not a tag expression .*: Expected operand\.$/ },
  { args: ['run', '--engine-url', 'localhost:8080'], zh: /^medcard run: --engine-url 应为 http:\/\/ 或 https:\/\/ 地址/, en: /^medcard run: --engine-url wants an http:\/\/ or https:\/\/ address/ },
  { args: ['run', '--lang', 'fr'], zh: /^medcard run: --lang 只能是 zh 或 en \/ --lang is zh or en, not "fr"$/, en: /^medcard run: --lang 只能是 zh 或 en \/ --lang is zh or en, not "fr"$/ },
  { args: ['report', '--port', '99999'], zh: /^medcard report: --port 应为端口号/, en: /^medcard report: --port wants a port number/ },
  { args: ['report', '--results', '/no/such/results'], zh: /^medcard report: \/no\/such\/results 下没有结果：请先运行/, en: /^medcard report: no results at \/no\/such\/results: run/ },
  { args: ['steps', '--markdown', '--json'], zh: /^medcard steps: --markdown 和 --json 只能选一个$/, en: /^medcard steps: --markdown or --json, not both$/ },
  { args: ['check', 'no-such.feature'], zh: /^medcard check: 找不到 no-such\.feature$/, en: /^medcard check: no such file or folder: no-such\.feature$/ },
  { args: ['check', '--rig', 'no-such-rig'], zh: /^medcard check: 没有读卡环境 "no-such-rig"/, en: /^medcard check: unknown rig "no-such-rig"/ },
  { args: ['emulate'], zh: /^medcard emulate: 请给出 --card 或 --psam（二者选一）$/, en: /^medcard emulate: give --card or --psam \(one of them\)$/ },
  { args: ['emulate', '--card', 'x.yaml', '--vpcd-port', '0'], zh: /^medcard emulate: --vpcd-port 应为端口号/, en: /^medcard emulate: --vpcd-port must be a port number, got "0"$/ },
  { args: ['engine', '--port', '70000'], zh: /^medcard engine: --port 应为 0–65535，而不是 70000$/, en: /^medcard engine: --port must be 0–65535, got 70000$/ },
  { args: ['engine', '--signatures', 'maybe'], zh: /^medcard engine: --signatures 只能是 on 或 off/, en: /^medcard engine: --signatures is on or off, got maybe$/ },
  { args: ['rig'], zh: /^medcard rig: 用法应为 `medcard rig check <名称>`$/, en: /^medcard rig: expected `medcard rig check <name>`$/ },
  { args: ['rig', 'check', 'emulated', '--insert-timeout', 'x'], zh: /^medcard rig: --insert-timeout 应为秒数/, en: /^medcard rig: --insert-timeout wants seconds, not "x"$/ },
  { args: ['rigs', 'extra'], zh: /^medcard rigs: 多余的参数 "extra"：这个命令只接受选项，不接受参数$/, en: /^medcard rigs: unexpected argument "extra": this command takes no arguments, only options$/ },
  { args: ['certify'], zh: /^medcard certify: 必须给出 --terminal/, en: /^medcard certify: --terminal is required$/ },
  { args: ['images'], zh: /^medcard images: 请说明要做什么：build 或 list$/, en: /^medcard images: say what to do: build or list$/ },
  { args: ['images', 'list', 'more'], zh: /^medcard images: 多余的参数 "more"：这个命令最多接受 1 个参数$/, en: /^medcard images: unexpected argument "more": this command takes at most 1 argument\(s\)$/ },
  { args: ['init-editor', '--dir'], zh: /^medcard init-editor: 选项 --dir 后面要跟一个值$/, en: /^medcard init-editor: option --dir wants a value$/ },
  { args: ['doctor', '--fix=now'], zh: /^medcard doctor: 选项 --fix 不带值$/, en: /^medcard doctor: option --fix takes no value$/ },
  { args: ['terminal', 'settle', '--certificate', 'x'], zh: /^medcard terminal: --certificate 只能是 card、evoucher 或 id-card/, en: /^medcard terminal: --certificate is card, evoucher or id-card, not "x"$/ },
  { args: ['schemas', '--bogus'], zh: /^medcard schemas: 没有 --bogus 这个选项$/, en: /^medcard schemas: unknown option --bogus$/ },
];

for (const c of CASES) {
  test(`medcard ${c.args.join(' ')}: Chinese under LANG=zh_CN and with --lang zh, English under LANG=C; exit 2`, () => {
    const zh = medcard(c.args, 'zh_CN.UTF-8');
    assert.equal(zh.status, 2, zh.stderr);
    assert.match(zh.first, c.zh);
    const en = medcard(c.args, 'C');
    assert.equal(en.status, 2, en.stderr);
    assert.match(en.first, c.en);
    if (c.args.includes('--lang')) return;
    // The flag wins over the locale, in either direction; it may come anywhere among the options.
    const flagged = medcard([...c.args.slice(0, 1), '--lang', 'zh', ...c.args.slice(1)], 'C');
    assert.equal(flagged.status, 2, flagged.stderr);
    assert.match(flagged.first, c.zh);
    const english = medcard([...c.args.slice(0, 1), '--lang=en', ...c.args.slice(1)], 'zh_CN.UTF-8');
    assert.equal(english.status, 2, english.stderr);
    assert.match(english.first, c.en);
  });
}

test('medcard run --engine-url to a dead address: probed before any scenario, the reason in the chosen language, exit 2', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const zh = medcard(['run', '--engine-url', url, '--tags', '@chongqing-example'], 'zh_CN.UTF-8');
  assert.equal(zh.status, 2, zh.stderr);
  assert.match(zh.stderr, new RegExp(`^medcard run: 无法连接 ${url} 的结算引擎（ECONNREFUSED）：请启动它`, 'm'));
  const en = medcard(['run', '--engine-url', url, '--tags', '@chongqing-example'], 'C');
  assert.equal(en.status, 2, en.stderr);
  assert.match(en.stderr, new RegExp(`^medcard run: engine at ${url} is unreachable \\(ECONNREFUSED\\): start it`, 'm'));
  assert.doesNotMatch(zh.stderr + en.stderr, /scenario/);
});

test('the help under a usage error stays English, under the message (README: help texts are English)', () => {
  const r = medcard(['run', '--bogus'], 'zh_CN.UTF-8');
  assert.match(r.stderr, /^medcard run: 没有 --bogus 这个选项\n\nusage: medcard run \[options\]/);
});
