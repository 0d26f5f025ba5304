// Unit tests of the settlement rules, one per rule, figures worked by hand in the comments.
// Chongqing (500000) and the age-banded Beijing policy (110000). domain.md §3–§6.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadPolicies, loadPolicyFile, PolicyError } from '../../engine/policy';
import { splitVisit, splitLine, monthlyCredit, yearEndInterest, ageOn, mulDivRound, type CatalogueItem } from '../../engine/rules';
import { toFen, fmtFen } from '../../platform';

const policies = loadPolicies(path.join(__dirname, '../../fixtures/policies'));
const CQ = policies.get('500000')!;
const BJ = policies.get('110000')!;
const y = (s: string) => toFen(s);

describe('domain.md §4.2 worked examples (Chongqing)', () => {
  test('seed 000: account 102.80, visit 120.00 at cumulative 230.00 → account 102.80, cash 17.20, fund 0, balance 0.00', () => {
    // 230 + 120 = 350 ≤ 400: all below the line; the account pays first (102.80), the rest is cash.
    const s = splitVisit({ policy: CQ, covered: y('120.00'), uncovered: 0, cumBefore: y('230.00'), balance: y('102.80'), useAccount: true, extraBp: 0 });
    assert.equal(fmtFen(s.acct), '102.80');
    assert.equal(fmtFen(s.cash), '17.20');
    assert.equal(fmtFen(s.fund), '0.00');
    assert.equal(fmtFen(s.balanceAfter), '0.00');
    assert.equal(fmtFen(s.cumAfter), '350.00');
  });
  test('project: account empty, cumulative 350.00, visit 1,000.00 → fund 712.50, account 0.00, cash 287.50', () => {
    // 50.00 below the line (cash); 950.00 in the first bracket: person 25% = 237.50, fund 712.50.
    const s = splitVisit({ policy: CQ, covered: y('1000.00'), uncovered: 0, cumBefore: y('350.00'), balance: 0, useAccount: true, extraBp: 0 });
    assert.equal(fmtFen(s.fund), '712.50');
    assert.equal(fmtFen(s.acct), '0.00');
    assert.equal(fmtFen(s.cash), '287.50');
    assert.equal(fmtFen(s.deductiblePaid), '50.00');
    assert.deepEqual(s.pieces.map((p) => [p.segment, fmtFen(p.amount), fmtFen(p.person), fmtFen(p.fund)]), [['line', '50.00', '50.00', '0.00'], ['pool', '950.00', '237.50', '712.50']]);
  });
  test('the account credits of the example: base 2,700 × (2% + 6% × 30%) = 102.60 a month; 3 months 307.80; + 25.00 = 332.80', () => {
    const c = monthlyCredit(CQ, { baseFen: y('2700.00'), pensionFen: null, retired: false, birth: '1990-01-01', date: '2024-03-01' });
    assert.equal(fmtFen(c.perMonth), '102.60');
    assert.equal(fmtFen(3 * c.perMonth), '307.80');
    assert.equal(fmtFen(3 * c.perMonth + y('25.00')), '332.80');
  });
});

