// Reference data — employers, institutions, catalogue items, people, cards, opening
// balances — from fixtures/world/*.yaml or from the agency transactions (91xx). Both paths
// use the same field specs (world-files.ts) and the same inserts.
import fs from 'node:fs';
import path from 'node:path';
import type { Sql } from './db';
import { num } from './db';
import { post, PA } from './ledger';
import { BizError } from './validate';
import { YamlDocument, YamlError, validate, type Format } from '../schema';
import { WORLD_FORMATS, type WorldRecord, type WorldStem } from './world-files';
import { fmtFen } from '../platform';

export { EMPLOYER, INSTITUTION, CATALOGUE, PERSON, CARD } from './world-files';

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
/** A catalogue row's default version: when it was made, yyyyMMddHHmmss (13xx download rows newer than the HIS's version). */
export const versionAt = (time: string): string => time.replace(/[^0-9]/g, '').padEnd(14, '0');

export async function insertCatalogue(q: Sql, r: Rec, at: string): Promise<void> {
  let bp: number | null = null;
  if (typeof r.selfpay_prop === 'string') {
    const [w, f = ''] = r.selfpay_prop.split('.');
    bp = Number(w) * 10000 + Number(f.padEnd(4, '0'));
  }
  if (r.cls !== 'B' && bp !== null) throw new BizError('只有乙类项目可以设置先行自付比例 selfpay_prop');
  const rows = await q.query(`INSERT INTO catalogue (code, name, cls, cap_fen, selfpay_bp, chrgitm_type, ver) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING RETURNING code`,
    [r.med_list_codg, r.name, r.cls, r.pric_uplmt_amt ?? null, bp, r.med_chrgitm_type ?? '09', r.ver ?? versionAt(at)]);
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
 * its own key; people may carry `opening_balance` (carried-over money, yuan). Each file is
 * checked whole first (every problem, with file, line and field), then loaded once: rows
 * that exist already are left alone (a restarted engine keeps its state).
 */
export async function loadWorld(q: Sql, dir: string, date: string): Promise<{ counts: Record<string, number> }> {
  const counts: Record<string, number> = {};
  const files: Array<[WorldStem, (q: Sql, r: Rec) => Promise<void>, table: string, column: string, key: string]> = [
    ['employers', insertEmployer, 'employers', 'emp_no', 'emp_no'],
    ['institutions', insertInstitution, 'institutions', 'code', 'fixmedins_code'],
    ['catalogue', (q, r) => insertCatalogue(q, r, date), 'catalogue', 'code', 'med_list_codg'],
    ['people', insertPerson, 'persons', 'psn_no', 'psn_no'],
    ['cards', insertCard, 'cards', 'card_no', 'card_no'],
  ];
  for (const [stem, insert, table, column, key] of files) {
    const file = [`${stem}.yaml`, `${stem}.yml`].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!file) continue;
    const doc = YamlDocument.read(file);
    const records = validate(WORLD_FORMATS[stem] as Format<WorldRecord[]>, doc);
    counts[stem] = 0;
    for (const [i, rec] of records.entries()) {
      const have = await q.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [rec[key]]);
      if (have.length) continue;
      try {
        await insert(q, rec);
      } catch (e) {
        if (e instanceof BizError) throw new YamlError([doc.issue([stem, i], e.message)]);
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
