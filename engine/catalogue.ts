// Catalogue downloads 1301–1319 (the rows newer than the HIS's version, as a zip of a
// tab-delimited text file fetched with 9102), the 1901 dictionary query, and the
// institution's catalogue mapping 3301 / 3302.
import type { Handler } from './context';
import { show } from './context';
import { BizError, req, str, id, en, date, int, CODE } from './validate';
import { REGION_CODE } from '../spec';
import { DICTIONARIES, LIST_TYPES, LIST_TYPE_CODES, listTypeOf, type ListType } from './dictionaries';
import { keepFile } from './files';
import { writeZip } from './zip';

/**
 * Where a catalogue's columns sit in its download file, as public HIS code reads them by
 * position (newtouch-cloud/openhis, Models/Output/OutputDownload13.cs): the width of a row
 * and the columns the engine fills; the others stay empty.
 */
interface Layout { listType: ListType; width: number; name: number[]; valid: number; rid: number; ver: number; verName: number; cls?: number }
const LAYOUTS: Readonly<Record<string, Layout>> = {
  '1301': { listType: '101', width: 92, name: [1, 3], valid: 78, rid: 79, ver: 82, verName: 83, cls: 91 },
  '1302': { listType: '102', width: 28, name: [1], valid: 13, rid: 14, ver: 17, verName: 18 },
  '1305': { listType: '201', width: 16, name: [9], valid: 6, rid: 13, ver: 14, verName: 15 },
  '1306': { listType: '301', width: 71, name: [1], valid: 67, rid: 68, ver: 69, verName: 70 },
};
const CLASS_NAMES: Readonly<Record<string, string>> = { A: '甲类', B: '乙类', self: '自费' };

/**
 * The file downloads of 1301–1319: 1301 西药中成药, 1302 中药饮片, 1303 医疗机构制剂, 1304 民族药品,
 * 1305 医疗服务项目, 1306 医用耗材, 1307 疾病与诊断, 1308 手术操作, 1309 门诊慢特病种, 1310 按病种付费病种,
 * 1311 日间手术治疗病种, 1313 肿瘤形态学, 1314 中医疾病, 1315 中医证候. The others of the range are paged queries.
 */
const DOWNLOADS = ['1301', '1302', '1303', '1304', '1305', '1306', '1307', '1308', '1309', '1310', '1311', '1313', '1314', '1315'];
const QUERIES: Readonly<Record<string, string>> = {
  '1312': '医保目录信息查询', '1316': '医疗目录与医保目录匹配信息查询', '1317': '医药机构目录匹配信息查询', '1318': '医保目录限价信息查询', '1319': '医保目录先自付比例信息查询',
};

/** A version is digits; compared as numbers (left-padded), so "0" is older than any. */
const VERSION = /^[0-9]{1,20}$/;
const padded = (v: string) => v.padStart(20, '0');

function download(infno: string): Handler {
  const layout = LAYOUTS[infno];
  return {
    platform: true, wrap: 'data',
    spec: { ver: req(str('版本号', 20, { re: VERSION, what: '数字（最多 20 位）' })) },
    async run(ctx, input) {
      const ver = String(input.ver);
      // Catalogues this engine has no rows of answer an empty file: nothing is newer than the HIS's version.
      const rows = layout
        ? (await ctx.q.query<{ code: string; name: string; cls: string; ver: string; chrgitm_type: string }>(
          `SELECT code, name, cls, ver, chrgitm_type FROM catalogue WHERE lpad(ver, 20, '0') > $1 ORDER BY lpad(ver, 20, '0'), code`, [padded(ver)]))
          .filter((r) => listTypeOf(r.chrgitm_type) === layout.listType)
        : [];
      const lines = rows.map((r) => {
        const cells = new Array<string>(layout.width).fill('');
        cells[0] = r.code;
        for (const i of layout.name) cells[i] = r.name;
        cells[layout.valid] = '1';
        cells[layout.rid] = `${r.code}-${r.ver}`;
        cells[layout.ver] = r.ver;
        cells[layout.verName] = r.ver;
        if (layout.cls !== undefined) cells[layout.cls] = CLASS_NAMES[r.cls];
        return `${cells.join('\t')}\n`;
      });
      const stem = `${infno}_${ctx.time.replace(/[- :]/g, '')}_${ver}`;
      const file = await keepFile(ctx, `${stem}.txt.zip`, 'catalogue', writeZip([{ name: `${stem}.txt`, data: Buffer.from(lines.join(''), 'utf8') }]));
      return { file_qury_no: file.file_qury_no, filename: file.filename, dld_end_time: file.dld_endtime, data_cnt: rows.length };
    },
  };
}

/** 1312, 1316–1319 page through the platform's catalogue database: not kept here, refused by name once the input holds. */
function query(infno: string): Handler {
  return {
    platform: true, wrap: 'data',
    spec: {
      query_date: date('查询时间点'), fixmedins_code: str('定点医药机构编号', 30, { re: CODE }), hilist_code: str('医保目录编码', 30), hilist_name: str('医保目录名称', 200),
      medins_list_codg: str('定点医药机构目录编号', 30), medins_list_name: str('定点医药机构目录名称', 200), med_list_codg: str('医疗目录编码', 30),
      list_type: str('目录类别', 30), insu_admdvs: id('参保机构医保区划', REGION_CODE), begndate: date('开始日期'), vali_flag: en('有效标志', ['0', '1']),
      updt_time: req(date('更新时间')), page_num: int('当前页数', 1, 9999, true), page_size: int('本页数据量', 1, 9999, true),
    },
    async run() {
      throw new BizError(`本引擎不提供 ${infno}（${QUERIES[infno]}）分页查询：目录请用 1301 / 1302 / 1305 / 1306 下载（文件经 9102 取回），本机构的对照见 3301 的记录`);
    },
  };
}