describe('Chongqing brackets, piecewise (domain.md §4.2 Decision)', () => {
  test('a cost crossing 5,000 is split at 5,000: 4,000 → 6,000 = 1,000 at 25% + 1,000 at 20%', () => {
    // person 250.00 + 200.00 = 450.00; fund 750.00 + 800.00 = 1,550.00
    const s = splitVisit({ policy: CQ, covered: y('2000.00'), uncovered: 0, cumBefore: y('4000.00'), balance: 0, useAccount: true, extraBp: 0 });
    assert.equal(fmtFen(s.personCovered), '450.00');
    assert.equal(fmtFen(s.fund), '1550.00');
    assert.equal(s.poolPropBp, 2000);
  });
  test('from 0 to 12,000 in one visit: 400 line + 4,600×25% + 5,000×20% + 2,000×15%', () => {
    // person 400 + 1,150 + 1,000 + 300 = 2,850.00; fund 12,000 − 2,850 = 9,150.00
    const s = splitVisit({ policy: CQ, covered: y('12000.00'), uncovered: 0, cumBefore: 0, balance: 0, useAccount: true, extraBp: 0 });
    assert.equal(fmtFen(s.personCovered), '2850.00');
    assert.equal(fmtFen(s.fund), '9150.00');
  });
  test('above the cap (4 × 60,000 = 240,000) basic insurance pays nothing', () => {
    // 239,000 → 241,000: 1,000 at 15% (150.00 person, 850.00 fund) + 1,000 fully the person's.
    assert.equal(fmtFen(CQ.cap), '240000.00');
    const s = splitVisit({ policy: CQ, covered: y('2000.00'), uncovered: 0, cumBefore: y('239000.00'), balance: 0, useAccount: true, extraBp: 0 });
    assert.equal(fmtFen(s.fund), '850.00');
    assert.equal(fmtFen(s.personCovered), '1150.00');
    assert.equal(s.pieces[1].segment, 'over_cap');
  });
  test('rounding half up once per share: 0.02 in the 25% bracket → person 0.01 (0.005 rounds up), fund 0.01', () => {
    const s = splitVisit({ policy: CQ, covered: 2, uncovered: 0, cumBefore: y('1000.00'), balance: 0, useAccount: true, extraBp: 0 });
    assert.equal(s.personCovered, 1);
    assert.equal(s.fund, 1);
  });
  test('the account pays the pooled-segment share too, and only the person\'s share', () => {
    // 400 → 1,400: person 250.00, fund 750.00; account 100.00 pays 100.00, cash 150.00
    const s = splitVisit({ policy: CQ, covered: y('1000.00'), uncovered: 0, cumBefore: y('400.00'), balance: y('100.00'), useAccount: true, extraBp: 0 });
    assert.deepEqual([fmtFen(s.fund), fmtFen(s.acct), fmtFen(s.cash)], ['750.00', '100.00', '150.00']);
  });
  test('acct_used_flag 0: the account pays nothing', () => {
    const s = splitVisit({ policy: CQ, covered: y('100.00'), uncovered: 0, cumBefore: 0, balance: y('500.00'), useAccount: false, extraBp: 0 });
    assert.deepEqual([s.acct, fmtFen(s.cash), fmtFen(s.balanceAfter)], [0, '100.00', '500.00']);
  });
  test('uncovered amounts are the person\'s and the account does not pay them (policy account_pays_uncovered: false)', () => {
    const s = splitVisit({ policy: CQ, covered: y('100.00'), uncovered: y('50.00'), cumBefore: 0, balance: y('500.00'), useAccount: true, extraBp: 0 });
    assert.deepEqual([fmtFen(s.acct), fmtFen(s.cash), fmtFen(s.personTotal)], ['100.00', '50.00', '150.00']);
  });
  test('§4.3 / §6 extra points raise the bracket rate: 25% + 10 points = 35% on 1,000.00 → 350.00', () => {
    const s = splitVisit({ policy: CQ, covered: y('1000.00'), uncovered: 0, cumBefore: y('400.00'), balance: 0, useAccount: true, extraBp: 1000 });
    assert.equal(fmtFen(s.personCovered), '350.00');
  });
});

