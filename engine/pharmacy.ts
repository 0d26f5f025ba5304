// Pharmacy stock (进销存) as a designated pharmacy's software reports it: 3501 商品盘存上传 (a
// stocktake: the count on hand), 3502 商品库存变更 (transfers, losses, gains by inv_chg_type),
// 3503 商品采购 / 3504 商品采购退货, 3505 商品销售 / 3506 商品销售退货, 3507 商品信息删除 (an
// upload taken back). One stock per sender and item (med_list_codg), in whole units: no
// movement may take it below zero. Each upload books once: the msgid's answer is kept with it
// (a replay books nothing), and its batch serial fixmedins_bchno is taken for that transaction.
import { num } from './db';
import type { Ctx, Handler } from './context';
import { BizError, cnt, date, dec, dt, en, req, str, CODE, type Spec } from './validate';

/** 3507's inv_data_type: which kind of upload a batch serial names. */
const DATA_TYPE: Record<string, '1' | '2' | '3' | '4'> = { '3501': '1', '3502': '2', '3503': '3', '3504': '3', '3505': '4', '3506': '4' };
const DATA_TYPE_NAME = { '1': '盘存信息', '2': '库存变更信息', '3': '采购信息', '4': '销售信息' } as const;

/** inv_chg_type (库存变更类型) and the way each moves stock: +1 in, −1 out. */
const INV_CHG_TYPES: Record<string, 1 | -1> = {
  '101': 1, '102': -1, '103': 1, '104': -1, '105': -1, '106': 1, '107': -1, '108': 1, '109': -1, '110': 1, '111': -1,
};

const code = (label: string, max: number) => str(label, max, { re: CODE, what: '字母数字' });
const ITEM: Spec = {
  med_list_codg: req(code('医疗目录编码', 50)), fixmedins_hilist_id: req(str('定点医药机构目录编号', 30)), fixmedins_hilist_name: str('定点医药机构目录名称', 200),
  fixmedins_bchno: req(code('定点医药机构批次流水号', 30)), rx_flag: str('处方药标志', 3), manu_lotnum: str('生产批号', 30), manu_date: date('生产日期'),
  expy_end: date('有效期止'), memo: str('备注', 500),
};
const PACKAGE: Spec = { spec: str('规格', 200), min_pacunt: str('最小包装单位', 20), pac_cnt: str('包装数量', 20), pacunt: str('包装单位', 20), rtal_pric: dec('零售价', 10, 6) };
const PURCHASE: Spec = {
  ...ITEM, ...PACKAGE, spler_name: str('供应商名称', 200), spler_pmtno: str('供应商许可证号', 50), finl_trns_pric: dec('最终成交单价', 10, 6),
  purc_retn_cnt: cnt('采购/退货数量', true), purc_invo_codg: str('采购发票编码', 50), purc_invo_no: str('采购发票号', 50),
  purc_retn_stoin_time: dt('采购/退货入库时间', true), purc_retn_opter_name: str('采购/退货经办人姓名', 50),
};
const SALE: Spec = {
  ...ITEM, setl_id: str('结算ID', 30), psn_no: str('人员编号', 30), psn_cert_type: str('人员证件类型', 6), certno: str('证件号码', 50), psn_name: str('人员姓名', 50),
  trdn_flag: str('拆零标志', 2), finl_trns_pric: dec('最终成交单价', 10, 6), sel_retn_cnt: cnt('销售/退货数量', true), sel_retn_time: dt('销售/退货时间', true),
  sel_retn_opter_name: str('销售/退货经办人姓名', 50),
};

