// The e-voucher (mdtrt_cert_type 01): tokens issued for a person at an institution, used for
// 1101 / 2201 / 2207 and 2401 / 2304, expiring on the business clock; refused when unknown,
// expired, another institution's or another person's, the ledger unchanged. And the local
// e-voucher component's ec.query over HTTP. PGlite and PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, backendSuite, clients, baseWorld, person, line, uniq, CQ, type Clients } from './helpers';
import { EC_QUERY_PATH, EvoucherClient, EvoucherError, PlatformError, type PlatformClient } from '../../platform';
import { createEngine, type Engine } from '../../engine';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg), `expected a refusal matching ${re}`);
};
const TODAY = '2024-03-15 09:00:00';

for (const backend of backends()) {
  describe(`e-voucher tokens on ${backend.name}`, { concurrency: false }, () => {
    let c: Clients;
    const it = backendSuite(backend, TODAY, (x) => { c = x.c; });

    /** Both the institution's business clock and its client's inf_time at `time`. */
    async function at(h: PlatformClient, code: string, time: string) {
      await c.agency.setClock([code], time);
      h.clock.set(time);
    }
    const register = (h: PlatformClient, psn: string, token: string) =>
      h.register({ psn_no: psn, insutype: '310', begntime: h.clock.text(), mdtrt_cert_type: '01', mdtrt_cert_no: token, ipt_otp_no: uniq('MZ') });
    const settleInput = (psn: string, token: string, mdtrtId: string, amount: string) =>
      ({ psn_no: psn, mdtrt_cert_type: '01' as const, mdtrt_cert_no: token, med_type: '11' as const, medfee_sumamt: amount, mdtrt_id: mdtrtId, acct_used_flag: '1' as const });

    it('issued at 09:00 for 30 minutes; 1101, 2201, 2206, 2207 with it settle (account 100.00, cash 350.00, fund 150.00)', async () => {
      await at(c.h3, 'H50000000003', TODAY);
      const p = await person(c.agency, { opening: '100.00' });
      const t = await c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, TODAY);
      assert.match(t.ecToken, /^500000EC[0-9A-F]{32}$/);
      assert.deepEqual([t.psn_no, t.issued, t.expires], [p.psn, TODAY, '2024-03-15 09:30:00']);
      const who = await c.h3.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: t.ecToken });
      assert.equal(who.baseinfo.psn_no, p.psn);
      const reg = await register(c.h3, p.psn, t.ecToken);
      await c.h3.uploadFees([{ ...line('1', 'A001', '600.00'), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
      const input = settleInput(p.psn, t.ecToken, reg.data.mdtrt_id, '600.00');
      await c.h3.preSettle(input);
      const s = (await c.h3.settle(input)).setlinfo;
      // By hand (500000.yaml): 600.00 covered, none before this year. 0→400 below the line: the
      // person's 400.00; 400→600 in the first bracket: person 25% of 200.00 = 50.00, fund 150.00.
      // The person's 450.00: the account's 100.00 first, 350.00 cash.
      assert.deepEqual([s.mdtrt_cert_type, s.hifp_pay, s.acct_pay, s.psn_cash_pay, s.balc], ['01', '150.00', '100.00', '350.00', '0.00']);
    });

    it('the token expires: good at 09:30:00, refused at 09:30:01 naming it, the ledger unchanged; a new token settles', async () => {
      await at(c.h3, 'H50000000003', TODAY);
      const p = await person(c.agency, { opening: '50.00' });
      const t = await c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, TODAY);
      const reg = await register(c.h3, p.psn, t.ecToken);
      await c.h3.uploadFees([{ ...line('1', 'A001', '80.00'), mdtrt_id: reg.data.mdtrt_id, psn_no: p.psn }]);
      await at(c.h3, 'H50000000003', '2024-03-15 09:30:00');
      await c.h3.preSettle(settleInput(p.psn, t.ecToken, reg.data.mdtrt_id, '80.00'));
      await at(c.h3, 'H50000000003', '2024-03-15 09:30:01');
      const before = await c.agency.ledgerCheck();
      await refused(c.h3.settle(settleInput(p.psn, t.ecToken, reg.data.mdtrt_id, '80.00')), new RegExp(`医保电子凭证令牌 mdtrt_cert_no=${t.ecToken} 已过期（有效期至 2024-03-15 09:30:00）`));
      await refused(c.h3.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: t.ecToken }), /已过期/);
      assert.equal((await c.agency.ledgerCheck()).digest, before.digest);
      const again = await c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, '2024-03-15 09:30:01');
      const s = (await c.h3.settle(settleInput(p.psn, again.ecToken, reg.data.mdtrt_id, '80.00'))).setlinfo;
      // 80.00 below the line: the person's; the account's 50.00, then 30.00 cash.
      assert.deepEqual([s.hifp_pay, s.acct_pay, s.psn_cash_pay], ['0.00', '50.00', '30.00']);
    });

    it('another person\'s token is refused at 1101 (with certno), 2201 and 2207; the ledger unchanged', async () => {
      await at(c.h3, 'H50000000003', TODAY);
      const a = await person(c.agency, { opening: '100.00' });
      const b = await person(c.agency, { opening: '100.00' });
      const ta = await c.agency.call('ec-issue', { psn_no: a.psn, fixmedins_code: 'H50000000003' }, TODAY);
      const tb = await c.agency.call('ec-issue', { psn_no: b.psn, fixmedins_code: 'H50000000003' }, TODAY);
      const bCertno = (await c.agency.call('person-query', { psn_no: b.psn })).person!.certno;
      await refused(c.h3.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: ta.ecToken, certno: bCertno }), /证件号码 certno 与就诊凭证对应人员不符/);
      await refused(register(c.h3, b.psn, ta.ecToken), /不得冒用/);
      const reg = await register(c.h3, b.psn, tb.ecToken);
      await c.h3.uploadFees([{ ...line('1', 'A001', '40.00'), mdtrt_id: reg.data.mdtrt_id, psn_no: b.psn }]);
      const before = await c.agency.ledgerCheck();
      await refused(c.h3.settle(settleInput(b.psn, ta.ecToken, reg.data.mdtrt_id, '40.00')), /不得冒用/);
      assert.equal((await c.agency.ledgerCheck()).digest, before.digest);
    });

    it('an unknown token, and one another institution got, are refused by name', async () => {
      await at(c.h3, 'H50000000003', TODAY);
      await at(c.h1, 'H50000000001', TODAY);
      const p = await person(c.agency, {});
      const unknown = `500000EC${'0'.repeat(32)}`;
      await refused(c.h3.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: unknown }), new RegExp(`医保电子凭证令牌 mdtrt_cert_no=${unknown} 无效或不存在`));
      await refused(register(c.h3, p.psn, unknown), /无效或不存在/);
      const t = await c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, TODAY);
      await refused(c.h1.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: t.ecToken }), /不是本定点医药机构获取的/);
      await refused(c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H59999999999' }, TODAY), /fixmedins_code=H59999999999 不存在/);
      await refused(c.agency.call('ec-issue', { psn_no: 'P0000000000000', fixmedins_code: 'H50000000003' }, TODAY), /psn_no/);
    });

    it('2401 and 2304 with the token: 6000.00 settles as fund 4250.00, account 100.00, cash 1650.00', async () => {
      await at(c.h3, 'H50000000003', TODAY);
      const p = await person(c.agency, { opening: '100.00' });
      const t = await c.agency.call('ec-issue', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, TODAY);
      const adm = await c.h3.admit({ psn_no: p.psn, insutype: '310', mdtrt_cert_type: '01', mdtrt_cert_no: t.ecToken, med_type: '21', ipt_no: uniq('ZY'), begntime: '2024-03-10 08:00:00' });
      const id = adm.result.mdtrt_id;
      await c.h3.uploadInpatientFees([{ ...line('1', 'A001', '6000.00'), mdtrt_id: id, psn_no: p.psn }]);
      await c.h3.discharge({ mdtrt_id: id, psn_no: p.psn, endtime: '2024-03-14 10:00:00' });
      const s = (await c.h3.settleInpatient({ psn_no: p.psn, mdtrt_cert_type: '01', mdtrt_cert_no: t.ecToken, med_type: '21', medfee_sumamt: '6000.00', mdtrt_id: id, acct_used_flag: '1' })).setlinfo;
      // By hand: 0→400 the person's 400.00; 400→5000: person 25% of 4600.00 = 1150.00, fund 3450.00;
      // 5000→6000: person 20% of 1000.00 = 200.00, fund 800.00. Fund 4250.00; the person's
      // 1750.00: account 100.00, cash 1650.00.
      assert.deepEqual([s.hifp_pay, s.acct_pay, s.psn_cash_pay], ['4250.00', '100.00', '1650.00']);
    });
  });
}

