// A region added by YAML alone: a policy file in a copy of fixtures/ is enough for a
// scenario to name the region (广州) and for the embedded engine to settle by its rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { regionNames } from '../../steps/parameters';

const root = path.resolve(__dirname, '..', '..');
const CQ = fs.readFileSync(path.join(root, 'fixtures/policies/500000.yaml'), 'utf8');

/** Chongqing's policy as another region's: its code, its names and, where given, its deductible line. */
function policyOf(region: string, name: string, nameEn?: string, deductible?: string): string {
  let text = CQ.replace('region: "500000"', `region: "${region}"`).replace(/^name: .*$/m, `name: ${name}`)
    .replace(/^name_en: .*\n/m, nameEn ? `name_en: ${nameEn}\n` : '');
  if (deductible) text = text.replace('deductible: "400.00"', `deductible: "${deductible}"`);
  return text;
}

function scratchFixtures(extra: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-region-'));
  fs.cpSync(path.join(root, 'fixtures'), dir, { recursive: true });
  for (const [file, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

test('region names come from the policy files: the name, the name without 市/省/自治区, name_en', () => {
  const dir = scratchFixtures({
    'policies/440100.yaml': policyOf('440100', '广州市', 'Guangzhou'),
    'policies/220000.yaml': policyOf('220000', '吉林省'),
    'policies/220200.yaml': policyOf('220200', '吉林市'),
    'policies/450000.yaml': policyOf('450000', '广西壮族自治区'),
  });
  try {
    const names = regionNames(path.join(dir, 'policies'));
    assert.deepEqual(
      Object.fromEntries(['重庆', '重庆市', 'Chongqing', '北京', 'Beijing', '广州', '广州市', 'Guangzhou', '吉林省', '吉林市', '广西壮族'].map((n) => [n, names[n]])),
      { 重庆: '500000', 重庆市: '500000', Chongqing: '500000', 北京: '110000', Beijing: '110000', 广州: '440100', 广州市: '440100', Guangzhou: '440100', 吉林省: '220000', 吉林市: '220200', 广西壮族: '450000' });
    assert.equal(names['吉林'], undefined, 'a short name two regions share names neither: write 吉林省 or 吉林市');
    fs.writeFileSync(path.join(dir, 'policies/440300.yaml'), policyOf('440300', '广州市'));
    assert.throws(() => regionNames(path.join(dir, 'policies')), /"广州市" is also the name of 440100/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a new region by YAML alone: a 广州 scenario passes on the embedded engine with 广州\'s own policy', () => {
  // 广州's policy is Chongqing's with a deductible line of 600.00 instead of 400.00, so the
  // figures below can only come from 440100.yaml. Worked by hand (domain.md §4.2): a new
  // insured person, account empty, nothing spent this year; an outpatient visit of 1000.00,
  // all class A: the first 600.00 are below the line (self-pay, cash, as the account is
  // empty); the other 400.00 fall in the first bracket (up to 5000.00), person 25% = 100.00,
  // fund 75% = 300.00. Fund 300.00, account 0.00, cash 600.00 + 100.00 = 700.00.
  const dir = scratchFixtures({ 'policies/440100.yaml': policyOf('440100', '广州市', undefined, '600.00') });
  const feature = path.join(dir, 'guangzhou.feature');
  fs.writeFileSync(feature, [
    '# language: zh-CN',
    '# 依据: domain.md §4.2；新地区只写一个政策文件',
    '@brackets @domain-4.2',
    '功能: 广州，只靠 fixtures/policies/440100.yaml',
    '  场景: 广州的职工在广州的定点医院持卡看门诊',
    '    假如 今天是 2024-06-15',
    '    并且 定点医院 "广州市第一人民医院" 位于广州',
    '    并且 参保人 "甲" 在广州参加职工医保',
    '    并且 "甲" 持有社保卡',
    '    当 "甲" 持卡在 "广州市第一人民医院" 门诊就诊，费用 1000.00 元',
    '    那么 统筹基金支付 300.00 元',
    '    并且 个人账户支付 0.00 元',
    '    并且 现金支付 700.00 元',
    '',
  ].join('\n'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'run', '--fixtures', dir, '--quiet', '--reports', path.join(dir, 'reports'), feature], {
      cwd: root, encoding: 'utf8', env: { ...process.env, MEDCARD_FIXTURES: '' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, out.slice(-3000));
    assert.match(out, /1 scenario \(1 passed\)/, out.slice(-3000));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