/** What each upload is: its nested node, its fields, the quantity it moves and its time. */
const UPLOADS: Record<string, {
  wrap: Handler['wrap']; spec: Spec; count: string; time: string; sign: (input: Record<string, unknown>) => 1 | -1 | 'count'; what: string;
}> = {
  '3501': {
    what: '盘存', wrap: 'invinfo', count: 'inv_cnt', time: 'invdate', sign: () => 'count',
    spec: { ...ITEM, invdate: date('盘存日期', true), inv_cnt: cnt('库存数量', true) },
  },
  '3502': {
    what: '本次变更出库', wrap: 'invinfo', count: 'cnt', time: 'inv_chg_time', sign: (i) => INV_CHG_TYPES[String(i.inv_chg_type)],
    spec: {
      ...ITEM, inv_chg_type: en('库存变更类型', Object.keys(INV_CHG_TYPES), true), pric: dec('单价', 10, 6), cnt: cnt('数量', true),
      inv_chg_time: dt('库存变更时间', true), inv_chg_opter_name: str('库存变更经办人姓名', 50), trdn_flag: str('拆零标志', 2),
    },
  },
  '3503': {
    what: '采购', wrap: 'purcinfo', count: 'purc_retn_cnt', time: 'purc_retn_stoin_time', sign: () => 1,
    spec: { ...PURCHASE, dynt_no: str('随货单号', 50), prodentp_name: str('生产企业名称', 200), aprvno: str('批准文号', 100), prod_geay_flag: str('商品赠送标志', 3) },
  },
  '3504': {
    what: '本次采购退货', wrap: 'purcinfo', count: 'purc_retn_cnt', time: 'purc_retn_stoin_time', sign: () => -1,
    spec: { ...PURCHASE, medins_prod_purc_no: str('医药机构商品采购流水号', 50), prdr_name: str('生产厂家名称', 200) },
  },
  '3505': {
    what: '本次销售', wrap: 'selinfo', count: 'sel_retn_cnt', time: 'sel_retn_time', sign: () => -1,
    spec: {
      ...SALE, prsc_dr_cert_type: str('开方医师证件类型', 6), prsc_dr_certno: str('开方医师证件号码', 50), prsc_dr_name: str('开方医师姓名', 50),
      phar_cert_type: str('药师证件类型', 6), phar_certno: str('药师证件号码', 50), phar_name: str('药师姓名', 50), phar_prac_cert_no: str('药师执业资格证号', 50),
      hi_feesetl_type: str('医保费用结算类型', 6), mdtrt_sn: str('就医流水号', 30), rxno: str('处方号', 40), rx_circ_flag: str('外购处方标志', 3),
      rtal_docno: str('零售单据号', 40), stoout_no: str('销售出库单据号', 40), bchno: str('批次号', 30), drug_trac_codg: str('药品追溯码', 1000),
      drug_prod_barc: str('药品条形码', 30), shelf_posi: str('货架位', 20),
    },
  },
  '3506': { what: '销售退货', wrap: 'selinfo', count: 'sel_retn_cnt', time: 'sel_retn_time', sign: () => 1, spec: SALE },
};

/** The item's stock, its row locked (made at 0 if new): movements of one item happen one at a time. */
async function lockStock(ctx: Ctx, item: string): Promise<number> {
  await ctx.q.query(`INSERT INTO stock (sender, item, qty) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`, [ctx.env.fixmedins_code, item]);
  const [r] = await ctx.q.query<{ qty: unknown }>(`SELECT qty FROM stock WHERE sender = $1 AND item = $2 FOR UPDATE`, [ctx.env.fixmedins_code, item]);
  return num(r.qty);
}

/** Move the item's stock by `delta` (locked by lockStock), refused by name when it would fall below zero. */
async function moveStock(ctx: Ctx, item: string, stock: number, delta: number, what: string): Promise<number> {
  const after = stock + delta;
  if (after < 0) throw new BizError(`商品 ${item} 库存不足：现有 ${stock}，${what} ${-delta}，库存不能为负`);
  await ctx.q.query(`UPDATE stock SET qty = $3 WHERE sender = $1 AND item = $2`, [ctx.env.fixmedins_code, item, after]);
  return after;
}

