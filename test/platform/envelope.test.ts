// A vendor request corpus: messages shaped as public HIS integrations send them (empty
// strings for absent fields, amounts as strings and as numbers, envelope fields the engine
// does not use, the nested input forms), posted over HTTP to the gateway path and to the
// per-service paths; each answered in the platform's envelope, signed with the institution's
// key. Malformed envelope fields are refused by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Engine } from '../../engine';
import { ENDPOINT, signature, signatureHolds, type Response } from '../../platform';
import { servedBaseWorld, type clients, person, testKey, uniq, CQ } from '../engine/helpers';

const TODAY = '2024-03-15 09:00:00';
const CODE = 'H50000000003';
const KEY = testKey(CODE);
let engine: Engine;
let url: string;
let c: ReturnType<typeof clients>;

before(async () => { ({ engine, url, c } = await servedBaseWorld(TODAY)); });
after(async () => { await engine.close(); });

let seq = 0;
/** institution code + yyyyMMddHHmmss + 4-digit sequence, as HIS code writes it. */
const msgid = () => `${CODE}${TODAY.replace(/[- :]/g, '')}${String(++seq).padStart(4, '0')}`;

/** An envelope as a vendor's HIS fills it: every field present, empty strings where it has nothing, fields we do not use. */
function vendor(infno: string, input: unknown, signNo = '', o: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    infno, msgid: msgid(), mdtrtarea_admvs: CQ, insuplc_admdvs: '', recer_sys_code: 'YBXT', dev_no: '', dev_safe_info: '', cainfo: '',
    signtype: 'SM3', infver: 'V1.0', opter_type: '1', opter: '0001', opter_name: '收费员', inf_time: TODAY, fixmedins_code: CODE,
    fixmedins_name: '重庆市第一人民医院', sign_no: signNo, recer_admdvs: CQ, sender_admdvs: CQ, pay_loc: '1', enctype: '', fixmedins_soft_fcty: '某HIS厂商',
    input, ...o,
  };
  body.cainfo = signature(body, KEY, 'SM3');
  return body;
}