describe('catalogue classes (domain.md §4.1)', () => {
  const item = (cls: CatalogueItem['cls'], cap: string | null = null, selfpayBp: number | null = null): CatalogueItem => ({ code: 'X', name: 'x', cls, capFen: cap ? y(cap) : null, selfpayBp, chrgitmType: '09' });
  test('class A: fully covered', () => assert.deepEqual(splitLine(CQ, item('A'), y('88.00'), 10000), { cls: 'A', selfpayBp: 0, fulamt: 0, overlmt: 0, preselfpay: 0, inscp: 8800 }));
  test('class B: Chongqing pre-self-pay 10% → 100.00 = 10.00 + 90.00 covered', () => {
    const s = splitLine(CQ, item('B'), y('100.00'), 10000);
    assert.deepEqual([s.preselfpay, s.inscp], [1000, 9000]);
  });
  test('class B: Beijing pre-self-pay 20% → 100.00 = 20.00 + 80.00', () => {
    const s = splitLine(BJ, item('B'), y('100.00'), 10000);
    assert.deepEqual([s.preselfpay, s.inscp], [2000, 8000]);
  });
  test('class B with the item\'s own ratio 0.20; rounding: 33.33 × 20% = 6.666 → 6.67', () => {
    const s = splitLine(CQ, item('B', null, 2000), y('33.33'), 10000);
    assert.deepEqual([s.preselfpay, s.inscp], [667, 2666]);
  });
  test('self-pay and unknown items: fully the person\'s', () => {
    assert.equal(splitLine(CQ, item('self'), 5000, 10000).fulamt, 5000);
    assert.equal(splitLine(CQ, null, 5000, 10000).cls, 'unknown');
  });
  test('price cap: 3 × 35.00 with a cap of 30.00 → 15.00 over the cap, 90.00 covered', () => {
    const s = splitLine(CQ, item('A', '30.00'), y('105.00'), 30000);
    assert.deepEqual([s.overlmt, s.inscp], [1500, 9000]);
  });
  test('price cap with a fractional quantity: 0.5 × 40.00 = 20.00 under a cap of 30.00 → 5.00 over', () => {
    // allowed = 30.00 × 0.5 = 15.00
    const s = splitLine(CQ, item('A', '30.00'), y('20.00'), 5000);
    assert.deepEqual([s.overlmt, s.inscp], [500, 1500]);
  });
});

describe('Beijing: age-banded credits, base limits, its own line (domain.md §3)', () => {
  const credit = (birth: string, date: string, base = '10000.00') => monthlyCredit(BJ, { baseFen: y(base), pensionFen: null, retired: false, birth, date });
  test('ages are whole years on the credit date', () => {
    assert.equal(ageOn('1990-03-15', '2024-03-14'), 33);
    assert.equal(ageOn('1990-03-15', '2024-03-15'), 34);
  });
  test('under 35 → 2.5%: 10,000 → 250.00', () => assert.equal(fmtFen(credit('1990-03-16', '2025-03-15').perMonth), '250.00')); // 34
  test('35 exactly → 3%: 300.00', () => assert.equal(fmtFen(credit('1990-03-15', '2025-03-15').perMonth), '300.00'));
  test('45 exactly → 3% (35 ≤ age ≤ 45)', () => assert.equal(fmtFen(credit('1980-03-15', '2025-03-15').perMonth), '300.00'));
  test('46 → 4%: 400.00', () => assert.equal(fmtFen(credit('1979-03-15', '2025-03-15').perMonth), '400.00'));
  test('retirees → 6% of the basic pension: 4,321.00 → 259.26', () => {
    const c = monthlyCredit(BJ, { baseFen: null, pensionFen: y('4321.00'), retired: true, birth: '1950-01-01', date: '2025-01-01' });
    assert.equal(fmtFen(c.perMonth), '259.26');
  });
  test('the base is clamped to 60%–300% of the social average wage (11,761.00)', () => {
    // floor 7,056.60 × 2.5% = 176.415 → 176.42; ceiling 35,283.00 × 2.5% = 882.075 → 882.08
    assert.equal(fmtFen(credit('2000-01-01', '2025-01-01', '3000.00').perMonth), '176.42');
    assert.equal(fmtFen(credit('2000-01-01', '2025-01-01', '90000.00').perMonth), '882.08');
  });
  test('Beijing settlement: line 1,800, then 30%, level 3 hospital +10 points', () => {
    // 0 → 3,000 at level 3: 1,800 line + 1,200 × 40% = 480 → person 2,280.00, fund 720.00
    const s = splitVisit({ policy: BJ, covered: y('3000.00'), uncovered: 0, cumBefore: 0, balance: 0, useAccount: true, extraBp: BJ.levelExtraBp[3] });
    assert.deepEqual([fmtFen(s.personCovered), fmtFen(s.fund)], ['2280.00', '720.00']);
    const s1 = splitVisit({ policy: BJ, covered: y('3000.00'), uncovered: 0, cumBefore: 0, balance: 0, useAccount: true, extraBp: BJ.levelExtraBp[1] });
    assert.deepEqual([fmtFen(s1.personCovered), fmtFen(s1.fund)], ['2160.00', '840.00']);
  });
  test('Beijing cap is a fixed 20,000.00: 19,000 → 21,000 = 1,000 × 30% + 1,000 fully', () => {
    const s = splitVisit({ policy: BJ, covered: y('2000.00'), uncovered: 0, cumBefore: y('19000.00'), balance: 0, useAccount: true, extraBp: 0 });
    assert.deepEqual([fmtFen(s.personCovered), fmtFen(s.fund)], ['1300.00', '700.00']);
  });
});