function upload(infno: string): Handler {
  const u = UPLOADS[infno];
  return {
    platform: true, wrap: u.wrap, spec: u.spec,
    async run(ctx, input) {
      const field = u.count;
      const c4 = input[field] as number;
      if (c4 % 10000 !== 0) throw new BizError(`input.${field}（${u.spec[field].label}） 应为整数（按最小计价包装单位）`);
      const qty = c4 / 10000;
      const item = String(input.med_list_codg);
      const bchno = String(input.fixmedins_bchno);
      const [taken] = await ctx.q.query(`SELECT msgid FROM stock_moves WHERE sender = $1 AND infno = $2 AND bchno = $3`, [ctx.env.fixmedins_code, infno, bchno]);
      if (taken) throw new BizError(`input.fixmedins_bchno（定点医药机构批次流水号）${bchno} 已由报文 ${taken.msgid} 上传（${infno}），不能重复上传`);
      const stock = await lockStock(ctx, item);
      const sign = u.sign(input);
      // A stocktake states what is on hand: the movement is the difference it makes.
      const delta = sign === 'count' ? qty - stock : sign * qty;
      const after = await moveStock(ctx, item, stock, delta, u.what);
      await ctx.q.query(`INSERT INTO stock_moves (sender, msgid, infno, data_type, bchno, item, qty, biz_time, info) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
        [ctx.env.fixmedins_code, ctx.env.msgid, infno, DATA_TYPE[infno], bchno, item, delta, input[u.time], JSON.stringify(input)]);
      return { data: { fixmedins_bchno: bchno, med_list_codg: item, inv_cnt: String(after) } };
    },
  };
}

interface MoveRow { msgid: string; infno: string; bchno: string; item: string; qty: unknown }

/** Take movements back (3507, 2601): stock returns by each one's quantity, refused if that would fall below zero. */
async function takeBack(ctx: Ctx, moves: MoveRow[], what: string): Promise<Array<{ item: string; inv_cnt: string }>> {
  const out = [];
  for (const m of moves) {
    const stock = await lockStock(ctx, m.item);
    const after = await moveStock(ctx, m.item, stock, -num(m.qty), what);
    await ctx.q.query(`DELETE FROM stock_moves WHERE sender = $1 AND msgid = $2`, [ctx.env.fixmedins_code, m.msgid]);
    out.push({ item: m.item, inv_cnt: String(after) });
  }
  return out;
}

/** 3507: the sender's uploads of that kind with that batch serial are taken back. */
const deleteUpload: Handler = {
  platform: true, wrap: 'data',
  spec: { fixmedins_bchno: req(code('定点医药机构批次流水号', 30)), inv_data_type: en('进销存数据类型', ['1', '2', '3', '4'], true) },
  async run(ctx, input) {
    const type = String(input.inv_data_type) as keyof typeof DATA_TYPE_NAME;
    const moves = await ctx.q.query<MoveRow & Record<string, unknown>>(`SELECT msgid, infno, bchno, item, qty FROM stock_moves
      WHERE sender = $1 AND data_type = $2 AND bchno = $3 ORDER BY infno, msgid`, [ctx.env.fixmedins_code, type, input.fixmedins_bchno]);
    if (!moves.length) throw new BizError(`批次流水号 fixmedins_bchno=${input.fixmedins_bchno} 的${DATA_TYPE_NAME[type]}不存在（或已删除）`);
    const left = await takeBack(ctx, moves, `删除${DATA_TYPE_NAME[type]}将减少`);
    return { data: { fixmedins_bchno: input.fixmedins_bchno, inv_data_type: type, deleted: moves.map((m) => m.infno), stock: left } };
  },
};

/** 2601 of a stock upload: what that msgid moved, taken back; null when 3507 took it back already. */
export async function undoStockUpload(ctx: Ctx, omsgid: string): Promise<string | null> {
  const moves = await ctx.q.query<MoveRow & Record<string, unknown>>(`SELECT msgid, infno, bchno, item, qty FROM stock_moves WHERE sender = $1 AND msgid = $2`,
    [ctx.env.fixmedins_code, omsgid]);
  if (!moves.length) return null;
  const [left] = await takeBack(ctx, moves, '冲正将减少');
  return `批次流水号 ${moves[0].bchno} 的${moves[0].infno}已冲正（商品 ${left.item} 库存 ${left.inv_cnt}）`;
}

export const STOCK_UPLOADS = Object.keys(UPLOADS);

export const PHARMACY: Record<string, Handler> = {
  ...Object.fromEntries(STOCK_UPLOADS.map((infno) => [infno, upload(infno)])),
  '3507': deleteUpload,
};
