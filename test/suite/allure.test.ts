// Allure output of `medcard run`, read back from allure-results: labels and links from tags
// with Chinese values (ecosystem-notes), the APDU trace and the receipt attached inside the
// visit step and not at test level (allure-js#687), environment.properties and
// categories.json after the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALLURE_OPTIONS } from '../../cli/report';

const root = path.resolve(__dirname, '..', '..');

const FEATURE = `# language: zh-CN
# 依据: domain.md §4.2；seed 000
@epic:医保结算 @feature:门诊结算 @owner:张三
功能: Allure 标签与附件
  @severity:critical @issue:4 @domain-4.2 @story:起付线以下现金支付 @brackets
  场景: 账户为空，起付线以下全部现金
    假如 今天是 2024-03-15
    并且 定点医院 "市人民医院" 位于重庆
    并且 参保人 "张三" 在重庆参加职工医保
    并且 "张三" 持有社保卡
    当 "张三" 持卡在 "市人民医院" 门诊就诊，费用 120.00 元
    那么 现金支付 120.00 元
    并且 结算单显示：
      | 现金 | 120.00 |
`;

interface Step { name: string; attachments: { name: string; type: string; source: string }[]; steps: Step[] }
interface Result { name: string; status: string; labels: { name: string; value: string }[]; links: { type: string; url: string }[]; attachments: unknown[]; steps: Step[] }

