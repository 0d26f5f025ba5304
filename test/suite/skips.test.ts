// Skips decided in one place (steps/capabilities.ts): on a rig without card-state, a scenario
// that uses a step declaring `needs: 'card-state'` is skipped with the reason, tagged
// @needs-card-state or not, in either language; a tagged one keeps the tag's wording; a
// scenario that needs nothing still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const RIG = `# A throwaway rig: the emulated card, but the rig claims no capability.
kind: emulated
description: emulated, without card-state (test/suite/skips.test.ts)
engine: { kind: embedded }
capabilities: []
`;

const ZH = `# language: zh-CN
功能: 没有 card-state 的读卡环境
  场景: 未加标签，但用了改卡片状态的步骤
    假如 今天是 2024-03-15
    并且 定点医院 "市人民医院" 位于重庆
    并且 参保人 "张三" 在重庆参加职工医保
    并且 "张三" 持有社保卡
    并且 "张三" 的社保卡密码已锁定
    当 "张三" 持卡在 "市人民医院" 门诊就诊，费用 120.00 元
    那么 终端拒绝，原因为 "密码已锁定"

  @needs-card-state
  场景: 加了标签
    假如 今天是 2024-03-15
    并且 参保人 "李四" 在重庆参加职工医保
    并且 "李四" 持有社保卡
    并且 "李四" 的社保卡尚未启用

  场景: 不需要任何能力
    假如 今天是 2024-03-15
    并且 参保人 "王五" 在重庆参加职工医保
    并且 "王五" 持有社保卡
    那么 "王五" 的个人账户余额为 0.00 元
`;

const EN = `Feature: A rig without card-state
  Scenario: Untagged, with an expired card
    Given today is 2024-03-15
    And "Zhao Liu" is insured in Chongqing under employee insurance
    And "Zhao Liu" holds a card valid until 2023-12-31
`;

function run() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-skips-'));
  const rigs = path.join(dir, 'rigs');
  fs.mkdirSync(rigs);
  fs.writeFileSync(path.join(rigs, 'bare.yaml'), RIG);
  fs.writeFileSync(path.join(dir, 'zh.feature'), ZH);
  fs.writeFileSync(path.join(dir, 'en.feature'), EN);
  const reports = path.join(dir, 'reports');
  // A rig file by path: `medcard run` hands its folder to the workers as MEDCARD_RIGS_DIR.
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--rig', path.join(rigs, 'bare.yaml'), '--quiet', '--reports', reports, path.join(dir, 'zh.feature'), path.join(dir, 'en.feature')], {
    cwd: root, encoding: 'utf8', timeout: 5 * 60_000,
  });
  const read = (f: string) => { const p = path.join(reports, f); return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : ''; };
  const json = JSON.parse(read('cucumber.json') || '[]') as any[];
  const status = new Map<string, string>();
  const logs = new Map<string, string[]>();
  for (const f of json) {
    for (const e of f.elements) {
      // cucumber.json lists the hooks among the steps, hidden.
      const steps = (e.steps as any[]).filter((s) => !s.hidden);
      const is = (st: string) => steps.every((s) => s.result.status === st);
      status.set(e.name, steps.some((s) => s.result.status === 'failed') ? 'failed' : is('passed') ? 'passed' : is('skipped') ? 'skipped' : 'other');
      logs.set(e.name, (e.steps as any[]).flatMap((s) => (s.embeddings ?? []).filter((em: any) => em.mime_type === 'text/x.cucumber.log+plain').map((em: any) => Buffer.from(String(em.data), 'base64').toString('utf8'))));
    }
  }
  const skipped = read('skipped.txt');
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, scenarios: status, logs, skipped };
}

const r = run();

test('a rig without card-state skips an untagged scenario that uses a card-state step, with the step as the reason', () => {
  assert.equal(r.status, 0, r.out.slice(-3000));
  assert.equal(r.scenarios.get('未加标签，但用了改卡片状态的步骤'), 'skipped', r.out.slice(-3000));
  const reason = 'skipped: rig "bare" lacks card-state (step ""张三" 的社保卡密码已锁定")';
  assert.ok(r.skipped.includes(`zh.feature: 未加标签，但用了改卡片状态的步骤 — ${reason}\n`), r.skipped);
  assert.ok(r.logs.get('未加标签，但用了改卡片状态的步骤')!.includes(reason), JSON.stringify(r.logs.get('未加标签，但用了改卡片状态的步骤')));
  assert.match(r.out, /3 scenario\(s\) skipped because the rig lacks a capability/);
});

test('the English phrasing of a card-state step is found too', () => {
  assert.equal(r.scenarios.get('Untagged, with an expired card'), 'skipped');
  assert.ok(r.skipped.includes('en.feature: Untagged, with an expired card — skipped: rig "bare" lacks card-state (step ""Zhao Liu" holds a card valid until 2023-12-31")\n'), r.skipped);
});

test('a tagged scenario keeps the tag\'s wording; a scenario that needs nothing runs', () => {
  assert.equal(r.scenarios.get('加了标签'), 'skipped');
  assert.ok(r.skipped.includes('zh.feature: 加了标签 — skipped: rig "bare" lacks card-state (scenario tagged @needs-card-state)\n'), r.skipped);
  assert.equal(r.scenarios.get('不需要任何能力'), 'passed', r.out.slice(-3000));
  assert.equal(r.skipped.trim().split('\n').length, 3, r.skipped);
});