function post(path: string, body: unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json;charset=UTF-8' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Response); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Answered with infcode 0 in the platform's envelope format, signed with the institution's key. */
function ok<O = Record<string, any>>(res: Response): O {
  assert.equal(res.infcode, 0, res.err_msg ?? '');
  assert.match(res.inf_refmsgid, /^500000\d{14}\d{10}$/);
  assert.match(res.refmsg_time, /^20\d{15}$/);
  assert.match(res.respond_time, /^20\d{15}$/);
  assert.ok(res.respond_time >= res.refmsg_time);
  assert.equal(res.signtype, 'SM3');
  assert.ok(signatureHolds(res as unknown as Record<string, unknown>, KEY), 'the answer\'s cainfo holds under the institution\'s key');
  return res.output as O;
}

test('a vendor HIS session, gateway and per-service paths: 9001, 1101, 2201, 2203, 2204, 2206, 2207, 5203, 9002', async () => {
  const p = await person(c.agency, { opening: '200.00' });
  const signIn = ok(await post('/fsi/api/signInSignOutService/signIn', vendor('9001', { signIn: { opter_no: '0001', mac: '00-1C-42-2E-60-4A', ip: '10.1.2.3' } })));
  const sn: string = signIn.signinoutb.sign_no;
  const who = ok(await post('/fsi/api/fsiPsnInfoService/queryPsnInfo', vendor('1101', { data: {
    mdtrt_cert_type: '03', mdtrt_cert_no: p.card, card_sn: '', begntime: '', psn_cert_type: '', certno: '', psn_name: '',
  } }, sn)));
  assert.equal(who.baseinfo.psn_no, p.psn);
  const insuplc = { insuplc_admdvs: who.insuinfo[0].insuplc_admdvs };
  const reg = ok(await post(ENDPOINT, vendor('2201', { data: {
    psn_no: p.psn, insutype: '310', begntime: TODAY, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, card_sn: '', ipt_otp_no: uniq('MZ'),
    atddr_no: '', dr_name: '张医生', dept_code: '01', dept_name: '内科', caty: '', psn_cert_type: '', certno: '', psn_type: '', psn_name: '',
  } }, sn, insuplc)));
  const id: string = reg.data.mdtrt_id;
  ok(await post('/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUp', vendor('2203', {
    mdtrtinfo: { mdtrt_id: id, psn_no: p.psn, med_type: '11', begntime: TODAY, main_cond_dscr: '', dise_codg: '', dise_name: '', birctrl_type: '', birctrl_matn_date: '' },
    diseinfo: [{ diag_type: '1', diag_srt_no: '1', diag_code: 'J06.900', diag_name: '急性上呼吸道感染', diag_dept: '内科', dise_dor_no: '', dise_dor_name: '', diag_time: TODAY, vali_flag: '1' }],
  }, sn, insuplc)));
  // Amounts as numbers and as strings, counts as strings.
  const fees = ok(await post('/fsi/api/outpatientDocInfoService/outpatientFeeListUp', vendor('2204', { feedetail: [
    { feedetl_sn: '1', mdtrt_id: id, psn_no: p.psn, chrg_bchno: '', dise_codg: '', rxno: '', rx_circ_flag: '0', fee_ocur_time: TODAY, med_list_codg: 'A001', medins_list_codg: '',
      det_item_fee_sumamt: 30.5, cnt: '1', pric: '30.50', sin_dos_dscr: '', used_frqu_dscr: '', prd_days: '', medc_way_dscr: '', bilg_dept_codg: '01', bilg_dept_name: '内科',
      bilg_dr_codg: '', bilg_dr_name: '', acord_dept_codg: '', acord_dept_name: '', orders_dr_code: '', orders_dr_name: '', hosp_appr_flag: '', tcmdrug_used_way: '',
      etip_flag: '', etip_hosp_code: '', dscg_tkdrug_flag: '', matn_fee_flag: '' },
    { feedetl_sn: '2', mdtrt_id: id, psn_no: p.psn, fee_ocur_time: TODAY, med_list_codg: 'B001', det_item_fee_sumamt: '19.50', cnt: 3, pric: 6.5, rxno: '' },
  ] }, sn, insuplc)));
  assert.deepEqual(fees.result.map((l: { det_item_fee_sumamt: string }) => l.det_item_fee_sumamt), ['30.50', '19.50']);
  const settle = (amount: string | number) => ({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, card_sn: '', med_type: '11', medfee_sumamt: amount,
    psn_setlway: '01', mdtrt_id: id, chrg_bchno: '', insutype: '310', acct_used_flag: '1', invono: '' });
  const pre = ok(await post('/fsi/api/outpatientSettleService/preSettletment', vendor('2206', { data: settle(50) }, sn, insuplc)));
  const st = ok(await post('/fsi/api/outpatientSettleService/saveSettletmentV2', vendor('2207', { data: settle('50.00') }, sn, insuplc)));
  assert.equal(st.setlinfo.medfee_sumamt, '50.00');
  assert.equal(st.setlinfo.fund_pay_sumamt, pre.setlinfo.fund_pay_sumamt);
  const q = ok(await post('/fsi/api/fsiIntegratedQueryService/querySetlInfo', vendor('5203', { data: { psn_no: p.psn, setl_id: st.setlinfo.setl_id, mdtrt_id: id } }, sn, insuplc)));
  assert.equal(q.setlinfo.setl_stas, 'settled');
  // 9002: the sign_no is spent.
  const out = ok(await post('/fsi/api/signInSignOutService/signOut', vendor('9002', { signOut: { sign_no: sn, opter_no: '0001' } }, sn)));
  assert.equal(out.signoutoutb.sign_no, sn);
  const after = await post(ENDPOINT, vendor('1101', { data: { mdtrt_cert_type: '03', mdtrt_cert_no: p.card } }, sn));
  assert.match(after.err_msg ?? '', /签到编号 sign_no=\S+ 无效，请重新签到（9001）/);
});

test('a per-service path takes only its own transaction; the gateway takes all', async () => {
  const sn = (ok(await post(ENDPOINT, vendor('9001', { signIn: { opter_no: '0001' } }))) as { signinoutb: { sign_no: string } }).signinoutb.sign_no;
  const p = await person(c.agency, {});
  const lookup = { data: { mdtrt_cert_type: '03', mdtrt_cert_no: p.card } };
  const wrong = await post('/fsi/api/outpatientSettleService/saveSettletmentV2', vendor('1101', lookup, sn));
  assert.equal(wrong.infcode, -1);
  assert.match(wrong.err_msg ?? '', /交易编号 infno=1101 不能发到 \/fsi\/api\/outpatientSettleService\/saveSettletmentV2：该路径只受理 2207/);
  ok(await post('/fsi/api/fsiPsnInfoService/queryPsnInfo', vendor('1101', lookup, sn)));
  ok(await post('/', vendor('1101', lookup, sn)));
});

test('malformed envelope fields are refused by name; unimplemented transactions are told apart from malformed infnos', async () => {
  const sn = (ok(await post(ENDPOINT, vendor('9001', {}))) as { signinoutb: { sign_no: string } }).signinoutb.sign_no;
  const input = { data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'A50000001' } };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ msgid: 'MSG20240315090000' }, /报文ID msgid=MSG20240315090000 格式不符：应以定点医药机构编号 H50000000003 开头/],
    [{ msgid: `${CODE}20240315090000001` }, /msgid=\S+ 格式不符：机构编号之后应为时间 yyyyMMddHHmmss（14 位）\+ 顺序号（4 位）/],
    [{ msgid: `${CODE}202413150900000001` }, /msgid=\S+ 格式不符：时间 20241315090000 不是有效的 yyyyMMddHHmmss/],
    [{ opter_type: '9' }, /报文\.opter_type（经办人类别）/],
    [{ recer_admdvs: 'CQ' }, /报文\.recer_admdvs（接收方医保区划）/],
    [{ inf_time: '20240315090000' }, /报文\.inf_time（交易时间）/],
    [{ infno: '11O1' }, /报文\.infno（交易编号） 格式不正确，应为4 位数字/],
    [{ infno: '4101' }, /^本引擎未实现交易 4101（结算清单信息上传）/],
    [{ infno: '3101' }, /^本引擎未实现交易 3101（事前明细审核）/],
    [{ infno: '4444' }, /^本引擎未实现交易 4444：已实现的交易见 engine\/README\.md/],
  ];
  for (const [o, re] of cases) {
    const body = vendor(String(o.infno ?? '1101'), input, sn, o);
    const res = await post(ENDPOINT, body);
    assert.equal(res.infcode, -1, JSON.stringify(o));
    assert.match(res.err_msg ?? '', re);
    assert.match(res.inf_refmsgid, /^\d{30}$/);
    assert.equal(res.cainfo, null, 'a refusal before the sender is established is not signed');
  }
});

test('the answer\'s signature covers it: a changed answer no longer verifies; a replay is the same signed answer', async () => {
  const body = vendor('9001', {});
  const first = await post(ENDPOINT, body);
  ok(first);
  assert.deepEqual(await post(ENDPOINT, body), first);
  const changed = { ...first, output: { signinoutb: { sign_no: 'SN-FORGED', sign_time: TODAY } } };
  assert.ok(!signatureHolds(changed as unknown as Record<string, unknown>, KEY));
  assert.ok(!signatureHolds(first as unknown as Record<string, unknown>, testKey('H50000000001')));
});
