// A step's failures in the run's language (issue 22 item 2): the card state the terminal
// reported, a receipt line, a refusal reason, "the last visit", a person the scenario never
// made, a capability skip's reason, each in Chinese under LANG=zh_CN (or --lang zh) and in
// English under LANG=C, with exit 1 for the failures (the skip alone is not one). Run as the
// analyst runs it, `node bin/medcard.js run`, on a rig file that claims no capability (so a
// card-state step is skipped there); the emulated card needs no reader, so no vpcd lock.
// The same failures are read from cucumber.json, step by step, so each message is checked
// where it was raised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const HAN = /\p{Script=Han}/u;

const RIG = `# The emulated card, claiming no capability (test/suite/step-messages.test.ts).
kind: emulated
description: emulated, no capabilities
engine: { kind: embedded }
capabilities: []
`;

// One failure per scenario; the Chinese feature and the English one fail the same way.
const ZH = `# language: zh-CN
功能: 失败的说法
  背景:
    假如 今天是 2024-03-15
    并且 定点医院 "市人民医院" 位于重庆
    并且 非定点医院 "康美诊所" 位于重庆
    并且 参保人 "张三" 在重庆参加职工医保
    并且 "张三" 持有社保卡

  场景: 密码剩余次数
    假如 "张三" 输入密码 "000000"
    当 "张三" 持卡在 "市人民医院" 门诊就诊，费用 100.00 元
    那么 密码剩余 1 次

  场景: 结算单
    当 "张三" 持卡在 "市人民医院" 门诊就诊，费用 100.00 元
    那么 结算单显示：
      | 费用总额 | 999.00 |
      | 不存在   | 1.00   |

  场景: 拒绝原因
    当 "张三" 持卡在 "康美诊所" 门诊就诊，费用 100.00 元
    那么 终端拒绝，原因为 "卡片已过有效期"

  场景: 上一次就诊
    当 "张三" 持卡在 "康美诊所" 门诊就诊，费用 100.00 元
    那么 个人账户支付 5.00 元

  场景: 没有这个人
    那么 "无名氏" 的个人账户余额为 0.00 元

  场景: 跳过
    假如 "张三" 的社保卡密码已锁定
`;

