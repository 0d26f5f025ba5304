// The steps analysts asked for (issue 22): a retiree credited from the basic pension, and after
// a claim the card-equivalent split and the net cash. The @retiree scenarios pass (zh and en);
// wrong figures fail, and each failure says what it read: the credit rule the engine applied,
// the claim and its visit, and for "the last visit" which visit that was (after a claim, still
// the one paid in cash) and which steps check the claim instead. Expected figures are worked
// out by hand in the scenarios from fixtures/policies/110000.yaml (6% of the pension; line
// 1800.00, 30% above it), not taken from a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function medcardRun(args: string[], lang = 'C.UTF-8') {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-claims-'));
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--rig', 'emulated', '--reports', reports, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' }, timeout: 5 * 60_000,
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('the @retiree scenarios pass, in Chinese and English', () => {
  const r = medcardRun(['--tags', '@retiree']);
  assert.equal(r.status, 0, r.out.slice(-3000));
  assert.match(r.out, /4 scenarios \(4 passed\)/);
});

const BACKGROUND = `# language: zh-CN
功能: 错的数字
  背景:
    假如 今天是 2024-05-10
    并且 1级定点医院 "区第一医院" 位于北京
    并且 参保人 "老周" 已退休，在北京参加职工医保，基本养老金每月 4000.00 元
`;

function wrongFeature(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-claims-f-'));
  const feature = path.join(dir, 'wrong.feature');
  fs.writeFileSync(feature, `${BACKGROUND}
  场景: 划入
    当 "老周" 的个人账户按月划入 3 个月
    那么 每月划入 250.00 元

  场景: 持卡应付
    假如 "老周" 的个人账户按月划入 3 个月
    当 "老周" 因急诊没带卡在 "区第一医院" 现金支付 3000.00 元
    当 "老周" 向医保经办机构申请报销
    那么 如持卡就医应付：个人账户 720.00 元，统筹基金 850.00 元，现金 1430.00 元

  场景: 净现金
    当 "老周" 因急诊没带卡在 "区第一医院" 现金支付 3000.00 元
    当 "老周" 向医保经办机构申请报销
    那么 报销后实际现金支出 1440.00 元

  场景: 上一次就诊
    当 "老周" 因急诊没带卡在 "区第一医院" 现金支付 3000.00 元
    当 "老周" 向医保经办机构申请报销
    那么 现金支付 1440.00 元
`);
  return feature;
}

test('wrong figures fail, saying the credit rule, the claim and its visit, and which visit "the last visit" was', () => {
  const r = medcardRun([wrongFeature()]);
  assert.equal(r.status, 1, r.out.slice(-3000));
  assert.match(r.out, /4 scenarios \(4 failed\)/);
  assert.match(r.out, /monthly credit: expected 250\.00 元, got 240\.00 元 — the engine applied the rule 退休：养老金×6% \(3 month\(s\)\)/);
  // The account is right; fund and cash are named, each with both figures.
  assert.match(r.out, /the card-equivalent split: fund: expected 850\.00 元, got 840\.00 元; cash: expected 1430\.00 元, got 1440\.00 元 — read from claim \S+ for "老周"'s visit to "区第一医院" on 2024-05-10, 3000\.00 元 paid in cash/);
  // No credits in this scenario: the account pays nothing, so 3000.00 − 840.00 paid back.
  assert.match(r.out, /net cash paid: expected 1440\.00 元, got 2160\.00 元 — read from claim \S+ .*, 840\.00 元 paid back/);
  assert.match(r.out, /cash paid: expected 1440\.00 元, got 3000\.00 元 — read from the last visit: "老周" at "区第一医院" on 2024-05-10, outpatient, 3000\.00 元, paid in full in cash, no card settlement; it was claimed since: had the card been used/);
});

test('under LANG=zh_CN the same failures are in Chinese', () => {
  const r = medcardRun([wrongFeature()], 'zh_CN.UTF-8');
  assert.equal(r.status, 1, r.out.slice(-3000));
  assert.match(r.out, /每月划入：应为 250\.00 元，实际 240\.00 元 — 引擎采用的规则：退休：养老金×6%（3 个月）/);
  assert.match(r.out, /如持卡就医应付：统筹基金应为 850\.00 元，实际 840\.00 元；现金应为 1430\.00 元，实际 1440\.00 元 — 读自报销 \S+："老周" 2024-05-10 在 "区第一医院" 现金支付 3000\.00 元的就诊/);
  assert.match(r.out, /现金支付：应为 1440\.00 元，实际 3000\.00 元 — 读自上一次就诊："老周" 2024-05-10 在 "区第一医院"，门诊，3000\.00 元，全额现金支付，未用卡结算；此后已申请报销/);
});