// ------------------------------------------------------------------ 1901

const dictionary: Handler = {
  platform: true, wrap: 'data',
  spec: {
    type: req(str('字典类型', 30)), parentValue: str('父字典键值', 10), admdvs: req(id('行政区划', REGION_CODE)), date: date('查询日期', true),
    vali_flag: en('有效标志', ['0', '1']), page_num: int('当前页数', 1, 9999), page_size: int('本页数据量', 1, 9999),
  },
  async run(_ctx, input) {
    const type = String(input.type);
    const entries = Object.hasOwn(DICTIONARIES, type) ? DICTIONARIES[type] : undefined;
    if (!entries) throw new BizError(`input.type（字典类型）${show(type)} 不存在：本引擎提供 ${Object.keys(DICTIONARIES).join('、')}`);
    // The engine's dictionaries are flat and all in force: a parent value or "invalid only" finds nothing.
    const none = (input.parentValue !== undefined && input.parentValue !== '') || input.vali_flag === '0';
    const list = none ? [] : Object.entries(entries).map(([value, label], i) => ({ type, label, value, parent_value: null, sort: i + 1, vali_flag: '1' }));
    return { list };
  },
};

// ------------------------------------------------------------------ 3301, 3302

const LIST_TYPE = () => en('目录类别', LIST_TYPE_CODES, true);
const HILIST_ID = () => req(str('定点医药机构目录编号', 30));
const MED_LIST = () => req(str('医疗目录编码', 50, { re: CODE, what: '字母数字' }));

const mappingUpload: Handler = {
  platform: true, wrap: 'data',
  spec: {
    fixmedins_hilist_id: HILIST_ID(), fixmedins_hilist_name: req(str('定点医药机构目录名称', 200)), list_type: LIST_TYPE(), med_list_codg: MED_LIST(),
    begndate: date('开始日期', true), enddate: date('结束日期'), aprvno: str('批准文号', 30), dosform: str('剂型', 200), exct_cont: str('除外内容', 2000),
    item_cont: str('项目内涵', 2000), prcunt: str('计价单位', 100), spec: str('规格', 200), pacspec: str('包装规格', 100), memo: str('备注', 500),
  },
  async run(ctx, input) {
    const [item] = await ctx.q.query<{ chrgitm_type: string }>(`SELECT chrgitm_type FROM catalogue WHERE code = $1`, [input.med_list_codg]);
    if (!item) throw new BizError(`input.med_list_codg（医疗目录编码）${show(input.med_list_codg)} 不在医保目录中`);
    const listType = listTypeOf(item.chrgitm_type);
    if (listType !== input.list_type) {
      throw new BizError(`input.list_type（目录类别）${input.list_type} 与医疗目录 ${input.med_list_codg} 的类别 ${listType}（${LIST_TYPES[listType]}）不符`);
    }
    if (input.enddate !== undefined && String(input.enddate) < String(input.begndate)) throw new BizError('input.enddate（结束日期）早于 begndate（开始日期）');
    const { fixmedins_hilist_id: hilistId, fixmedins_hilist_name: name, list_type: _l, med_list_codg: codg, begndate, enddate, ...info } = input;
    const placed = await ctx.q.query(`INSERT INTO mappings (fixmedins_code, list_type, fixmedins_hilist_id, fixmedins_hilist_name, med_list_codg, begndate, enddate, info, created)
      VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING RETURNING 1`,
    [ctx.env.fixmedins_code, listType, hilistId, name, codg, begndate, enddate ?? null, JSON.stringify(info), ctx.time]);
    if (!placed.length) {
      const [had] = await ctx.q.query<{ med_list_codg: string }>(`SELECT med_list_codg FROM mappings WHERE fixmedins_code = $1 AND list_type = $2 AND fixmedins_hilist_id = $3`,
        [ctx.env.fixmedins_code, listType, hilistId]);
      throw new BizError(`本机构目录 ${show(hilistId)} 已对照到 ${had.med_list_codg}，请先撤销对照（3302）再上传`);
    }
    return {};
  },
};

const mappingCancel: Handler = {
  platform: true, wrap: 'data',
  spec: { fixmedins_code: req(str('定点医药机构编号', 30, { re: CODE, what: '字母数字' })), fixmedins_hilist_id: HILIST_ID(), list_type: LIST_TYPE(), med_list_codg: MED_LIST() },
  async run(ctx, input) {
    if (input.fixmedins_code !== ctx.env.fixmedins_code) throw new BizError(`input.fixmedins_code（定点医药机构编号）${show(input.fixmedins_code)} 与报文 fixmedins_code=${ctx.env.fixmedins_code} 不符`);
    const gone = await ctx.q.query(`DELETE FROM mappings WHERE fixmedins_code = $1 AND list_type = $2 AND fixmedins_hilist_id = $3 AND med_list_codg = $4 RETURNING 1`,
      [ctx.env.fixmedins_code, input.list_type, input.fixmedins_hilist_id, input.med_list_codg]);
    if (!gone.length) throw new BizError(`本机构目录 ${show(input.fixmedins_hilist_id)} 与 ${show(input.med_list_codg)}（目录类别 ${input.list_type}）的对照不存在`);
    return {};
  },
};

export const CATALOGUE_TRANSACTIONS: Record<string, Handler> = {
  ...Object.fromEntries(DOWNLOADS.map((n) => [n, download(n)])),
  ...Object.fromEntries(Object.keys(QUERIES).map((n) => [n, query(n)])),
  '1901': dictionary, '3301': mappingUpload, '3302': mappingCancel,
};
