// 2601 冲正 over real HTTP: a settlement whose answer the network drops (a proxy forwards
// the request, lets the engine commit and answer, then cuts the HIS's connection), then
// 2601 undoes it to the ledger checksum of before, and a retry under a new msgid settles
// once. Also registration and fee upload, a msgid that never arrived, another sender's msgid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createEngine, type Engine } from '../../engine';
import type { PlatformClient, SettleInput } from '../../platform';
import { baseWorld, clients, institutionClient, line, person, uniq, CQ } from './helpers';

const TODAY = '2024-03-15 09:00:00';
let engine: Engine;
let url: string;
let proxy: http.Server;
let proxyUrl: string;
let c: ReturnType<typeof clients>;

/** Forwards each request to the engine, reads the whole answer (the engine has committed), then cuts the client's connection. */
function cuttingProxy(target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const fwd = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        answer.resume();
        answer.on('end', () => res.socket?.destroy());
      });
      fwd.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  engine = await createEngine({ world: 'empty' });
  url = (await engine.listen(0, '127.0.0.1')).url;
  c = clients(engine, TODAY, url);
  await baseWorld(c.agency, c.all);
  proxy = await cuttingProxy(url);
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
after(async () => {
  await new Promise((r) => proxy.close(r));
  await engine.close();
});

const ledger = async () => { const l = await c.agency.ledgerCheck(); return { digest: l.digest, entries: l.entries, sum: l.sum }; };

/** h3's client through the cutting proxy, on h3's sign_no. */
function throughCut(): PlatformClient {
  const cut = institutionClient({ url: proxyUrl }, 'H50000000003', CQ, TODAY);
  cut.signNo = c.h3.signNo;
  return cut;
}

