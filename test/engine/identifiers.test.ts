// The engine checks identifiers by the shared formats (spec/identifiers.ts): an ID number
// with a wrong check digit is refused with a message that names it, and nothing is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../engine';
import { PlatformError } from '../../platform';
import { clients, CQ, uniq } from './helpers';

test('the engine refuses an ID number with a wrong check digit, naming the field, the number and the right digit', async () => {
  const engine = await createEngine({ world: 'empty' });
  try {
    const { agency } = clients(engine, '2024-03-15');
    const psn = uniq('P');
    const person = { psn_no: psn, psn_name: '校验位', gend: '1', brdy: '1949-12-31', insutype: '310', insuplc_admdvs: CQ, psn_insu_date: '2015-01-01' } as const;
    const err = await agency.createPerson({ ...person, certno: '110105194912310021' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlatformError, `expected a refusal, got ${String(err)}`);
    assert.equal(err.infcode, -1);
    assert.match(err.errMsg, /certno（身份证号） 校验位不正确：110105194912310021 的第 18 位应为 X/);
    assert.equal((await agency.findPerson({ psn_no: psn })).person, null);
    // The same number with its right check digit (a lower-case x is read as X) is accepted.
    await agency.createPerson({ ...person, certno: '11010519491231002x' });
    assert.equal((await agency.findPerson({ psn_no: psn })).person?.certno, '11010519491231002X');
    // A card number is read in upper case, whichever case the request used.
    const card = await agency.issueCard({ card_no: 'm1234abcd', card_sn: `${CQ}d156${'0'.repeat(21)}1`, psn_no: psn, issue_date: '2020-01-01', expiry_date: '2030-01-01', admvs: CQ });
    assert.equal(card.card_no, 'M1234ABCD');
  } finally {
    await engine.close();
  }
});
