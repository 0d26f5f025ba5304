// Reference data — employers, institutions, catalogue items, people, cards, opening
// balances — from fixtures/world/*.yaml or from the agency transactions (91xx). Both paths
// use the same field specs and the same inserts.
import fs from 'node:fs';
import path from 'node:path';
import type { Sql } from './db';
import { num } from './db';
import { post, PA } from './ledger';
import { BizError, check, req, str, id, en, money, bool, date, int, CODE, type Spec } from './validate';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, PERSON_NUMBER, REGION_CODE, INSU_TYPE_CODES } from '../spec';
import { YamlFile, YamlError } from './yamlcheck';
import { fmtFen } from '../platform';

export const EMPLOYER: Spec = {
  emp_no: req(str('单位编号', 30, { re: CODE, what: '字母数字' })),
  emp_name: req(str('单位名称', 100)),
  insuplc_admdvs: req(id('参保地医保区划', REGION_CODE)),
  arrears: bool('是否欠费'),
};
export const INSTITUTION: Spec = {
  fixmedins_code: req(str('定点医药机构编号', 30, { re: CODE, what: '字母数字' })),
  fixmedins_name: req(str('定点医药机构名称', 100)),
  admvs: req(id('机构所在医保区划', REGION_CODE)),
  hosp_lv: int('医院等级', 1, 3, true),
  fixmedins_type: en('机构类型', ['hospital', 'clinic', 'pharmacy'], true),
  designated: bool('是否定点', true),
  key: str('签名密钥', 128),
};
export const CATALOGUE: Spec = {
  med_list_codg: req(str('医保目录编码', 50, { re: CODE, what: '字母数字' })),
  name: req(str('项目名称', 100)),
  cls: en('目录类别（A 甲类 / B 乙类 / self 自费）', ['A', 'B', 'self'], true),
  pric_uplmt_amt: money('最高限价'),
  selfpay_prop: str('乙类先行自付比例', 6, { re: /^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, what: '0 到 1 之间的小数，如 0.10' }),
  med_chrgitm_type: str('医疗收费项目类别', 10, { re: CODE }),
};
export const PERSON: Spec = {
  psn_no: req(id('人员编号', PERSON_NUMBER)),
  psn_name: req(str('姓名', 50)),
  certno: req(id('身份证号', ID_NUMBER)),
  gend: en('性别', ['1', '2'], true),
  brdy: date('出生日期', true),
  naty: str('民族', 2, { re: /^[0-9]{2}$/ }),
  insutype: en('险种类型', INSU_TYPE_CODES, true),
  insuplc_admdvs: req(id('参保地医保区划', REGION_CODE)),
  psn_insu_stas: en('参保状态', ['1', '2', '3']),
  psn_insu_date: date('参保日期', true),
  emp_no: str('单位编号', 30, { re: CODE }),
  contribution_base: money('缴费基数（月）'),
  retired: bool('是否退休'),
  pension: money('基本养老金（月）'),
  evoucher: str('医保电子凭证码', 64, { re: CODE }),
};
export const CARD: Spec = {
  card_no: req(id('社保卡号', CARD_NUMBER)),
  card_sn: req(id('卡识别码', CARD_SN)),
  psn_no: req(id('人员编号', PERSON_NUMBER)),
  issue_date: date('发卡日期', true),
  expiry_date: date('有效期至', true),
  admvs: req(id('发卡地区', REGION_CODE)),
  card_stas: en('卡状态', ['issued', 'active', 'lost', 'replaced', 'cancelled']),
  activated_date: date('激活日期'),
};

type Rec = Record<string, unknown>;
const dup = (what: string, key: string) => new BizError(`${what} ${key} 已存在，不能重复创建`);

