// The ledger's schema: numbered migrations, applied once each, one migrator at a time.
import type { Db } from './types';

export const MIGRATIONS: Array<[number, string]> = [[1, `
CREATE TABLE employers (
  emp_no text PRIMARY KEY, emp_name text NOT NULL, admvs text NOT NULL,
  arrears boolean NOT NULL DEFAULT false, arrears_since text, paid_date text);
CREATE TABLE institutions (
  code text PRIMARY KEY, name text NOT NULL, admvs text NOT NULL, level int NOT NULL,
  type text NOT NULL, designated boolean NOT NULL, hmac_key text);
CREATE TABLE catalogue (
  code text PRIMARY KEY, name text NOT NULL, cls text NOT NULL, cap_fen bigint, selfpay_bp int, chrgitm_type text NOT NULL);
CREATE TABLE persons (
  psn_no text PRIMARY KEY, name text NOT NULL, certno text NOT NULL UNIQUE, gend text NOT NULL, brdy text NOT NULL,
  naty text NOT NULL, insutype text NOT NULL, admvs text NOT NULL, stas text NOT NULL, insu_date text NOT NULL,
  emp_no text REFERENCES employers(emp_no), base_fen bigint, retired boolean NOT NULL DEFAULT false,
  pension_fen bigint, evoucher text UNIQUE);
CREATE TABLE cards (
  card_no text PRIMARY KEY, card_sn text NOT NULL, psn_no text NOT NULL REFERENCES persons(psn_no),
  issue_date text NOT NULL, expiry_date text NOT NULL, admvs text NOT NULL, stas text NOT NULL,
  activated_date text, lost_date text, replaced_by text);
CREATE INDEX cards_psn ON cards(psn_no);
CREATE TABLE filings (
  filing_id text PRIMARY KEY, psn_no text NOT NULL REFERENCES persons(psn_no), admvs text NOT NULL,
  begndate text NOT NULL, enddate text, type text NOT NULL);
CREATE INDEX filings_psn ON filings(psn_no);
CREATE TABLE signins (sign_no text PRIMARY KEY, fixmedins_code text NOT NULL, opter text, sign_time text NOT NULL);
CREATE TABLE visits (
  mdtrt_id text PRIMARY KEY, psn_no text NOT NULL REFERENCES persons(psn_no), fixmedins_code text NOT NULL,
  admvs text NOT NULL, kind text NOT NULL, med_type text NOT NULL, begntime text NOT NULL, endtime text,
  ipt_otp_no text NOT NULL, cert_type text NOT NULL, cert_no text NOT NULL, insutype text NOT NULL,
  emergency boolean NOT NULL DEFAULT false, stas text NOT NULL, info jsonb NOT NULL DEFAULT '{}');
CREATE INDEX visits_psn ON visits(psn_no);
CREATE TABLE fee_lines (
  mdtrt_id text NOT NULL REFERENCES visits(mdtrt_id), feedetl_sn text NOT NULL, code text NOT NULL, name text NOT NULL,
  amount bigint NOT NULL, cnt4 bigint NOT NULL, pric bigint NOT NULL, fee_time text NOT NULL, cls text NOT NULL,
  fulamt bigint NOT NULL, overlmt bigint NOT NULL, preselfpay bigint NOT NULL, inscp bigint NOT NULL,
  selfpay_bp int NOT NULL, cap_fen bigint, chrgitm_type text NOT NULL, chrg_bchno text,
  PRIMARY KEY (mdtrt_id, feedetl_sn));
CREATE TABLE settlements (
  setl_id text PRIMARY KEY, mdtrt_id text, psn_no text NOT NULL REFERENCES persons(psn_no), kind text NOT NULL,
  year int NOT NULL, setl_time text NOT NULL, stas text NOT NULL, inscp bigint NOT NULL, total bigint NOT NULL,
  fund bigint NOT NULL, acct bigint NOT NULL, cash bigint NOT NULL, journal_id text NOT NULL,
  reversal_journal text, info jsonb NOT NULL);
CREATE INDEX settlements_psn_year ON settlements(psn_no, year);
CREATE INDEX settlements_visit ON settlements(mdtrt_id);
CREATE TABLE claims (
  claim_id text PRIMARY KEY, psn_no text NOT NULL, reason text NOT NULL, visit_key text NOT NULL,
  status text NOT NULL, setl_id text, info jsonb NOT NULL);
CREATE UNIQUE INDEX claims_visit_accepted ON claims(visit_key) WHERE status = 'accepted';
CREATE INDEX claims_psn ON claims(psn_no);
CREATE TABLE ledger_entries (
  entry_id bigserial PRIMARY KEY, journal_id text NOT NULL, kind text NOT NULL, account text NOT NULL,
  bucket text NOT NULL DEFAULT '', amount bigint NOT NULL, biz_date text NOT NULL, ref text NOT NULL DEFAULT '',
  memo text NOT NULL DEFAULT '');
CREATE INDEX ledger_account ON ledger_entries(account, bucket);
CREATE INDEX ledger_journal ON ledger_entries(journal_id);
CREATE TABLE receipts (receipt_id text PRIMARY KEY, kind text NOT NULL, ref_id text NOT NULL, psn_no text NOT NULL, body jsonb NOT NULL);
CREATE INDEX receipts_ref ON receipts(ref_id);
CREATE INDEX receipts_psn ON receipts(psn_no);
CREATE TABLE period_credits (psn_no text NOT NULL, period text NOT NULL, journal_id text NOT NULL, PRIMARY KEY (psn_no, period));
CREATE TABLE rollovers (psn_no text NOT NULL, year int NOT NULL, journal_id text NOT NULL, PRIMARY KEY (psn_no, year));
CREATE TABLE messages (msgid text PRIMARY KEY, infno text NOT NULL, req_hash text NOT NULL, infcode int NOT NULL,
  response jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE SEQUENCE ids START 1;
`], [2, `
-- The answer kept under a msgid is replayed byte for byte and never queried inside:
-- text, not jsonb (parsing it into jsonb was the costliest part of every request).
ALTER TABLE messages ALTER COLUMN response TYPE text USING response::text;
`], [3, `
-- A msgid is unique per sender (an institution, or the control API): another party cannot
-- take an institution's next msgid first. And each institution's business clock.
ALTER TABLE messages ADD COLUMN sender text NOT NULL DEFAULT '';
ALTER TABLE messages DROP CONSTRAINT messages_pkey;
ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (sender, msgid);
CREATE TABLE clocks (code text PRIMARY KEY, offset_ms bigint NOT NULL)
`], [4, `
-- domain.md §3: a year is closed once. When each person's year was closed (older rows: the
-- date of their journal, which is empty for an empty account), and each close of a region or
-- of all regions, so that a second close of the same year and scope is refused by name, and
-- two at once meet on the primary key.
ALTER TABLE rollovers ADD COLUMN closed_at text;
UPDATE rollovers r SET closed_at = COALESCE((SELECT min(biz_date) FROM ledger_entries e WHERE e.journal_id = r.journal_id), '时间未记录');
ALTER TABLE rollovers ALTER COLUMN closed_at SET NOT NULL;
CREATE TABLE year_closes (year int NOT NULL, scope text NOT NULL, closed_at text NOT NULL, PRIMARY KEY (year, scope));
`], [5, `
-- domain.md §5: a visit is reimbursed once, whatever invoice number the claim gives. A fee
-- line is the person, the institution, the catalogue item, the time of the fee and its
-- amount, and which of the identical lines it is (nth): the primary key, so two claims
-- with the same lines cannot both be accepted, not even at the same moment.
CREATE TABLE claim_lines (
  psn_no text NOT NULL, fixmedins_code text NOT NULL, code text NOT NULL, fee_time text NOT NULL, amount bigint NOT NULL, nth int NOT NULL,
  claim_id text NOT NULL, feedetl_sn text NOT NULL,
  PRIMARY KEY (psn_no, fixmedins_code, code, fee_time, amount, nth));
CREATE INDEX claim_lines_claim ON claim_lines(claim_id);
`], [6, `
-- 2601 冲正 removes the fee lines one upload (a msgid) brought.
ALTER TABLE fee_lines ADD COLUMN msgid text;
CREATE INDEX fee_lines_msgid ON fee_lines(msgid)
`],
// ---------------------------------------------------------------- files, catalogue versions, mappings
// (engine/files.ts, catalogue.ts, reconcile.ts: 9101/9102, 13xx, 3301/3302, 3202)
[7, `
-- Files the platform keeps for an institution: uploaded by it (9101) or made for it (13xx
-- catalogue downloads, 3202 results). Only their owner can download them (9102), until
-- dld_endtime. The content is the bytes in base64, never a path on disk.
CREATE TABLE files (
  file_qury_no text PRIMARY KEY, owner text NOT NULL, filename text NOT NULL, kind text NOT NULL,
  size int NOT NULL, content text NOT NULL, created text NOT NULL, dld_endtime text NOT NULL);
-- A catalogue row's version (13xx: rows newer than the version the HIS has).
ALTER TABLE catalogue ADD COLUMN ver text NOT NULL DEFAULT '0';
-- An institution's own items mapped onto catalogue items (3301), one mapping per item and list type.
CREATE TABLE mappings (
  fixmedins_code text NOT NULL, list_type text NOT NULL, fixmedins_hilist_id text NOT NULL,
  fixmedins_hilist_name text NOT NULL, med_list_codg text NOT NULL REFERENCES catalogue(code),
  begndate text NOT NULL, enddate text, info jsonb NOT NULL, created text NOT NULL,
  PRIMARY KEY (fixmedins_code, list_type, fixmedins_hilist_id))
`],
// ---------------------------------------------------------------- pharmacy stock (3501–3507, engine/pharmacy.ts)
[8, `
-- Each institution's stock of each item (med_list_codg), in whole units of the smallest
-- package: never below zero. Each movement is one upload (a msgid), named by its batch serial
-- (fixmedins_bchno) per transaction, with the signed quantity it moved: 3507 and 2601 take a
-- movement back by that quantity.
CREATE TABLE stock (sender text NOT NULL, item text NOT NULL, qty bigint NOT NULL CHECK (qty >= 0), PRIMARY KEY (sender, item));
CREATE TABLE stock_moves (
  sender text NOT NULL, msgid text NOT NULL, infno text NOT NULL, data_type text NOT NULL, bchno text NOT NULL, item text NOT NULL,
  qty bigint NOT NULL, biz_time text NOT NULL, info jsonb NOT NULL,
  PRIMARY KEY (sender, msgid), UNIQUE (sender, infno, bchno));
CREATE INDEX stock_moves_bchno ON stock_moves(sender, data_type, bchno)
`],
// ---------------------------------------------------------------- end of pharmacy stock
];

export async function migrate(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const [version, sql] of MIGRATIONS) {
    await db.tx(async (q) => {
      // One migrator at a time (two engines starting on one database).
      await q.query(`LOCK TABLE schema_migrations IN EXCLUSIVE MODE`);
      const done = await q.query(`SELECT 1 FROM schema_migrations WHERE version = $1`, [version]);
      if (done.length) return;
      for (const stmt of sql.split(';').map((s) => s.trim()).filter(Boolean)) await q.query(stmt);
      await q.query(`INSERT INTO schema_migrations(version) VALUES ($1)`, [version]);
    });
  }
}