async function readyVisit(amount: string) {
  const p = await person(c.agency, { opening: '500.00' });
  const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: TODAY, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
  await c.h3.uploadFees([{ ...line('1', 'A001', amount), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
  const input: SettleInput = { psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: amount, mdtrt_id: reg.data.mdtrt_id, acct_used_flag: '1' };
  return { p, input };
}

const reverse = (h: PlatformClient, psn: string, omsgid: string, oinfno: string, o: { msgid?: string } = {}) => h.call('2601', { psn_no: psn, omsgid, oinfno }, o);

test('a settlement whose answer the network cut is undone by 2601 to the ledger of before; a retry settles once', async () => {
  const { p, input } = await readyVisit('80.00');
  const before = await ledger();
  const balcBefore = (await c.agency.balance(p.psn)).balc;
  const cut = throughCut();
  const omsgid = cut.msgid();
  await assert.rejects(cut.settle(input, { msgid: omsgid }), /did not answer/);
  assert.notDeepEqual(await ledger(), before, 'the engine committed the settlement before the cut');

  const rmsgid = c.h3.msgid();
  const undone = await reverse(c.h3, p.psn, omsgid, '2207', { msgid: rmsgid });
  assert.equal(undone.data.rvs_stas, '1');
  assert.match(undone.data.memo, /结算ID ST\w+ 已冲正/);
  assert.deepEqual(await ledger(), before);
  assert.equal((await c.agency.balance(p.psn)).balc, balcBefore);
  // Idempotent by its own msgid; a second 2601 finds nothing left; the original msgid says it was reversed.
  assert.deepEqual(await reverse(c.h3, p.psn, omsgid, '2207', { msgid: rmsgid }), undone);
  assert.equal((await reverse(c.h3, p.psn, omsgid, '2207')).data.rvs_stas, '0');
  await assert.rejects(c.h3.settle(input, { msgid: omsgid }), /已由 2601 冲正/);
  assert.deepEqual(await ledger(), before);

  const st = await c.h3.settle(input);
  assert.equal((await c.agency.balance(p.psn)).balc, (Number(balcBefore) - Number(st.setlinfo.acct_pay)).toFixed(2));
  assert.equal((await c.agency.history(p.psn)).settlements.length, 1);
});

test('2601 of a registration cancels it; of a fee upload removes its lines', async () => {
  const p = await person(c.agency, { opening: '100.00' });
  const regMsgid = c.h3.msgid();
  const reg = await c.h3.register({ psn_no: p.psn, insutype: '310', begntime: TODAY, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') }, { msgid: regMsgid });
  const id = reg.data.mdtrt_id;
  const feeMsgid = c.h3.msgid();
  await c.h3.uploadFees([{ ...line('1', 'A001', '20.00'), mdtrt_id: id, psn_no: p.psn }], { msgid: feeMsgid });
  const fees = await reverse(c.h3, p.psn, feeMsgid, '2204');
  assert.equal(fees.data.rvs_stas, '1');
  assert.match(fees.data.memo, /1 条费用明细已删除/);
  // The line is gone: the same feedetl_sn uploads again.
  await c.h3.uploadFees([{ ...line('1', 'A001', '20.00'), mdtrt_id: id, psn_no: p.psn }]);
  const regUndone = await reverse(c.h3, p.psn, regMsgid, '2201');
  assert.equal(regUndone.data.rvs_stas, '1');
  await assert.rejects(c.h3.settle({ psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '11', medfee_sumamt: '20.00', mdtrt_id: id, acct_used_flag: '1' }), /已撤销挂号/);
});

test('2601 of a msgid that never arrived books nothing and keeps the late original out; another sender\'s msgid is not its to undo', async () => {
  const { p, input } = await readyVisit('40.00');
  const lost = c.h3.msgid();
  const nothing = await reverse(c.h3, p.psn, lost, '2207');
  assert.deepEqual([nothing.data.rvs_stas, nothing.data.memo], ['0', '原交易未被受理，没有可冲正的记账']);
  const before = await ledger();
  await assert.rejects(c.h3.settle(input, { msgid: lost }), /已由 2601 冲正/);
  assert.deepEqual(await ledger(), before);

  const msgid = c.h3.msgid();
  await c.h3.settle(input, { msgid });
  const settled = await ledger();
  // H1 names H3's msgid: under H1 there is no such message; H3's settlement stands.
  assert.equal((await reverse(c.h1, p.psn, msgid, '2207')).data.rvs_stas, '0');
  assert.deepEqual(await ledger(), settled);
  // The wrong person, the wrong original transaction: refused by name.
  await assert.rejects(reverse(c.h3, 'P500000000001', msgid, '2207'), /input\.psn_no（人员编号）P500000000001 与原交易的人员不符/);
  await assert.rejects(reverse(c.h3, p.psn, msgid, '2304'), /input\.oinfno（原交易编号）2304 与报文 \S+ 的交易编号 2207 不符/);
  assert.deepEqual(await ledger(), settled);
});

test('inpatient: 2601 of a 2304 settlement cut by the network restores the ledger; of the 2401 admission, once the settlement is undone', async () => {
  const p = await person(c.agency, { opening: '100.00' });
  const admMsgid = c.h3.msgid();
  const adm = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', ipt_no: uniq('ZY'), begntime: '2024-03-10 08:00:00' }, { msgid: admMsgid });
  const id = adm.result.mdtrt_id;
  await c.h3.uploadInpatientFees([{ ...line('1', 'A001', '6000.00'), mdtrt_id: id, psn_no: p.psn }]);
  await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
  const input: SettleInput = { psn_no: p.psn, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, med_type: '21', medfee_sumamt: '6000.00', mdtrt_id: id, acct_used_flag: '1' };
  const before = await ledger();
  const cut = throughCut();
  const omsgid = cut.msgid();
  await assert.rejects(cut.settleInpatient(input, { msgid: omsgid }), /did not answer/);
  await assert.rejects(reverse(c.h3, p.psn, admMsgid, '2401'), /就诊ID \S+ 已结算，请先冲正或撤销结算，再冲正登记/);
  assert.equal((await reverse(c.h3, p.psn, omsgid, '2304')).data.rvs_stas, '1');
  assert.deepEqual(await ledger(), before);
  assert.equal((await c.agency.balance(p.psn)).balc, '100.00');
  assert.equal((await reverse(c.h3, p.psn, admMsgid, '2401')).data.rvs_stas, '1');
  await assert.rejects(c.h3.settleInpatient(input), /已撤销/);
});

test('2601 of a dictionary query, a catalogue download or a day-end total: nothing to undo, said so', async () => {
  const p = await person(c.agency, { opening: '100.00' });
  const sent: Array<[string, Record<string, unknown>]> = [
    ['1901', { type: 'insutype', admdvs: CQ, date: '2024-03-15' }],
    ['1301', { ver: '0' }],
    ['3201', { insutype: '310', clr_type: '11', setl_optins: CQ, stmt_begndate: '2024-03-15', stmt_enddate: '2024-03-15', medfee_sumamt: '0.00', fund_pay_sumamt: '0.00', acct_pay: '0.00', fixmedins_setl_cnt: 0 }],
  ];
  for (const [infno, input] of sent) {
    const msgid = c.h3.msgid();
    await c.h3.call(infno as '1901', { data: input } as never, { msgid });
    const undone = await reverse(c.h3, p.psn, msgid, infno);
    assert.equal(undone.data.rvs_stas, '0', infno);
    assert.match(undone.data.memo, new RegExp(`原交易 ${infno} 只查询不记账，无需冲正`));
  }
});