const EN = `Feature: Failures, said
  Background:
    Given today is 2024-03-15
    And a designated hospital "City Hospital" in Chongqing
    And a non-designated hospital "Kangmei Clinic" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San" holds a card

  Scenario: PIN tries
    Given "Zhang San" types the PIN "000000"
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then 1 PIN tries are left

  Scenario: Receipt
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the receipt shows:
      | total   | 999.00 |
      | nothing | 1.00   |

  Scenario: Refusal
    When "Zhang San" visits "Kangmei Clinic" as an outpatient with the card, costing CNY 100.00
    Then the terminal refuses because "the card has expired"

  Scenario: Last visit
    When "Zhang San" visits "Kangmei Clinic" as an outpatient with the card, costing CNY 100.00
    Then the account pays CNY 5.00

  Scenario: Nobody
    Then "Nobody"'s account balance is CNY 0.00

  Scenario: Skip
    Given "Zhang San"'s card PIN is locked
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-said-'));
fs.mkdirSync(path.join(dir, 'rigs'));
fs.writeFileSync(path.join(dir, 'rigs', 'bare.yaml'), RIG);
fs.writeFileSync(path.join(dir, 'zh.feature'), ZH);
fs.writeFileSync(path.join(dir, 'en.feature'), EN);

interface Run { status: number | null; out: string; failures: Map<string, string>; skipped: string }

function medcardRun(lang: string, extra: string[] = []): Run {
  const reports = fs.mkdtempSync(path.join(dir, 'reports-'));
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--rig', path.join(dir, 'rigs', 'bare.yaml'), '--quiet', '--reports', reports, ...extra,
    path.join(dir, 'zh.feature'), path.join(dir, 'en.feature')], {
    cwd: root, encoding: 'utf8', timeout: 5 * 60_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '', MEDCARD_LANG: '' },
  });
  const failures = new Map<string, string>();
  const json = JSON.parse(fs.readFileSync(path.join(reports, 'cucumber.json'), 'utf8')) as any[];
  for (const f of json) for (const e of f.elements) {
    const failed = (e.steps as any[]).find((s) => s.result.status === 'failed');
    if (failed) failures.set(e.name, String(failed.result.error_message ?? ''));
  }
  const skipped = fs.existsSync(path.join(reports, 'skipped.txt')) ? fs.readFileSync(path.join(reports, 'skipped.txt'), 'utf8') : '';
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, failures, skipped };
}

/** The message itself: cucumber puts the stack under it. */
const firstLines = (m: string) => m.split('\n').filter((l) => !/^\s+at /.test(l)).join('\n');

/** An English message has Chinese only inside quotes (names the scenario chose) and in 元, the unit the money checks use in both languages. */
function englishOnly(m: string): boolean {
  return !HAN.test(m.replace(/"[^"]*"/g, '""').replace(/ 元/g, ''));
}

const EXPECTED_ZH: Record<string, RegExp> = {
  密码剩余次数: /^终端应报告密码剩余 1 次，实际：密码错误，剩余 2 次/,
  结算单: /^结算单 费用总额（medfee_sumamt）：应为 999\.00 元，实际 100\.00 元\n结算单上没有 "[^"]+" 这一行：请用 费用总额、全自费、/,
  拒绝原因: /^终端应以 "卡片已过有效期"（card-expired）拒绝，实际拒绝原因：非定点医药机构，不能刷卡结算（详情：.*）（not-designated）$/,
  上一次就诊: /^个人账户支付：应为 5\.00 元，实际 0\.00 元 — 读自上一次就诊："[^"]+" 2024-03-15 在 "[^"]+"，门诊，100\.00 元，未能用卡结算：非定点医药机构，不能刷卡结算/,
  没有这个人: /^本场景中没有叫 "(无名氏|Nobody)" 的参保人：加一个步骤，如 参保人 "\1" 在重庆参加职工医保$/,
};
const EXPECTED_EN: Record<string, RegExp> = {
  'PIN tries': /^expected the terminal to report 1 tries left, got: wrong PIN, 2 tries left/,
  Receipt: /^receipt total \(medfee_sumamt\): expected 999\.00 元, got 100\.00 元\nunknown receipt line "[^"]+": use one of total, not covered, /,
  Refusal: /^expected the refusal "the card has expired" \(card-expired\), got: not a designated institution: the card cannot settle here \(detail: ".*"\) \(not-designated\)$/,
  'Last visit': /^account paid: expected 5\.00 元, got 0\.00 元 — read from the last visit: "[^"]+" at "[^"]+" on 2024-03-15, outpatient, 100\.00 元, the card did not settle: not a designated institution/,
  Nobody: /^no person called "(无名氏|Nobody)" in this scenario: add a step like "\1" is insured in Chongqing under employee insurance$/,
};
const ZH_OF_EN: Record<string, string> = { 'PIN tries': '密码剩余次数', Receipt: '结算单', Refusal: '拒绝原因', 'Last visit': '上一次就诊', Nobody: '没有这个人' };

function checkRun(r: Run, lang: 'zh' | 'en'): void {
  assert.equal(r.status, 1, r.out.slice(-3000));
  assert.match(r.out, /12 scenarios \(10 failed, 2 skipped\)/, r.out.slice(-3000));
  // Both features fail the same way, in the run's language whatever the feature's.
  for (const [en, zh] of Object.entries(ZH_OF_EN)) {
    for (const scenario of [en, zh]) {
      const m = firstLines(r.failures.get(scenario) ?? '(did not fail)');
      assert.match(m, (lang === 'zh' ? EXPECTED_ZH[zh] : EXPECTED_EN[en])!, `${scenario}: ${m}`);
      if (lang === 'en') assert.ok(englishOnly(m), `English only outside quotes: ${m}`);
    }
  }
  const skip = lang === 'zh'
    ? [/zh\.feature: 跳过 — 已跳过：读卡环境 "bare" 缺少 card-state（步骤 ""张三" 的社保卡密码已锁定"）/, /en\.feature: Skip — 已跳过：读卡环境 "bare" 缺少 card-state（步骤 ""Zhang San"'s card PIN is locked"）/]
    : [/zh\.feature: 跳过 — skipped: rig "bare" lacks card-state \(step ""张三" 的社保卡密码已锁定"\)/, /en\.feature: Skip — skipped: rig "bare" lacks card-state \(step ""Zhang San"'s card PIN is locked"\)/];
  for (const s of skip) assert.match(r.skipped, s);
  assert.match(r.out, lang === 'zh' ? /2 个场景因读卡环境缺少能力而跳过/ : /2 scenario\(s\) skipped because the rig lacks a capability/);
}

test('under LANG=C every step failure and skip reason is in English, exit 1', () => {
  checkRun(medcardRun('C'), 'en');
});

test('under LANG=zh_CN.UTF-8 the same failures and skip reasons are in Chinese, exit 1', () => {
  checkRun(medcardRun('zh_CN.UTF-8'), 'zh');
});

test('--lang zh under LANG=C: Chinese too (the flag wins over the locale)', () => {
  checkRun(medcardRun('C', ['--lang', 'zh']), 'zh');
});