export async function insertEmployer(q: Sql, r: Rec): Promise<void> {
  const rows = await q.query(`INSERT INTO employers (emp_no, emp_name, admvs, arrears) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING RETURNING emp_no`,
    [r.emp_no, r.emp_name, r.insuplc_admdvs, r.arrears ?? false]);
  if (!rows.length) throw dup('单位编号', String(r.emp_no));
}
export async function insertInstitution(q: Sql, r: Rec): Promise<void> {
  const rows = await q.query(`INSERT INTO institutions (code, name, admvs, level, type, designated, hmac_key) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING RETURNING code`,
    [r.fixmedins_code, r.fixmedins_name, r.admvs, r.hosp_lv, r.fixmedins_type, r.designated, r.key ?? null]);
  if (!rows.length) throw dup('定点医药机构编号', String(r.fixmedins_code));
}
export async function insertCatalogue(q: Sql, r: Rec): Promise<void> {
  let bp: number | null = null;
  if (typeof r.selfpay_prop === 'string') {
    const [w, f = ''] = r.selfpay_prop.split('.');
    bp = Number(w) * 10000 + Number(f.padEnd(4, '0'));
  }
  if (r.cls !== 'B' && bp !== null) throw new BizError('只有乙类项目可以设置先行自付比例 selfpay_prop');
  const rows = await q.query(`INSERT INTO catalogue (code, name, cls, cap_fen, selfpay_bp, chrgitm_type) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING RETURNING code`,
    [r.med_list_codg, r.name, r.cls, r.pric_uplmt_amt ?? null, bp, r.med_chrgitm_type ?? '09']);
  if (!rows.length) throw dup('医保目录编码', String(r.med_list_codg));
}
export async function insertPerson(q: Sql, r: Rec): Promise<void> {
  if (r.emp_no) {
    const e = await q.query(`SELECT 1 FROM employers WHERE emp_no = $1`, [r.emp_no]);
    if (!e.length) throw new BizError(`单位编号 emp_no=${r.emp_no} 不存在`);
  }
  if (String(r.brdy) > String(r.psn_insu_date)) throw new BizError('参保日期 psn_insu_date 早于出生日期 brdy');
  const exists = await q.query(`SELECT psn_no FROM persons WHERE psn_no = $1 OR certno = $2 OR (evoucher IS NOT NULL AND evoucher = $3)`, [r.psn_no, r.certno, r.evoucher ?? null]);
  if (exists.length) throw dup('人员编号/身份证号/电子凭证', `${r.psn_no}/${r.certno}`);
  await q.query(`INSERT INTO persons (psn_no, name, certno, gend, brdy, naty, insutype, admvs, stas, insu_date, emp_no, base_fen, retired, pension_fen, evoucher)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
  [r.psn_no, r.psn_name, r.certno, r.gend, r.brdy, r.naty ?? '01', r.insutype, r.insuplc_admdvs, r.psn_insu_stas ?? '1', r.psn_insu_date,
    r.emp_no ?? null, r.contribution_base ?? null, r.retired ?? false, r.pension ?? null, r.evoucher ?? null]);
}
export async function insertCard(q: Sql, r: Rec): Promise<void> {
  const p = await q.query(`SELECT 1 FROM persons WHERE psn_no = $1`, [r.psn_no]);
  if (!p.length) throw new BizError(`人员编号 psn_no=${r.psn_no} 不存在`);
  if (String(r.expiry_date) <= String(r.issue_date)) throw new BizError('有效期至 expiry_date 应晚于发卡日期 issue_date');
  const stas = (r.card_stas as string | undefined) ?? 'issued';
  if (stas === 'active' || stas === 'issued') {
    const valid = await q.query(`SELECT card_no FROM cards WHERE psn_no = $1 AND stas IN ('issued','active')`, [r.psn_no]);
    if (valid.length) throw new BizError(`该人员已有有效社保卡 ${valid[0].card_no}，一人只能有一张有效卡（如需换卡请先挂失后补办）`);
  }
  const rows = await q.query(`INSERT INTO cards (card_no, card_sn, psn_no, issue_date, expiry_date, admvs, stas, activated_date) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING RETURNING card_no`,
    [r.card_no, r.card_sn, r.psn_no, r.issue_date, r.expiry_date, r.admvs, stas, r.activated_date ?? (stas === 'active' ? r.issue_date : null)]);
  if (!rows.length) throw dup('社保卡号', String(r.card_no));
}
/** An opening balance: money brought into the personal account from outside the engine. */
export async function openingBalance(q: Sql, psn: string, fen: number, bucket: 'carried' | 'current', date: string, journalId: string, memo = '期初余额'): Promise<void> {
  await post(q, { id: journalId, date, ref: psn }, [
    { account: 'OPENING', amount: -fen, kind: 'opening', memo },
    { account: PA(psn), bucket, amount: fen, kind: 'opening', memo },
  ]);
}

// ------------------------------------------------------------------ YAML world

/**
 * fixtures/world/{employers,institutions,catalogue,people,cards}.yaml, each a list under
 * its own key; people may carry `opening_balance` (carried-over money, yuan). Loaded once:
 * rows that exist already are left alone (a restarted engine keeps its state).
 */
export async function loadWorld(q: Sql, dir: string, date: string): Promise<{ counts: Record<string, number> }> {
  const counts: Record<string, number> = {};
  const files: Array<[string, string, Spec, (q: Sql, r: Rec) => Promise<void>, string[]]> = [
    ['employers', 'employers', EMPLOYER, insertEmployer, ['emp_no']],
    ['institutions', 'institutions', INSTITUTION, insertInstitution, ['fixmedins_code']],
    ['catalogue', 'catalogue', CATALOGUE, insertCatalogue, ['med_list_codg']],
    ['people', 'people', { ...PERSON, opening_balance: money('期初余额（结转）') }, insertPerson, ['psn_no']],
    ['cards', 'cards', CARD, insertCard, ['card_no']],
  ];
  const tables: Record<string, [string, string]> = { employers: ['employers', 'emp_no'], institutions: ['institutions', 'code'], catalogue: ['catalogue', 'code'], people: ['persons', 'psn_no'], cards: ['cards', 'card_no'] };
  for (const [stem, key, spec, insert, idKeys] of files) {
    const file = [`${stem}.yaml`, `${stem}.yml`].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!file) continue;
    const y = new YamlFile(file);
    y.map([], [key], [key]);
    const n = y.seqLength([key]);
    counts[stem] = 0;
    for (let i = 0; i < n; i++) {
      const p = [key, i];
      let rec: Rec;
      try {
        rec = check(y.raw(p), spec, `${key}[${i}]`);
      } catch (e) {
        if (e instanceof BizError) throw new YamlError(file, y.line(e.field ? [...p, e.field] : p), `${key}[${i}]${e.field ? `.${e.field}` : ''}`, e.message);
        throw e;
      }
      const [table, col] = tables[stem];
      const have = await q.query(`SELECT 1 FROM ${table} WHERE ${col} = $1`, [rec[idKeys[0]]]);
      if (have.length) continue;
      try {
        await insert(q, rec);
      } catch (e) {
        if (e instanceof BizError) throw new YamlError(file, y.line(p), `${key}[${i}]`, e.message);
        throw e;
      }
      if (stem === 'people' && typeof rec.opening_balance === 'number' && rec.opening_balance > 0) {
        await openingBalance(q, String(rec.psn_no), rec.opening_balance, 'carried', date, `J-OPEN-${rec.psn_no}`);
      }
      counts[stem]++;
    }
  }
  return { counts };
}

export function personOut(r: Rec): Rec {
  return {
    psn_no: r.psn_no, psn_name: r.name, certno: r.certno, gend: r.gend, brdy: r.brdy, naty: r.naty, insutype: r.insutype,
    insuplc_admdvs: r.admvs, psn_insu_stas: r.stas, psn_insu_date: r.insu_date, emp_no: r.emp_no ?? null,
    contribution_base: r.base_fen === null || r.base_fen === undefined ? null : fmtFen(num(r.base_fen)),
    retired: r.retired, pension: r.pension_fen === null || r.pension_fen === undefined ? null : fmtFen(num(r.pension_fen)), evoucher: r.evoucher ?? null,
  };
}
