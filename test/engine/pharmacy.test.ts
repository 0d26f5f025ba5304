// Pharmacy stock 3501–3507 and 2601 of a stock upload, through the platform interface on
// PGlite and on the PostgreSQL of this machine (skipped with a reason when it is not
// reachable). Every expected stock is counted by hand in the comments.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { backends, backendSuite, type Clients, person, uniq } from './helpers';
import { PlatformError, type PlatformClient, type Response } from '../../platform';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg), `expected a refusal matching ${re}`);
};
const T = '2024-03-15 09:00:00';

for (const backend of backends()) {
  describe(`pharmacy stock 3501–3507 on ${backend.name}`, { concurrency: false }, () => {
    let c: Clients;
    const it = backendSuite(backend, T, (x) => { c = x.c; });

    const item = (code: string, bchno = uniq('B')) => ({ med_list_codg: code, fixmedins_hilist_id: `L${code}`, fixmedins_hilist_name: '阿莫西林胶囊', fixmedins_bchno: bchno, rx_flag: '1' });
    // Each in the nested form public HIS code sends; the answer's inv_cnt is the stock after it.
    const stocktake = (h: PlatformClient, code: string, n: number | string, bchno?: string) =>
      h.call('3501', { invinfo: { ...item(code, bchno), invdate: '2024-03-15', inv_cnt: n } } as never);
    const change = (h: PlatformClient, code: string, type: string, n: number | string) =>
      h.call('3502', { invinfo: { ...item(code), inv_chg_type: type, pric: '13.8000', cnt: n, inv_chg_time: T } } as never);
    const purchase = (h: PlatformClient, infno: '3503' | '3504', code: string, n: number | string, bchno?: string) =>
      h.call(infno, { purcinfo: { ...item(code, bchno), spler_name: '某医药公司', finl_trns_pric: 12.5, purc_retn_cnt: n, purc_retn_stoin_time: T } } as never);
    const sale = (h: PlatformClient, infno: '3505' | '3506', code: string, n: number | string, o: { bchno?: string; msgid?: string } = {}) =>
      h.call(infno, { selinfo: { ...item(code, o.bchno), finl_trns_pric: '15.00', sel_retn_cnt: n, sel_retn_time: T, psn_name: '' } } as never, o.msgid ? { msgid: o.msgid } : {});
    const stockOf = (out: { data: { inv_cnt: string } }) => Number(out.data.inv_cnt);

    it('stocktake, purchase, change, sale and returns move one stock per item; below zero is refused by name and moves nothing', async () => {
      const code = uniq('YP');
      assert.equal(stockOf(await stocktake(c.h1, code, 10)), 10);
      assert.equal(stockOf(await purchase(c.h1, '3503', code, 20)), 30); // 10 + 20
      assert.equal(stockOf(await sale(c.h1, '3505', code, '25.0000')), 5); // 30 − 25
      await refused(sale(c.h1, '3505', code, 6), new RegExp(`商品 ${code} 库存不足：现有 5，本次销售 6，库存不能为负`));
      assert.equal(stockOf(await change(c.h1, code, '105', 2)), 3); // 销毁: 5 − 2
      assert.equal(stockOf(await change(c.h1, code, '101', 4)), 7); // 调拨入库: 3 + 4
      await refused(purchase(c.h1, '3504', code, 8), /现有 7，本次采购退货 8/);
      assert.equal(stockOf(await purchase(c.h1, '3504', code, 7)), 0); // 7 − 7
      assert.equal(stockOf(await sale(c.h1, '3506', code, 2)), 2); // a return: 0 + 2
      assert.equal(stockOf(await stocktake(c.h1, code, 9)), 9); // the count on hand, whatever the stock was
    });

    it('whole units only; a batch serial books once per transaction; each msgid books once', async () => {
      const code = uniq('YP');
      await refused(purchase(c.h1, '3503', code, '1.5'), /input\.purc_retn_cnt（采购\/退货数量） 应为整数/);
      await refused(change(c.h1, code, '199', 1), /input\.inv_chg_type（库存变更类型） 取值不正确/);
      const bchno = uniq('B');
      assert.equal(stockOf(await purchase(c.h1, '3503', code, 10, bchno)), 10);
      await refused(purchase(c.h1, '3503', code, 10, bchno), new RegExp(`fixmedins_bchno（定点医药机构批次流水号）${bchno} 已由报文 .* 上传（3503），不能重复上传`));
      const msgid = c.h1.msgid();
      const first = await sale(c.h1, '3505', code, 4, { msgid, bchno: 'S1' });
      assert.deepEqual(await sale(c.h1, '3505', code, 4, { msgid, bchno: 'S1' }), first);
      assert.equal(stockOf(first), 6); // 10 − 4, once
      assert.equal(stockOf(await sale(c.h1, '3506', code, 1)), 7); // 6 + 1: the replay moved nothing
    });

    it('each institution has its own stock and deletes only its own uploads (3507)', async () => {
      const code = uniq('YP');
      const bchno = uniq('B');
      await purchase(c.h1, '3503', code, 5, bchno);
      await refused(sale(c.h3, '3505', code, 1), /现有 0，本次销售 1/);
      await refused(c.h3.call('3507', { data: { fixmedins_bchno: bchno, inv_data_type: '3' } } as never), new RegExp(`批次流水号 fixmedins_bchno=${bchno} 的采购信息不存在`));
      assert.equal(stockOf(await sale(c.h1, '3505', code, 1)), 4); // h1's 5 − 1: h3 took nothing
    });

    it('3507 takes an upload back by what it moved, unless the stock would fall below zero', async () => {
      const code = uniq('YP');
      const purc = uniq('B');
      const sold = uniq('S');
      await purchase(c.h1, '3503', code, 10, purc);
      await sale(c.h1, '3505', code, 8, { bchno: sold }); // 2 left
      await refused(c.h1.call('3507', { fixmedins_bchno: purc, inv_data_type: '3' }), /现有 2，删除采购信息将减少 10/);
      const del = await c.h1.call('3507', { data: { fixmedins_bchno: sold, inv_data_type: '4' } } as never);
      assert.deepEqual(del.data.stock, [{ item: code, inv_cnt: '10' }]); // 2 + 8
      await refused(c.h1.call('3507', { fixmedins_bchno: sold, inv_data_type: '4' }), /销售信息不存在（或已删除）/);
      const take = await c.h1.call('3507', { fixmedins_bchno: purc, inv_data_type: '3' });
      assert.deepEqual(take.data.stock, [{ item: code, inv_cnt: '0' }]); // 10 − 10
    });

    it('2601 after a lost answer takes the sale back; the original msgid is then refused', async () => {
      const code = uniq('YP');
      const p = await person(c.agency, {});
      await purchase(c.h1, '3503', code, 3);
      const msgid = c.h1.msgid();
      await sale(c.h1, '3505', code, 2, { msgid });
      const r = await c.h1.call('2601', { data: { psn_no: p.psn, omsgid: msgid, oinfno: '3505' } } as never);
      assert.equal(r.data.rvs_stas, '1');
      assert.match(r.data.memo, /已冲正（商品 .* 库存 3）/);
      await refused(sale(c.h1, '3505', code, 2, { msgid }), /已由 2601 冲正/);
      assert.equal(stockOf(await sale(c.h1, '3505', code, 3)), 0); // all 3 back on the shelf
    });

    it('concurrent sales never sell what is not there: 10 in stock, 16 sales of 1 → 10 sold, 6 refused', async () => {
      const code = uniq('YP');
      await stocktake(c.h1, code, 10);
      const answers: Response[] = await Promise.all(Array.from({ length: 16 }, () =>
        c.h1.raw(c.h1.envelope('3505', { selinfo: { ...item(code), sel_retn_cnt: 1, sel_retn_time: T } } as never))));
      assert.equal(answers.filter((a) => a.infcode === 0).length, 10);
      for (const a of answers.filter((x) => x.infcode !== 0)) assert.match(a.err_msg ?? '', /库存不足：现有 0，本次销售 1/);
      assert.equal(stockOf(await sale(c.h1, '3506', code, 1)), 1); // 0 + 1
    });
  });
}
