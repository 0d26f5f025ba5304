// The canonical form and the signature of engine/README.md "Security", against an
// independent implementation (openssl's HMAC over the canonical text as bytes), and the
// README's worked example as written there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalText, signature, signatureHolds } from '../../platform';

const README = fs.readFileSync(path.join(__dirname, '../../engine/README.md'), 'utf8');
const EXAMPLE = { infno: '9001', msgid: 'H500000000032024031509000000001', mdtrtarea_admvs: '500000', inf_time: '2024-03-15 09:00:00', fixmedins_code: 'H50000000003', signtype: 'SHA256', input: { signIn: { opter_no: '001' } } };
const CANONICAL = '{"fixmedins_code":"H50000000003","inf_time":"2024-03-15 09:00:00","infno":"9001","input":{"signIn":{"opter_no":"001"}},"mdtrtarea_admvs":"500000","msgid":"H500000000032024031509000000001","signtype":"SHA256"}';
const openssl = (digest: string, key: string, text: string) => {
  const r = spawnSync('openssl', ['dgst', `-${digest}`, '-hmac', key], { input: Buffer.from(text, 'utf8'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('= ')[1]!;
};

test('the README\'s worked example: its canonical text and cainfo, as openssl computes them', () => {
  assert.equal(canonicalText(EXAMPLE), CANONICAL);
  assert.ok(README.includes(CANONICAL), 'the README shows this canonical text');
  const want = openssl('sha256', 'secret-key', CANONICAL);
  assert.equal(signature(EXAMPLE, 'secret-key', 'SHA256'), want);
  assert.ok(README.includes(want), 'the README shows this cainfo');
});

test('HMAC-SM3 of a message with Chinese text, nested lists and numbers agrees with openssl; any change breaks it', () => {
  const m = { infno: '2207', signtype: 'SM3', fixmedins_name: '重庆市第一人民医院', input: { data: { medfee_sumamt: 183.3, feedetail: [{ b: 2, a: '甲类\n' }, null], z: true } }, cainfo: 'ignored' };
  const text = canonicalText(m);
  assert.equal(text, '{"fixmedins_name":"重庆市第一人民医院","infno":"2207","input":{"data":{"feedetail":[{"a":"甲类\\n","b":2},null],"medfee_sumamt":183.3,"z":true}},"signtype":"SM3"}');
  const sig = signature(m, 'k', 'SM3');
  assert.equal(sig, openssl('sm3', 'k', text));
  assert.ok(signatureHolds({ ...m, cainfo: sig.toUpperCase() }, 'k'), 'hex in either case');
  for (const changed of [{ ...m, input: { data: { ...m.input.data, medfee_sumamt: 18.33 } } }, { ...m, signtype: 'SHA256' }, { ...m, infno: '2206' }]) {
    assert.ok(!signatureHolds({ ...changed, cainfo: sig }, 'k'), JSON.stringify(changed));
  }
  assert.ok(!signatureHolds({ ...m, cainfo: sig }, 'other key'));
});
