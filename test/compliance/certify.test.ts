// medcard certify end to end: the reference terminal, run as a separate process through the
// command adapter, passes every requirement; and the judge catches what it should: each
// mutant (the reference terminal with exactly one rule broken, test/compliance/mutant-terminal.ts)
// fails exactly the requirements it breaks and no other.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { REQUIREMENTS } from '../../compliance';
import { certify, ROOT, verdicts } from './certify-run';

/**
 * Mutant → the requirements it must fail (all others: passed or not tested, never failed).
 * Two break two: refusal-as-success (a lost card's refusal shown as a success also leaves the
 * operator untold that the card is lost) and no-reversal (without 2601 the lost answer's
 * settlement stays in the ledger while the operator is told it failed).
 */
const MUTANTS: Record<string, string[]> = {
  'skip-select': ['CARD-01'], 'skip-pin': ['CARD-03'], 'ignore-expiry': ['CARD-04'], 'lent-card': ['CARD-05'],
  'no-signin': ['PLAT-01'], 'skip-presettle': ['PLAT-02'], 'fee-sum': ['PLAT-03'], 'reuse-msgid': ['PLAT-04'],
  'no-reversal': ['PLAT-05', 'PLAT-08'], 'double-settle': ['PLAT-06'], 'refusal-as-success': ['CARD-06', 'PLAT-07'], 'receipt-differs': ['PLAT-08'],
  'vague-refusal': ['CARD-06'], 'crash-on-pull': ['CARD-07'], 'skip-external-auth': ['CARD-08'],
};

describe('medcard certify', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-certify-'));

  test('the reference terminal, a separate process, passes every requirement', async () => {
    const reports = path.join(tmp, 'reference');
    const { code, out, cert } = await certify('reference', reports);
    assert.equal(code, 0, out.slice(-3000));
    assert.deepEqual(verdicts(cert), Object.fromEntries(REQUIREMENTS.map((r) => [r.id, 'passed'])));
    const html = fs.readFileSync(path.join(reports, 'compliance', 'index.html'), 'utf8');
    for (const r of REQUIREMENTS) assert.match(html, new RegExp(`<td>${r.id}</td>`));
    assert.match(out, new RegExp(`通过 passed ${REQUIREMENTS.length} · 未通过 failed 0`));
  });

  const reference = parse(fs.readFileSync(path.join(ROOT, 'terminals', 'reference.yaml'), 'utf8')) as { actions: { settle: string[] } };
  for (const [mutant, expected] of Object.entries(MUTANTS)) {
    test(`the judge catches the mutant ${mutant}: ${expected.join(', ')} failed, nothing else`, async () => {
      const file = path.join(tmp, `${mutant}.yaml`);
      const settle = ['node', '-r', './steps/register.js', 'test/compliance/mutant-terminal.ts', mutant, ...reference.actions.settle.slice(3)];
      fs.writeFileSync(file, stringify({ ...reference, description: `mutant ${mutant}`, actions: { settle } }));
      const { code, out, cert } = await certify(file, path.join(tmp, mutant));
      assert.equal(code, 1, out.slice(-3000));
      const failed = cert.rows.filter((r) => r.verdict === 'failed').map((r) => r.id);
      assert.deepEqual(failed, expected, `failed: ${failed.join(', ')}\n${out.slice(-3000)}`);
    });
  }
});