describe('the local e-voucher component over HTTP (PGlite)', { concurrency: false }, () => {
  let engine: Engine;
  let url: string;
  let c: ReturnType<typeof clients>;
  before(async () => {
    engine = await createEngine({ world: 'empty' });
    ({ url } = await engine.listen(0, '127.0.0.1'));
    c = clients(engine, TODAY, url);
    await baseWorld(c.agency, c.all);
  });
  after(async () => { await engine.close(); });
  const component = (orgId: string) => new EvoucherClient({ url, orgId });
  const query = (body: unknown) => component('H50000000003').raw(body);

  test('ec.query answers the e-voucher shown at the counter with a token from the institution\'s business clock, once', async () => {
    const p = await person(c.agency, {});
    const ec = component('H50000000003');
    await assert.rejects(ec.query(), (e: unknown) => e instanceof EvoucherError && e.code === -1 && /没有参保人在本机构出示医保电子凭证/.test(e.errMsg));
    await c.agency.setClock(['H50000000003'], '2024-03-15 10:00:00');
    await c.agency.call('ec-show', { psn_no: p.psn, fixmedins_code: 'H50000000003' }, TODAY);
    // Shown at one counter: another institution's component does not see it.
    await assert.rejects(component('H50000000001').query(), EvoucherError);
    const d = await ec.query();
    const who = (await c.agency.call('person-query', { psn_no: p.psn })).person!;
    assert.deepEqual([d.idNo, d.idType, d.userName, d.insuOrg, d.gender, d.birthday], [who.certno, '01', who.psn_name, CQ, '1', '1990-01-01']);
    // Issued on the business clock (10:00:00 plus the seconds this test took), good for 30 minutes.
    assert.match(d.expires, /^2024-03-15 10:3\d:\d\d$/);
    await assert.rejects(ec.query(), EvoucherError); // the showing is used up
    c.h3.clock.set('2024-03-15 10:00:00');
    assert.equal((await c.h3.personLookup({ mdtrt_cert_type: '01', mdtrt_cert_no: d.ecToken })).baseinfo.psn_no, p.psn);
  });

  test('a malformed request is answered code -1 naming the field', async () => {
    const ok = component('H50000000003').request();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, transType: 'ec.pay' }, /transType（交易类型）=ec\.pay 不受支持/],
      [{ transType: 'ec.query', data: ok.data }, /缺少必填字段 orgId/],
      [{ ...ok, data: undefined }, /缺少必填字段 data/],
      [{ ...ok, data: { ...ok.data, businessType: '1' } }, /data\.businessType（用码业务类型）=1/],
      [{ ...ok, data: { ...ok.data, orgId: 'H50000000001' } }, /data\.orgId（机构编号）=H50000000001 与 orgId=H50000000003 不符/],
      [{ ...ok, data: { ...ok.data, operatorId: 7 } }, /data\.operatorId（收款员编号）/],
      [{ ...ok, orgId: 'H59999999999', data: { ...ok.data, orgId: 'H59999999999' } }, /orgId（机构编号）=H59999999999 不是已登记的定点医药机构/],
    ];
    for (const [body, re] of cases) {
      const res = await query(body);
      assert.equal(res.code, -1, JSON.stringify(body));
      assert.match(res.message, re);
    }
    // Text that is not JSON: over HTTP the front refuses it (400) before the component; in-process the component says so.
    assert.deepEqual(await engine.ecQuery('[1,'), { code: -1, message: '请求报文不是合法的 JSON', data: null });
  });

  test('not served on an address other machines reach, unless the control API is (--control-on-all-addresses)', async () => {
    const post = (port: number) => fetch(`http://127.0.0.1:${port}${EC_QUERY_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(component('H50000000003').request()) });
    for (const [controlOnAllAddresses, status] of [[false, 404], [true, 200]] as const) {
      const wide = await createEngine({ world: 'empty', controlOnAllAddresses });
      try {
        const { port } = await wide.listen(0, '0.0.0.0');
        assert.equal((await post(port)).status, status, `controlOnAllAddresses ${controlOnAllAddresses}`);
        // The client reads the front's 404 envelope as "no component here", not as an answer.
        if (status === 404) await assert.rejects(new EvoucherClient({ url: `http://127.0.0.1:${port}`, orgId: 'H50000000003' }).query(), (e: unknown) => e instanceof EvoucherError && e.code === -1 && /不是电子凭证组件/.test(e.errMsg));
      } finally {
        await wide.close();
      }
    }
  });
});