function runOnce(): { dir: string; results: Result[]; out: string; status: number | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-allure-'));
  const feature = path.join(dir, 'allure.feature');
  fs.writeFileSync(feature, FEATURE);
  const reports = path.join(dir, 'reports');
  const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--quiet', '--reports', reports, feature], {
    cwd: root, encoding: 'utf8', timeout: 5 * 60_000,
  });
  const results = path.join(reports, 'allure-results');
  const files = fs.existsSync(results) ? fs.readdirSync(results).filter((f) => f.endsWith('-result.json')) : [];
  return { dir: reports, results: files.map((f) => JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')) as Result), out: `${r.stdout}\n${r.stderr}`, status: r.status };
}

const run = runOnce();
const only = () => { assert.equal(run.status, 0, run.out.slice(-3000)); assert.equal(run.results.length, 1); return run.results[0]!; };

test('labels from tags with Chinese values: epic, feature, story, severity, owner', () => {
  const labels = only().labels;
  const has = (name: string, value: string) => assert.ok(labels.some((l) => l.name === name && l.value === value), `no label ${name}=${value} in ${JSON.stringify(labels)}`);
  has('epic', '医保结算');
  has('feature', '门诊结算');
  has('story', '起付线以下现金支付');
  has('severity', 'critical');
  has('owner', '张三');
  // Pattern tags become labels, not plain tags; topic tags stay tags.
  const tags = labels.filter((l) => l.name === 'tag').map((l) => l.value);
  assert.ok(tags.includes('@brackets'), JSON.stringify(tags));
  assert.ok(!tags.some((t) => /^@(epic|owner|severity|issue):/.test(t)), JSON.stringify(tags));
});

test('links from tags: the issue number and the domain.md section, not the whole tag', () => {
  const links = only().links;
  const issue = links.find((l) => l.type === 'issue');
  assert.ok(issue, JSON.stringify(links));
  assert.match(issue.url, /\/issues\/4$/);
  const tms = links.find((l) => l.type === 'tms');
  assert.ok(tms, JSON.stringify(links));
  assert.match(tms.url, /domain\.md#4\.2$/);
});

test('the patterns themselves: Chinese values, colons and unknown severities', () => {
  const label = (tag: string) => ALLURE_OPTIONS.labels.find((l) => l.pattern.some((p) => p.test(tag)))?.name;
  assert.equal(label('@epic:医保结算'), 'epic');
  assert.equal(label('@owner:张三'), 'owner');
  assert.equal(label('@feature:异地就医'), 'feature');
  assert.equal(label('@severity:critical'), 'severity');
  assert.equal(label('@severity:严重'), undefined, 'a severity Allure does not know stays a plain tag');
  assert.equal(label('@epic:a:b'), undefined, 'a value with a colon would be cut by allure-cucumberjs');
  assert.equal(label('@brackets'), undefined);
  assert.equal(ALLURE_OPTIONS.links.issue.urlTemplate('@issue:医保-12'), `https://example.invalid/medcard-hil/issues/${encodeURIComponent('医保-12')}`);
  assert.equal(ALLURE_OPTIONS.links.issue.urlTemplate('12'), 'https://example.invalid/medcard-hil/issues/12', '@issue=12: allure-cucumberjs hands over the value');
});

test('the APDU trace and the receipt sit inside the visit step, not at test level (allure-js#687)', () => {
  const r = only();
  assert.deepEqual(r.attachments, [], 'no attachment at test level');
  // allure-cucumberjs 3 puts each attachment in a child step of the step that attached it, named by its fileName.
  const within = (s: Step) => [...s.attachments, ...s.steps.flatMap((c) => c.attachments)];
  const visit = r.steps.find((s) => s.name.includes('持卡在'));
  assert.ok(visit, r.steps.map((s) => s.name).join('\n'));
  const att = within(visit);
  const trace = att.find((a) => a.type === 'text/plain');
  assert.ok(trace, `APDU trace in the visit step: ${JSON.stringify(visit)}`);
  assert.match(trace.name, /APDU trace/);
  assert.match(fs.readFileSync(path.join(run.dir, 'allure-results', trace.source), 'utf8'), /SELECT/i, 'the trace holds the card traffic');
  const receipt = att.find((a) => a.type === 'text/html');
  assert.ok(receipt, `receipt in the visit step: ${JSON.stringify(visit)}`);
  assert.match(receipt.name, /receipt/);
  assert.match(fs.readFileSync(path.join(run.dir, 'allure-results', receipt.source), 'utf8'), /120\.00/);
  const receiptStep = r.steps.find((s) => s.name.includes('结算单显示'));
  assert.ok(receiptStep && within(receiptStep).some((a) => a.type === 'application/json'), 'the receipt JSON in the receipt step');
  for (const s of r.steps) if (s !== visit && s !== receiptStep) assert.deepEqual(within(s), [], `no attachment in "${s.name}"`);
});

test('environment.properties and categories.json are written after the run', () => {
  const dir = path.join(run.dir, 'allure-results');
  const env = fs.readFileSync(path.join(dir, 'environment.properties'), 'utf8');
  assert.match(env, /^rig=emulated$/m);
  assert.match(env, /^engine=embedded/m);
  assert.match(env, /^node=v\d+/m);
  const categories = JSON.parse(fs.readFileSync(path.join(dir, 'categories.json'), 'utf8')) as { name: string; messageRegex: string }[];
  const money = categories.find((c) => /Money/.test(c.name));
  assert.ok(money);
  // The regex must match our own money failure message (steps/queries.ts `eq`), whole, as Allure does.
  assert.match('cash paid: expected 120.00 元, got 100.00 元', new RegExp(`^(?:${money.messageRegex})$`));
  assert.match('receipt fund (fund_pay_sumamt): expected 712.50 元, got 700.00 元', new RegExp(`^(?:${money.messageRegex})$`), 'a receipt line too');
  assert.match('现金支付：应为 120.00 元，实际 100.00 元 — 读自上一次就诊', new RegExp(`^(?:${money.messageRegex})$`), 'and its Chinese form (MEDCARD_LANG=zh)');
  const rig = categories.find((c) => /rig problem/.test(c.name))!;
  assert.match('读卡环境 "vpcd" 的读卡器出错：reader "Virtual PCD 00 00" not found', new RegExp(`^(?:${rig.messageRegex})$`), 'a rig failure said in Chinese');
});

test('shards: `medcard report` merges environment.properties (Allure 3 keeps only the last folder\'s)', () => {
  const { mergeEnvironment } = require('../../cli/report') as typeof import('../../cli/report');
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-shard-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-shard-'));
  const c = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-shard-'));
  fs.writeFileSync(path.join(a, 'environment.properties'), 'rig=emulated\nengine=embedded (PGlite)\nnode=v20.20.2\n');
  fs.writeFileSync(path.join(b, 'environment.properties'), 'rig=vpcd\nengine=embedded (PGlite)\nnode=v20.20.2\n');
  assert.equal(mergeEnvironment([a, b, c]), 'rig=emulated, vpcd\nengine=embedded (PGlite)\nnode=v20.20.2\n');
  assert.equal(mergeEnvironment([c]), undefined);
});
