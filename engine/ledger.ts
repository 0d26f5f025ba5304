// The ledger: every movement of money is an entry; balances are sums of entries; each
// journal (one business event) sums to zero. Accounts:
//   PA:<psn_no>        personal account, buckets 'carried' and 'current' (domain.md §3)
//   FUND:<region>      pooled fund of the insured region
//   CONTRIB:<region>   contributions feeding monthly account credits
//   INTEREST:<region>  interest paid on personal accounts at the year-end rollover
//   OPENING            opening balances brought in from outside the engine
//   INST:<code>        the institution: what it is owed / received for a visit
//   CASH:<psn_no>      the person's pocket: cash paid (−) and reimbursement received (+)
import type { Sql } from './db';
import { num } from './db';
import { BizError } from './validate';

export type EntryKind = 'account_credit' | 'account_debit' | 'fund_pay' | 'cash' | 'reimbursement' | 'interest' | 'carry_over' | 'opening' | 'institution';
export interface Line { account: string; bucket?: '' | 'carried' | 'current'; amount: number; kind: EntryKind; memo?: string }
export interface Journal { id: string; date: string; ref: string }

/** The journal's non-zero lines, checked: integer fen, summing to zero. */
export function journalLines(j: Journal, lines: Line[]): Line[] {
  const rows = lines.filter((l) => l.amount !== 0);
  const sum = rows.reduce((s, l) => s + l.amount, 0);
  if (sum !== 0) throw new Error(`journal ${j.id} does not balance: ${sum}`);
  for (const l of rows) if (!Number.isSafeInteger(l.amount)) throw new Error(`journal ${j.id}: amount not an integer number of fen`);
  return rows;
}

/**
 * One journal as one INSERT of arrays (the same statement text whatever the number of
 * lines): `$1..$3` journal id, date, ref; `$4..$8` kinds, accounts, buckets, amounts, memos.
 * `INSERT_JOURNAL_AT(n)` numbers the parameters from $n for use inside a larger statement.
 */
export const INSERT_JOURNAL_AT = (n: number) => `INSERT INTO ledger_entries (journal_id, kind, account, bucket, amount, biz_date, ref, memo)
  SELECT $${n}, t.kind, t.account, t.bucket, t.amount, $${n + 1}, $${n + 2}, t.memo
  FROM unnest($${n + 3}::text[], $${n + 4}::text[], $${n + 5}::text[], $${n + 6}::bigint[], $${n + 7}::text[]) WITH ORDINALITY AS t(kind, account, bucket, amount, memo, ord)
  ORDER BY t.ord`;
export const journalParams = (j: Journal, rows: Line[]): unknown[] => [
  j.id, j.date, j.ref, rows.map((l) => l.kind), rows.map((l) => l.account), rows.map((l) => l.bucket ?? ''), rows.map((l) => l.amount), rows.map((l) => l.memo ?? ''),
];
const INSERT_JOURNAL = INSERT_JOURNAL_AT(1);

export async function post(q: Sql, j: Journal, lines: Line[]): Promise<void> {
  const rows = journalLines(j, lines);
  if (rows.length === 0) return;
  await q.query(INSERT_JOURNAL, journalParams(j, rows));
}

export const PA = (psn: string) => `PA:${psn}`;

export interface Balances { carried: number; current: number; total: number }
export async function balances(q: Sql, psn: string): Promise<Balances> {
  const rows = await q.query<{ bucket: string; s: unknown }>(
    `SELECT bucket, COALESCE(SUM(amount), 0)::bigint AS s FROM ledger_entries WHERE account = $1 GROUP BY bucket`, [PA(psn)]);
  let carried = 0;
  let current = 0;
  for (const r of rows) {
    if (r.bucket === 'carried') carried = num(r.s);
    else if (r.bucket === 'current') current = num(r.s);
  }
  return { carried, current, total: carried + current };
}

/** A debit of the personal account: carried-over money first (domain.md §3 Decision). */
export function accountDebit(psn: string, amount: number, b: Balances, memo: string): Line[] {
  if (amount > b.total) throw new BizError('个人账户余额不足');
  const fromCarried = Math.min(Math.max(b.carried, 0), amount);
  return [
    { account: PA(psn), bucket: 'carried', amount: -fromCarried, kind: 'account_debit', memo },
    { account: PA(psn), bucket: 'current', amount: -(amount - fromCarried), kind: 'account_debit', memo },
  ];
}

/** The ledger's health, for tests and the 9123 query. */
export async function ledgerCheck(q: Sql): Promise<{ entries: number; journals: number; sum: number; unbalanced: number; digest: string; negative: number }> {
  const [t] = await q.query<{ n: unknown; j: unknown; s: unknown }>(
    `SELECT count(*)::bigint AS n, count(DISTINCT journal_id)::bigint AS j, COALESCE(SUM(amount), 0)::bigint AS s FROM ledger_entries`);
  const [u] = await q.query<{ n: unknown }>(
    `SELECT count(*)::bigint AS n FROM (SELECT journal_id FROM ledger_entries GROUP BY journal_id HAVING SUM(amount) <> 0) x`);
  const [neg] = await q.query<{ n: unknown }>(
    `SELECT count(*)::bigint AS n FROM (SELECT account, bucket FROM ledger_entries WHERE account LIKE 'PA:%' GROUP BY account, bucket HAVING SUM(amount) < 0) x`);
  const [d] = await q.query<{ d: string | null }>(
    `SELECT md5(string_agg(entry_id::text || ':' || journal_id || ':' || account || ':' || bucket || ':' || amount::text, ',' ORDER BY entry_id)) AS d FROM ledger_entries`);
  return { entries: num(t.n), journals: num(t.j), sum: num(t.s), unbalanced: num(u.n), digest: d.d ?? 'empty', negative: num(neg.n) };
}
