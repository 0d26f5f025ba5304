// The judge reads a terminal's platform messages flat or in the nested form public HIS code
// sends ({"data": {...}}, {"feedetail": [...]}), as the engine accepts both: the same visit in
// either shape gets the same verdicts, and a wrong psn_no inside the nesting is still caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requirement, type Evidence, type PlatformExchange } from '../../compliance';

const PSN = 'P500000000001';
const MDTRT = 'MD0001';
const fee = { feedetl_sn: '1', mdtrt_id: MDTRT, psn_no: PSN, med_list_codg: 'A001', det_item_fee_sumamt: '120.00', pric: '60.00', cnt: 2 };
const settle = { psn_no: PSN, mdtrt_id: MDTRT, mdtrt_cert_type: '03', mdtrt_cert_no: 'C1', medfee_sumamt: '120.00', acct_used_flag: '1' };

function exchange(at: number, infno: string, input: unknown, output: unknown = {}): PlatformExchange {
  const request = { infno, msgid: `H50000000901202403151000000${at}`, sign_no: 'SN1', input };
  const response = { infcode: 0, output };
  return { at, path: '/', request, response, engineResponse: response, signedIn: true };
}

function visit(nested: boolean, psnIn2207 = PSN): Evidence {
  const wrap = (i: Record<string, unknown>) => (nested ? { data: i } : i);
  const platform = [
    exchange(1, '1101', wrap({ mdtrt_cert_type: '03', mdtrt_cert_no: 'C1', card_sn: 'S1' }), { baseinfo: { psn_no: PSN } }),
    exchange(2, '2201', wrap({ psn_no: PSN, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: 'C1' }), { data: { mdtrt_id: MDTRT } }),
    exchange(3, '2204', { feedetail: [fee] }),
    exchange(4, '2206', wrap(settle)),
    exchange(5, '2207', wrap({ ...settle, psn_no: psnIn2207 }), { setlinfo: {} }),
  ];
  return {
    request: { action: 'settle', reader: 'r', platformUrl: 'u', date: '2024-03-15', kind: 'outpatient', items: [], totalFen: 12000, person: { name: '张三', idNumber: '1' }, useAccount: true },
    result: { outcome: 'refused', output: '', ms: 1 },
    card: [], platform,
    setup: { cardHolder: { name: '张三', idNumber: '1' }, cardExpiry: '2030-01-01', cardGeneration: 2, cardLost: false, cardPulled: false, pinRequired: true, faults: [] },
    ledger: { before: 0, after: 1 }, reversalWithinMs: 30_000,
  };
}

const verdict = (id: string, e: Evidence) => requirement(id).judge(e).verdict;

test('a visit sent in the nested form is judged as the same visit sent flat', () => {
  for (const id of ['PLAT-02', 'PLAT-03', 'CARD-03']) {
    assert.equal(verdict(id, visit(true)), verdict(id, visit(false)), id);
  }
  assert.equal(verdict('PLAT-02', visit(true)), 'passed');
  assert.equal(verdict('PLAT-03', visit(true)), 'passed');
  // The 2207 asks for the account (acct_used_flag inside the nesting), and the card saw no VERIFY.
  assert.equal(verdict('CARD-03', visit(true)), 'failed');
});

test('a psn_no inside the nesting that is not the person 1101 answered fails PLAT-02', () => {
  const judged = requirement('PLAT-02').judge(visit(true, 'P500000000999'));
  assert.equal(judged.verdict, 'failed');
  assert.match(judged.evidence.join('\n'), /psn_no P500000000999, but 1101 answered P500000000001/);
});

test('CARD-08: a third-generation card passes only with EXTERNAL AUTHENTICATE 9000 before the first EF06 record; a second-generation card, or a terminal that never read EF05, is not applicable', () => {
  const e = (generation: 2 | 3, card: Array<[string, string, string, string]>): Evidence => {
    const v = visit(false);
    return { ...v, setup: { ...v.setup, cardGeneration: generation }, card: card.map(([command, name, detail, sw]) => ({ time: '', command, response: sw, name, detail, sw, swMeaning: '' })) };
  };
  const version: [string, string, string, string] = ['00B2030006', 'READ RECORD', 'EF05 record 03', '9000'];
  const auth: [string, string, string, string] = ['0082000108' + '11'.repeat(8), 'EXTERNAL AUTHENTICATE', 'key 01', '9000'];
  const ef06: [string, string, string, string] = ['00B2080014', 'READ RECORD', 'EF06 record 08', '9000'];
  assert.equal(verdict('CARD-08', e(3, [version, auth, ef06])), 'passed');
  assert.equal(verdict('CARD-08', e(3, [version, ['00B2080014', 'READ RECORD', 'EF06 record 08', '6982'], auth, ef06])), 'failed');
  assert.equal(verdict('CARD-08', e(3, [version, ['0082000108' + '00'.repeat(8), 'EXTERNAL AUTHENTICATE', 'key 01', '63C2']])), 'failed');
  assert.equal(verdict('CARD-08', e(3, [version])), 'failed');
  assert.equal(verdict('CARD-08', e(3, [])), 'not-applicable');
  assert.equal(verdict('CARD-08', e(2, [version, ef06])), 'not-applicable');
});
