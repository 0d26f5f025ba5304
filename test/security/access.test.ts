// Who may do what, tried as an attacker would over real HTTP on 127.0.0.1: the harness's
// control API needs the run's token and is not on the platform endpoint; every platform
// request is signed over the whole message, fresh, and signed in; institutions see only
// their own settlements, and their msgids are their own. Each refused attempt leaves the
// ledger checksum exactly as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createEngine, type Engine } from '../../engine';
import { ControlClient, PlatformClient, type Response, type SettleInput } from '../../platform';
import { servedBaseWorld, type clients, institutionClient, line, person, uniq, CQ } from '../engine/helpers';

let engine: Engine;
let url: string;
let c: ReturnType<typeof clients>;
const TODAY = '2024-03-15 09:00:00';

before(async () => { ({ engine, url, c } = await servedBaseWorld(TODAY)); });
after(async () => { await engine.close(); });

const ledger = async () => {
  const l = await c.agency.ledgerCheck();
  return { digest: l.digest, sum: l.sum, entries: l.entries };
};
/** `attempt` is refused (infcode ≠ 0, its message matching) and the ledger does not move. */
async function refused(attempt: () => Promise<Response>, re: RegExp): Promise<Response> {
  const before = await ledger();
  const res = await attempt();
  assert.notEqual(res.infcode, 0, JSON.stringify(res));
  assert.match(res.err_msg ?? '', re);
  assert.deepEqual(await ledger(), before);
  return res;
}
/** A raw POST, as any program on the machine could send it. */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Response); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(body);
  });
}
/** A registered visit with its fees uploaded at h3, ready to settle; its settle input. */
async function readyVisit(amount = '50.00'): Promise<SettleInput & { mdtrt_id: string }> {
  const p = await person(c.agency, { opening: '500.00' });
  const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: TODAY, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
  await c.h3.uploadFees([{ ...line('1', 'A001', amount), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
  return { psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: amount, mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' };
}
const credit = (psn: string) => JSON.stringify({ id: `attack-${uniq('A')}`, time: TODAY, input: { psn_no: psn, amount: '100000.00', bucket: 'current' } });

test('the control API refuses a call without the run\'s token, with a wrong one, and an institution\'s signed request', async () => {
  const p = await person(c.agency, { opening: '25.00' });
  await refused(() => post('/medcard/control/opening-balance', credit(p.psn)), /令牌/);
  await refused(() => post('/medcard/control/opening-balance', credit(p.psn), { authorization: 'Bearer guessed-token' }), /令牌/);
  await refused(() => post('/medcard/control/opening-balance', credit(p.psn), { authorization: `Bearer ${engine.controlToken}x` }), /令牌/);
  // A hospital's own, properly signed envelope, sent to the control path: no token, no entry.
  const signed = c.h3.envelope('2201', { psn_no: p.psn } as never);
  await refused(() => post('/medcard/control/opening-balance', JSON.stringify(signed)), /令牌/);
  assert.equal((await c.agency.balance(p.psn)).balc, '25.00');
  // With the token, the same call goes through (the refusals were for the token, nothing else).
  const ok = await post('/medcard/control/opening-balance', credit(p.psn), { authorization: `Bearer ${engine.controlToken}` });
  assert.equal(ok.infcode, 0, ok.err_msg ?? '');
  assert.equal((await c.agency.balance(p.psn)).balc, '100025.00');
});

test('the platform endpoint answers only platform transactions: the harness\'s former 91xx numbers are unknown there', async () => {
  const p = await person(c.agency, { opening: '25.00' });
  for (const [infno, input] of [
    ['9109', { psn_no: p.psn, amount: '100000.00', bucket: 'current' }],
    ['9103', { fixmedins_code: 'HFAKE0000001', fixmedins_name: '冒牌医院', admvs: CQ, hosp_lv: 3, fixmedins_type: 'hospital', designated: true }],
    ['9124', { certno: p.certno }],
  ] as const) {
    await refused(() => c.h3.raw(c.h3.envelope(infno as never, input as never)), new RegExp(`本引擎未实现交易 ${infno}`));
  }
  assert.equal((await c.agency.balance(p.psn)).balc, '25.00');
});

test('signatures cover the whole message: changed input, a signature taken from another visit, none, an unknown type', async () => {
  const a = await readyVisit('50.00');
  const b = await readyVisit('80.00');
  const envA = c.h3.envelope('2207', a);
  // The amount changed in transit: the signature no longer holds.
  await refused(() => c.h3.raw({ ...envA, input: { ...a, medfee_sumamt: '5.00' } }), /数字签名 cainfo 校验失败/);
  // Visit A's signature on visit B's message.
  await refused(() => c.h3.raw({ ...c.h3.envelope('2207', b), cainfo: envA.cainfo }), /数字签名 cainfo 校验失败/);
  await refused(() => c.h3.raw({ ...envA, cainfo: '', signtype: '' }), /签名类型 signtype= 不受支持/);
  await refused(() => c.h3.raw({ ...envA, signtype: 'MOCK' }), /签名类型 signtype=MOCK 不受支持：应为 SM3 或 SHA256/);
  // The untouched messages settle.
  for (const m of [envA, c.h3.envelope('2207', b)]) {
    const res = await c.h3.raw(m);
    assert.equal(res.infcode, 0, res.err_msg ?? '');
  }
});

test('inf_time must lie near the institution\'s business clock: 2001 is refused, and so is tomorrow', async () => {
  const v = await readyVisit();
  for (const time of ['2001-01-01 09:00:00', '2024-03-16 09:00:00']) {
    await refused(() => c.h3.raw(c.h3.envelope('2207', v, { inf_time: time })), new RegExp(`交易时间 inf_time=${time} 与业务时钟相差 -?\\d+ 秒，超过允许的 300 秒`));
  }
  const ok = await c.h3.raw(c.h3.envelope('2207', v, { inf_time: '2024-03-15 09:02:00' }));
  assert.equal(ok.infcode, 0, ok.err_msg ?? '');
});

test('business transactions need a sign_no that this institution got from 9001', async () => {
  const v = await readyVisit();
  const noSignIn = institutionClient({ url }, 'H50000000003', CQ, TODAY);
  await refused(() => noSignIn.raw(noSignIn.envelope('2207', v)), /缺少签到编号 sign_no：请先签到（9001）/);
  // Another institution's sign_no does not do either.
  await refused(() => noSignIn.raw(noSignIn.envelope('2207', v, { sign_no: c.h1.signNo })), /签到编号 sign_no=\S+ 无效，请重新签到（9001）/);
});

test('5203 answers an institution only about its own settlements, and settlement ids cannot be guessed', async () => {
  const v = await readyVisit('60.00');
  const st = await c.h3.settle(v);
  // Another hospital asks for it by setl_id and by mdtrt_id: not found, nothing of it shown.
  for (const input of [{ psn_no: v.psn_no, setl_id: st.setlinfo.setl_id }, { psn_no: v.psn_no, mdtrt_id: v.mdtrt_id }]) {
    const res = await c.h1.raw(c.h1.envelope('5203', input));
    assert.equal(res.infcode, -1);
    assert.doesNotMatch(JSON.stringify(res), new RegExp(`${st.setlinfo.psn_name}|${st.setlinfo.certno}|60\\.00`));
  }
  assert.equal((await c.h3.querySettlement({ psn_no: v.psn_no, setl_id: st.setlinfo.setl_id })).setlinfo.setl_stas, 'settled');
  // Two settlements one after the other: ids with an unpredictable part.
  const next = await c.h3.settle(await readyVisit('61.00'));
  const id = /^ST(\d{8})(\d{8})([0-9A-F]{8})$/;
  const [a, b] = [id.exec(st.setlinfo.setl_id), id.exec(next.setlinfo.setl_id)];
  assert.ok(a && b, `${st.setlinfo.setl_id} ${next.setlinfo.setl_id}`);
  assert.notEqual(a[3], b[3]);
});

test('a msgid is the sender\'s own: another party using an institution\'s next msgid first does not block it', async () => {
  const v = await readyVisit();
  const msgid = c.h3.msgid();
  // Hospital H1 sends something under H3's next msgid first: not of H1's form, refused, not kept.
  const squat = await c.h1.raw(c.h1.envelope('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: v.mdtrt_cert_no }, { msgid }));
  assert.match(squat.err_msg ?? '', /报文ID msgid=\S+ 格式不符：应以定点医药机构编号 H50000000001 开头/);
  const real = await c.h3.raw(c.h3.envelope('2207', v, { msgid }));
  assert.equal(real.infcode, 0, real.err_msg ?? '');
  assert.ok((real.output as { setlinfo?: unknown }).setlinfo, 'H3 got its own settlement, not H1\'s answer');
  // The same sender reusing its msgid still gets its first answer (idempotent).
  assert.deepEqual(await c.h3.raw(c.h3.envelope('2207', v, { msgid })), real);
});

test('--signatures off (debugging a first connection) says so in every answer', async () => {
  const open = await createEngine({ world: 'empty', signatures: 'off' });
  try {
    const ctl = new ControlClient({ handle: open.control, token: open.controlToken });
    const made = await ctl.createInstitution({ fixmedins_code: 'H50000000066', fixmedins_name: '调试医院', admvs: CQ, hosp_lv: 2, fixmedins_type: 'hospital', designated: true });
    assert.ok(made.key);
    // Unsigned, with a stale inf_time: both would be refused with signatures on.
    const unsigned = new PlatformClient({ handle: open.handle, fixmedinsCode: 'H50000000066', regionCode: CQ });
    unsigned.clock.set('2001-01-01 09:00:00');
    const res = await unsigned.raw(unsigned.envelope('9001', {}));
    assert.equal(res.infcode, 0, res.err_msg ?? '');
    assert.match(res.warn_msg ?? '', /签名校验已关闭（--signatures off），仅供调试/);
    const refusedToo = await unsigned.raw(unsigned.envelope('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: 'X00000000' }));
    assert.match(refusedToo.warn_msg ?? '', /签名校验已关闭/);
  } finally {
    await open.close();
  }
});