describe('interest at the year-end rollover (domain.md §3 Decision)', () => {
  test('carried 1,000.00 × 1.10% = 11.00; current 307.80 × 0.35% = 1.0773 → 1.08', () => {
    const i = yearEndInterest(CQ, y('1000.00'), y('307.80'));
    assert.deepEqual([fmtFen(i.carried), fmtFen(i.current), fmtFen(i.total)], ['11.00', '1.08', '12.08']);
  });
});

describe('money', () => {
  test('strict yuan parsing', () => {
    assert.equal(toFen('332.80'), 33280);
    assert.equal(toFen(332.8), 33280);
    assert.equal(toFen('0.1'), 10);
    assert.throws(() => toFen('1.001'));
    assert.throws(() => toFen(0.1 + 0.2));
    assert.throws(() => toFen('-1.00'));
    assert.throws(() => toFen('1e3'));
    assert.throws(() => toFen('100000000.01'));
    assert.throws(() => toFen('5.00\n'), /前后不能有空格或换行/);
    assert.throws(() => toFen(' 5.00'), /前后不能有空格或换行/);
    assert.equal(fmtFen(-1720), '-17.20');
  });
  test('mulDivRound is exact for large products', () => assert.equal(mulDivRound(9_000_000_000_000, 3_800_000, 100_000_000), 342_000_000_000));
});

describe('policy files are validated with file, line and field', () => {
  const base = require('node:fs').readFileSync(path.join(__dirname, '../../fixtures/policies/500000.yaml'), 'utf8') as string;
  const err = (text: string) => { try { loadPolicyFile('/x/500000.yaml', text); } catch (e) { return e as PolicyError; } assert.fail('no error'); };
  test('a bad percentage names its line and field', () => {
    const e = err(base.replace('person: "25%"', 'person: "25 percent"'));
    assert.equal(e.field, 'settlement.brackets[0].person');
    assert.equal(e.line, base.split('\n').findIndex((l) => l.includes('person: "25%"')) + 1);
    assert.match(e.message, /^\/x\/500000\.yaml:\d+: settlement\.brackets\[0\]\.person: /);
  });
  test('an unknown field is refused', () => assert.equal(err(base.replace('deductible: "400.00"', 'deductible: "400.00"\n  deductable: 1')).field, 'settlement.deductable'));
  test('brackets must ascend', () => assert.equal(err(base.replace('up_to: "10000.00"', 'up_to: "4000.00"')).field, 'settlement.brackets[1].up_to'));
  test('a missing section', () => assert.match(err(base.replace(/interest:[\s\S]*$/, '')).problem, /interest/));
  test('region must match the file name', () => assert.equal(err(base.replace('region: "500000"', 'region: "500001"')).field, 'region'));
  test('a yuan amount with three decimals', () => assert.equal(err(base.replace('deductible: "400.00"', 'deductible: "400.001"')).field, 'settlement.deductible'));
});
