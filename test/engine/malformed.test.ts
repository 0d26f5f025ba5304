// Reliability: ≥200 kinds of malformed or out-of-order requests, to the platform endpoint and
// to the control API. Each is answered infcode -1 with a Chinese err_msg, and the ledger
// checksum does not move (platform-api.md §1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../engine';
import type { PlatformClient } from '../../platform';
import { PLATFORM } from '../../engine/platform';
import { CONTROL } from '../../engine/agency';
import { clients, baseWorld, institutionClient, person, line, uniq, CQ } from './helpers';

let engine: Engine;
let url: string;
let c: ReturnType<typeof clients>;
let http: PlatformClient;
/** A platform request (`body`), or a control call (`op` and its body). */
type Case = { name: string; body: unknown; op?: string };
const cases: Case[] = [];

before(async () => {
  engine = await createEngine({ world: 'empty' });
  url = (await engine.listen(0)).url;
  c = clients(engine, '2024-03-15 09:00:00');
  http = institutionClient({ url }, 'H50000000003', CQ, '2024-03-15 09:00:00');
  await baseWorld(c.agency, [c.h3, http]);
});
after(async () => { await engine.close(); });

test('≥200 kinds of malformed requests: infcode -1, a Chinese err_msg, the ledger unchanged', async () => {
  const p = await person(c.agency, { opening: '300.00' });
  const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
  const id = reg.data.mdtrt_id;
  await c.h3.uploadFees([{ ...line('1', 'A001', '50.00'), mdtrt_id: id, psn_no: p.psn }]);
  const empty = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
  const settledMz = uniq('MZ');
  const settled = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: settledMz });
  await c.h3.uploadFees([{ ...line('1', 'A001', '10.00'), mdtrt_id: settled.data.mdtrt_id, psn_no: p.psn }]);
  const st = await c.h3.settle({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: '10.00', mdtrt_id: settled.data.mdtrt_id, acct_used_flag: '1' });
  const before = await c.agency.ledgerCheck();

  const env = (infno: string, input: unknown, o: Record<string, unknown> = {}) => ({ ...http.envelope(infno as '1101', input as never), ...o });
  const add = (name: string, body: unknown) => cases.push(typeof body === 'object' && body !== null && 'op' in body && 'control' in body ? { name, op: String(body.op), body: body.control } : { name, body });
  /** A control call's case: its op and body (as the steps send them). */
  const ctl = (op: string, input: unknown) => ({ op, control: { id: `case-${uniq('C')}`, time: '2024-03-15 09:00:00', input } });

  // 1. Bodies that are not a request.
  for (const [n, b] of [['empty body', ''], ['bad JSON', '{'], ['JSON null', 'null'], ['JSON array', '[]'], ['JSON string', '"x"'], ['JSON number', '42'], ['JSON true', 'true'],
    ['trailing garbage', '{"infno":"1101"} x'], ['single quotes', "{'infno':'1101'}"], ['unrelated object', '{"a":1}'], ['over 1 MB', `{"x":"${'a'.repeat(1_100_000)}"}`],
    ['UTF-16 BOM junk', '\ufeff\ufeff{'], ['NaN literal', '{"infno":NaN}']] as const) add(n, b);

  // 2. The envelope, field by field.
  const valid1101 = { mdtrt_cert_type: '03', mdtrt_cert_no: p.card };
  const envFields = ['infno', 'msgid', 'mdtrtarea_admvs', 'inf_time', 'fixmedins_code', 'input'];
  for (const f of envFields) {
    const base = env('1101', valid1101) as Record<string, unknown>;
    const { [f]: _omit, ...missing } = base;
    add(`envelope ${f} missing`, missing);
    add(`envelope ${f} null`, { ...base, [f]: null });
    add(`envelope ${f} array`, { ...base, [f]: [1] });
    add(`envelope ${f} boolean`, { ...base, [f]: true });
    add(`envelope ${f} over-long`, { ...base, [f]: 'Z'.repeat(5000) });
    if (f !== 'input') {
      add(`envelope ${f} SQL metacharacters`, { ...base, [f]: "1'; DROP TABLE ledger_entries; --" });
      add(`envelope ${f} empty`, { ...base, [f]: '' });
      add(`envelope ${f} object`, { ...base, [f]: {} });
    }
  }
  for (const f of ['opter_type', 'insuplc_admdvs', 'infver', 'sign_no', 'recer_sys_code']) add(`envelope ${f} wrong`, env('1101', valid1101, { [f]: "x'--\n" }));
  add('envelope extra field', env('1101', valid1101, { hacker: 1 }));
  add('envelope control character in opter', env('1101', valid1101, { opter: 'a\u0000b' }));
  for (const t of ['2024-02-30 09:00:00', '2024-03-15', '2024-03-15T09:00:00', '2024-13-01 00:00:00', '2024-03-15 24:00:00', '15/03/2024 09:00:00']) add(`inf_time ${t}`, env('1101', valid1101, { inf_time: t }));
  for (const n of ['0000', '9999', '1102', 'abcd', '22071', '220', '9100', '9200']) add(`unknown infno ${n}`, env(n, {}, { infno: n }));
  add('unknown institution', env('1101', valid1101, { fixmedins_code: 'H99999999999' }));
  add('institution not designated', env('1101', valid1101, { fixmedins_code: 'H50000000009' }));
  add('region differs from the institution', env('1101', valid1101, { mdtrtarea_admvs: '110000' }));
  add('unknown sign_no', env('1101', valid1101, { sign_no: 'SN000' }));
  add('insured region mismatch', env('1101', valid1101, { insuplc_admdvs: '110000' }));

  // 3. Each transaction's input: missing required fields, wrong types, over-long values, extra fields.
  const settleIn = { psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: '50.00', mdtrt_id: id, acct_used_flag: '1' };
  const templates: Record<string, Record<string, unknown>> = {
    '1101': valid1101,
    '2201': { psn_no: p.psn, insutype: '310', begntime: '2024-03-15 09:00:00', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: 'MZX1' },
    '2202': { psn_no: p.psn, mdtrt_id: settled.data.mdtrt_id, ipt_otp_no: 'x' },
    '2206': settleIn, '2207': { ...settleIn, medfee_sumamt: '50.01' },
    '2208': { setl_id: st.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn },
    '5203': { psn_no: 'P0', setl_id: st.setlinfo.setl_id },
    'person': { psn_no: p.psn, psn_name: '重复', certno: '500000199001010008', gend: '1', brdy: '1990-01-01', insutype: '310', insuplc_admdvs: CQ, psn_insu_date: '2015-01-01' },
    'monthly-credit': { psn_no: 'NOPE', months: 1 },
    'cross-region-filing': { psn_no: p.psn, mdtrtarea_admvs: CQ, begndate: '2024-01-01' },
  };
  for (const [infno, input] of Object.entries(templates)) {
    const platform = Object.hasOwn(PLATFORM, infno);
    const spec = (platform ? PLATFORM : CONTROL)[infno].spec;
    const req = (i: unknown) => (platform ? env(infno, i) : ctl(infno, i));
    for (const key of Object.keys(input)) {
      const { [key]: _k, ...rest } = input;
      if (spec[key]?.req) add(`${infno} ${key} missing`, req(rest));
      add(`${infno} ${key} object`, req({ ...input, [key]: { $gt: '' } }));
      add(`${infno} ${key} over-long`, req({ ...input, [key]: '9'.repeat(5000) }));
    }
    add(`${infno} extra field`, req({ ...input, extra_field: 'x' }));
    add(`${infno} input array`, req([input]));
  }
  // The harness's own calls are not platform transactions: on the platform endpoint they are unknown.
  for (const n of ['9101', '9103', '9109', '9123']) add(`former control number ${n} on the platform endpoint`, env(n, {}, { infno: n }));
  for (const k of ['psn_no', 'mdtrt_cert_no', 'mdtrt_id']) add(`2207 ${k} SQL`, env('2207', { ...settleIn, [k]: `${settleIn[k as keyof typeof settleIn]}' OR '1'='1` }));
  add('1101 card SQL', env('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: "A' OR 1=1" }));

  // 4. Amounts.
  for (const [n, v] of [['negative', '-50.00'], ['fractional fen', '50.001'], ['fractional fen number', 50.001], ['huge', '1000000000000.00'], ['huge number', 1e20], ['exponent', '5e1'],
    ['float noise', 0.1 + 0.2], ['thousands separator', '1,000.00'], ['currency sign', '¥50.00'], ['blank', ' '], ['NaN text', 'NaN'], ['Infinity text', 'Infinity'],
    ['leading plus', '+50.00'], ['leading zeros', '0050.00'], ['hex', '0x32'], ['boolean', true], ['trailing dot', '50.']] as const) {
    add(`medfee_sumamt ${n}`, env('2207', { ...settleIn, medfee_sumamt: v }));
  }
  const fee = (o: Record<string, unknown>) => env('2204', { feedetail: [{ ...line('9', 'A001', '10.00'), mdtrt_id: id, psn_no: p.psn, ...o }] });
  for (const [n, o] of [['negative amount', { det_item_fee_sumamt: '-10.00', pric: '-10.00' }], ['zero amount', { det_item_fee_sumamt: '0.00', pric: '0.00' }],
    ['fractional fen', { det_item_fee_sumamt: '10.005', pric: '10.005' }], ['amount ≠ price × count', { det_item_fee_sumamt: '11.00' }], ['zero count', { cnt: 0 }],
    ['negative count', { cnt: -1 }], ['count 5 decimals', { cnt: '1.00001' }], ['huge count', { cnt: 10_000_000 }], ['bad time', { fee_ocur_time: 'yesterday' }],
    ['catalogue code SQL', { med_list_codg: "A001'--" }], ['feedetl_sn over-long', { feedetl_sn: 'x'.repeat(31) }], ['other visit', { mdtrt_id: 'MD0' }]] as const) add(`2204 ${n}`, fee(o));
  add('2204 empty list', env('2204', { feedetail: [] }));
  add('2204 over 500 lines', env('2204', { feedetail: Array.from({ length: 501 }, (_, i) => ({ ...line(`L${i}`, 'A001', '1.00'), mdtrt_id: id, psn_no: p.psn })) }));
  add('2204 duplicate sn in one upload', env('2204', { feedetail: [1, 2].map(() => ({ ...line('D', 'A001', '1.00'), mdtrt_id: id, psn_no: p.psn })) }));
  add('2204 sn already uploaded', fee({ feedetl_sn: '1' }));
  add('2204 lines of two visits', env('2204', { feedetail: [{ ...line('a', 'A001', '1.00'), mdtrt_id: id, psn_no: p.psn }, { ...line('b', 'A001', '1.00'), mdtrt_id: empty.data.mdtrt_id, psn_no: p.psn }] }));

  // 5. Unknown people, cards, institutions; wrong order of states.
  add('1101 unknown card', env('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: 'Z99999999' }));
  add('1101 unknown ID number', env('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: '500000199001019993' }));
  add('1101 unknown e-voucher', env('1101', { mdtrt_cert_type: '01', mdtrt_cert_no: 'EV404' }));
  add('1101 name mismatch', env('1101', { ...valid1101, psn_name: '别人' }));
  add('2201 unknown person', env('2201', { ...templates['2201'], psn_no: 'P404' }));
  add('2201 wrong insutype', env('2201', { ...templates['2201'], insutype: '390' }));
  add('2201 duplicate outpatient number', env('2201', { ...templates['2201'], ipt_otp_no: settledMz }));
  add('2201 ID card number of someone else', env('2201', { ...templates['2201'], mdtrt_cert_type: '02', mdtrt_cert_no: 'x' }));
  add('settle before registering', env('2207', { ...settleIn, mdtrt_id: 'MD000000' }));
  add('settle with no fee lines', env('2207', { ...settleIn, mdtrt_id: empty.data.mdtrt_id, medfee_sumamt: '0.01' }));
  add('settle with a wrong total', env('2207', { ...settleIn, medfee_sumamt: '49.99' }));
  add('settle twice', env('2207', { ...settleIn, mdtrt_id: settled.data.mdtrt_id, medfee_sumamt: '10.00' }));
  add('settle someone else\'s visit', env('2207', { ...settleIn, psn_no: 'P404' }));
  add('settle outpatient as inpatient', env('2304', settleIn));
  add('settle with med_type 21 at 2207', env('2207', { ...settleIn, med_type: '21' }));
  add('settle with a declared covered amount that is wrong', env('2207', { ...settleIn, inscp_scp_amt: '1.00' }));
  add('reverse an unsettled visit', env('2208', { setl_id: 'ST000', mdtrt_id: id, psn_no: p.psn }));
  add('reverse with the wrong visit', env('2208', { setl_id: st.setlinfo.setl_id, mdtrt_id: id, psn_no: p.psn }));
  add('cancel registration of a settled visit', env('2202', { psn_no: p.psn, mdtrt_id: settled.data.mdtrt_id, ipt_otp_no: settledMz }));
  add('upload fees to a settled visit', fee({ mdtrt_id: settled.data.mdtrt_id }));
  add('discharge an outpatient visit', env('2402', { mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-16 09:00:00' }));
  add('inpatient fees on an outpatient visit', env('2301', { feedetail: [{ ...line('9', 'A001', '10.00'), mdtrt_id: id, psn_no: p.psn }] }));
  add('5203 neither id', env('5203', { psn_no: p.psn }));
  add('5203 unknown setl_id', env('5203', { psn_no: p.psn, setl_id: 'ST404' }));
  add('cancel fees unknown sn', env('2205', { mdtrt_id: id, psn_no: p.psn, feedetl_sn: 'nope' }));
  add('visit info for unknown visit', env('2203', { mdtrt_id: 'MD404', psn_no: p.psn, med_type: '11', begntime: '2024-03-15 09:00:00' }));
  // The control API (the agency's side).
  add('card card for unknown person', ctl('card', { card_no: 'Y00000001', card_sn: 'AB'.repeat(16), psn_no: 'P404', issue_date: '2024-01-01', expiry_date: '2030-01-01', admvs: CQ }));
  add('card second valid card', ctl('card', { card_no: 'Y00000002', card_sn: 'AB'.repeat(16), psn_no: p.psn, issue_date: '2024-01-01', expiry_date: '2030-01-01', admvs: CQ }));
  add('card card number 8 chars', ctl('card', { card_no: 'Y0000001', card_sn: 'AB'.repeat(16), psn_no: p.psn, issue_date: '2024-01-01', expiry_date: '2030-01-01', admvs: CQ }));
  add('card-activation activate an active card', ctl('card-activation', { card_no: p.card }));
  add('card-activation unknown card', ctl('card-activation', { card_no: 'Z00000000' }));
  add('card-replacement replace a card not reported lost', ctl('card-replacement', { old_card_no: p.card, card_no: 'Y00000003', card_sn: 'AB'.repeat(16), expiry_date: '2030-01-01' }));
  add('opening-balance zero amount', ctl('opening-balance', { psn_no: p.psn, amount: '0.00' }));
  add('opening-balance negative amount', ctl('opening-balance', { psn_no: p.psn, amount: '-1.00' }));
  add('monthly-credit months 13', ctl('monthly-credit', { psn_no: p.psn, months: 13 }));
  add('monthly-credit months fractional', ctl('monthly-credit', { psn_no: p.psn, months: 1.5 }));
  add('monthly-credit bad period', ctl('monthly-credit', { psn_no: p.psn, period: '2024-13' }));
  add('year-end-close year out of range', ctl('year-end-close', { year: 1800 }));
  add('employer-arrears unknown employer', ctl('employer-arrears', { emp_no: 'E404' }));
  add('arrears-paid employer without arrears', ctl('arrears-paid', { emp_no: 'E500001' }));
  add('cross-region-filing filing for the home region', ctl('cross-region-filing', { psn_no: p.psn, mdtrtarea_admvs: CQ, begndate: '2024-01-01' }));
  add('cross-region-filing end before begin', ctl('cross-region-filing', { psn_no: p.psn, mdtrtarea_admvs: '110000', begndate: '2024-05-01', enddate: '2024-01-01' }));
  add('cash-claim unknown reason', ctl('cash-claim', { psn_no: p.psn, reason: 'because' }));
  add('cash-claim no visit given', ctl('cash-claim', { psn_no: p.psn, reason: 'emergency' }));
  add('cash-claim settled visit', ctl('cash-claim', { psn_no: p.psn, reason: 'emergency', mdtrt_id: settled.data.mdtrt_id }));
  add('cash-claim unknown institution', ctl('cash-claim', { psn_no: p.psn, reason: 'emergency', fixmedins_code: 'H404', invono: 'I1', med_type: '11', begntime: '2024-03-10 10:00:00', feedetail: [line('1', 'A001', '1.00')] }));
  add('cash-claim non-designated institution', ctl('cash-claim', { psn_no: p.psn, reason: 'emergency', fixmedins_code: 'H50000000009', invono: 'I1', med_type: '11', begntime: '2024-03-10 10:00:00', feedetail: [line('1', 'A001', '1.00')] }));
  add('claim unknown claim', ctl('claim', { claim_id: 'CL404' }));
  add('balance unknown person', ctl('balance', { psn_no: 'P404' }));
  add('receipts nothing asked', ctl('receipts', {}));
  add('receipts unknown receipt', ctl('receipts', { receipt_id: 'R404' }));
  add('ledger-check with input', ctl('ledger-check', { x: 1 }));
  add('institution hospital level 4', ctl('institution', { fixmedins_code: 'H1', fixmedins_name: 'x', admvs: CQ, hosp_lv: 4, fixmedins_type: 'hospital', designated: true }));
  add('catalogue-item selfpay_prop on class A', ctl('catalogue-item', { med_list_codg: 'A999', name: 'x', cls: 'A', selfpay_prop: '0.10' }));
  add('catalogue-item duplicate code', ctl('catalogue-item', { med_list_codg: 'A001', name: 'x', cls: 'A' }));
  add('person bad ID number', ctl('person', { ...templates['person'], psn_no: 'PNEW1', certno: '12345' }));
  add('person unknown employer', ctl('person', { ...templates['person'], psn_no: 'PNEW2', certno: '500000199001010016', emp_no: 'E404' }));
  add('person invalid birth date', ctl('person', { ...templates['person'], psn_no: 'PNEW3', certno: '500000199001010024', brdy: '1990-02-30' }));

  const kinds = new Set(cases.map((x) => x.name));
  assert.ok(kinds.size >= 200, `only ${kinds.size} kinds`);
  const failures: string[] = [];
  for (const k of cases) {
    const res = k.op !== undefined ? await c.agency.raw(k.op, k.body) : await http.raw(typeof k.body === 'string' ? k.body : JSON.stringify(k.body));
    if (res.infcode !== -1 || !res.err_msg || !/[\u4e00-\u9fff]/.test(res.err_msg) || res.output !== null) failures.push(`${k.name}: ${JSON.stringify(res).slice(0, 200)}`);
    if (process.env.SHOW_ERRORS) console.log(`${k.name} → ${res.err_msg}`);
  }
  assert.deepEqual(failures, []);
  const afterCheck = await c.agency.ledgerCheck();
  assert.equal(afterCheck.digest, before.digest);
  assert.equal(afterCheck.entries, before.entries);
  assert.equal((await c.agency.balance(p.psn)).balc, '290.00');
  console.log(`# ${kinds.size} kinds of malformed requests refused`);
});
