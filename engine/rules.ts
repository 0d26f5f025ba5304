// The settlement rules of domain.md §3–§6 as pure functions over integer fen.
// Rounding: half up to the fen, once, where a share is computed (domain.md, preamble).
import type { Policy } from './policy';

/** round_half_up(a × b / den) for non-negative integers, exact (BigInt inside). */
export function mulDivRound(a: number, b: number, den: number): number {
  if (a < 0 || b < 0) throw new Error('mulDivRound: negative');
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(den);
  return Number((2n * n + d) / (2n * d));
}
/** amount × bp / 10000, rounded half up. */
export const share = (amount: number, bp: number) => mulDivRound(amount, bp, 10000);

// ----------------------------------------------------------------- §4.1 line items

export type ItemClass = 'A' | 'B' | 'self';
export interface CatalogueItem { code: string; name: string; cls: ItemClass; capFen: number | null; selfpayBp: number | null; chrgitmType: string }

/** The platform's charge-item level of a catalogue class: 01 甲类, 02 乙类, 03 自费. */
export const chrgitmLv = (cls: string): '01' | '02' | '03' => (cls === 'A' ? '01' : cls === 'B' ? '02' : '03');

export interface LineSplit {
  cls: ItemClass | 'unknown';
  selfpayBp: number;   // the class B pre-self-pay ratio applied (10000 for self-pay)
  fulamt: number;      // not in the catalogue: fully self-paid
  overlmt: number;     // above the price cap: self-paid
  preselfpay: number;  // class B pre-self-pay
  inscp: number;       // covered, enters the segments
}

/**
 * One fee line. `cnt4` is the quantity × 10,000 (quantities have up to 4 decimals).
 * Items not in the catalogue are self-pay (domain.md §4.1).
 */
export function splitLine(policy: Policy, item: CatalogueItem | null, amount: number, cnt4: number): LineSplit {
  if (!item || item.cls === 'self') return { cls: item ? 'self' : 'unknown', selfpayBp: 10000, fulamt: amount, overlmt: 0, preselfpay: 0, inscp: 0 };
  const allowed = item.capFen === null ? amount : Math.min(amount, mulDivRound(item.capFen, cnt4, 10000));
  const overlmt = amount - allowed;
  if (item.cls === 'A') return { cls: 'A', selfpayBp: 0, fulamt: 0, overlmt, preselfpay: 0, inscp: allowed };
  const bp = item.selfpayBp ?? policy.classBPreselfpayBp;
  const preselfpay = share(allowed, bp);
  return { cls: 'B', selfpayBp: bp, fulamt: 0, overlmt, preselfpay, inscp: allowed - preselfpay };
}

// ----------------------------------------------------------------- §4.2 the three segments

export interface Piece { segment: 'line' | 'pool' | 'over_cap'; from: number; to: number; amount: number; personBp: number; person: number; fund: number }

export interface SplitInput {
  policy: Policy;
  /** Covered amount of this visit (C). */
  covered: number;
  /** Not covered: self-pay items + over the price cap + class B pre-self-pay. */
  uncovered: number;
  /** Cumulative covered cost of the calendar year before this visit (A). */
  cumBefore: number;
  /** Personal account balance before this visit. */
  balance: number;
  /** acct_used_flag: may the account pay? */
  useAccount: boolean;
  /** Extra coinsurance points in the pooled brackets: institution level (§4.3), unfiled cross-region (§6). In bp. */
  extraBp: number;
}

export interface Split {
  pieces: Piece[];
  deductiblePaid: number; // act_pay_dedc: the part of C below the line
  fund: number;           // hifp_pay
  personCovered: number;  // the person's share of C
  personTotal: number;    // psn_part_amt = uncovered + personCovered
  acct: number;
  cash: number;
  balanceAfter: number;
  poolPropBp: number;     // the coinsurance ratio of the last pooled piece (0 if none)
  cumAfter: number;
}

/**
 * Chongqing channel model (domain.md §4.2): the covered amount is cut where the cumulative
 * covered cost crosses the line, each bracket bound and the cap; below the line the person
 * pays it all, in a bracket the bracket's rate (+ extra points), above the cap all of it.
 * The person's share is paid from the personal account first, the rest in cash.
 */
export function splitVisit(inp: SplitInput): Split {
  const { policy, covered, cumBefore } = inp;
  const bounds: Array<{ upTo: number; segment: Piece['segment']; personBp: number }> = [
    { upTo: policy.deductible, segment: 'line', personBp: 10000 },
    ...policy.brackets.map((b) => ({ upTo: b.upTo, segment: 'pool' as const, personBp: Math.min(10000, b.personBp + inp.extraBp) })),
    { upTo: Number.MAX_SAFE_INTEGER, segment: 'over_cap', personBp: 10000 },
  ];
  const pieces: Piece[] = [];
  let at = cumBefore;
  const end = cumBefore + covered;
  for (const b of bounds) {
    if (at >= end) break;
    if (at >= b.upTo) continue;
    const to = Math.min(end, b.upTo);
    const amount = to - at;
    const person = share(amount, b.personBp);
    pieces.push({ segment: b.segment, from: at, to, amount, personBp: b.personBp, person, fund: amount - person });
    at = to;
  }
  const fund = pieces.reduce((s, p) => s + p.fund, 0);
  const personCovered = covered - fund;
  const personTotal = inp.uncovered + personCovered;
  const payable = inp.useAccount ? (policy.accountPaysUncovered ? personTotal : personCovered) : 0;
  const acct = Math.max(0, Math.min(inp.balance, payable));
  const pool = pieces.filter((p) => p.segment === 'pool');
  return {
    pieces,
    deductiblePaid: pieces.filter((p) => p.segment === 'line').reduce((s, p) => s + p.amount, 0),
    fund, personCovered, personTotal, acct, cash: personTotal - acct, balanceAfter: inp.balance - acct,
    poolPropBp: pool.length ? pool[pool.length - 1].personBp : 0,
    cumAfter: end,
  };
}

/** Extra points for an institution level (domain.md §4.3). */
export function levelExtraBp(policy: Policy, level: number): number {
  return policy.levelExtraBp[(level === 1 || level === 2 || level === 3 ? level : 1) as 1 | 2 | 3];
}

// ----------------------------------------------------------------- §3 account credits

/** Whole years of age on a date (both 'yyyy-MM-dd'). */
export function ageOn(birth: string, date: string): number {
  const [by, bm, bd] = birth.split('-').map(Number);
  const [y, m, d] = date.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

export interface CreditInput { baseFen: number | null; pensionFen: number | null; retired: boolean; birth: string; date: string }
export interface Credit { perMonth: number; rule: string; baseUsed: number | null }

/** The monthly personal account credit (domain.md §3). */
export function monthlyCredit(policy: Policy, c: CreditInput): Credit {
  const r = policy.credit;
  if (r.model === 'chongqing') {
    if (c.baseFen === null) throw new RuleError('缺少缴费基数 contribution_base，无法计算个人账户划入');
    // base × person% + base × employer% × share%, rounded once.
    const perMonth = mulDivRound(c.baseFen, r.personBp * 10000 + r.employerBp * r.employerShareBp, 100_000_000);
    return { perMonth, baseUsed: c.baseFen, rule: `基数×${bpText(r.personBp)}+基数×${bpText(r.employerBp)}×${bpText(r.employerShareBp)}` };
  }
  if (c.retired) {
    if (c.pensionFen === null) throw new RuleError('退休人员缺少基本养老金 pension，无法计算个人账户划入');
    return { perMonth: share(c.pensionFen, r.retireePensionBp), baseUsed: c.pensionFen, rule: `退休：养老金×${bpText(r.retireePensionBp)}` };
  }
  if (c.baseFen === null) throw new RuleError('缺少缴费基数 contribution_base，无法计算个人账户划入');
  let base = c.baseFen;
  const lim = policy.contribution;
  if (lim) base = Math.min(Math.max(base, share(lim.socialAverageWage, lim.floorBp)), share(lim.socialAverageWage, lim.ceilingBp));
  const age = ageOn(c.birth, c.date);
  const band = r.bands.find((b) => age >= b.minAge && (b.maxAge === null || age <= b.maxAge))!;
  return { perMonth: share(base, band.bp), baseUsed: base, rule: `${age}岁：基数×${bpText(band.bp)}` };
}

/** Year-end interest (domain.md §3 Decision): carried × r_3m + current × r_demand, each rounded. */
export function yearEndInterest(policy: Policy, carried: number, current: number): { carried: number; current: number; total: number } {
  const a = share(Math.max(0, carried), policy.threeMonthBp);
  const b = share(Math.max(0, current), policy.demandBp);
  return { carried: a, current: b, total: a + b };
}

export function bpText(bp: number): string {
  const whole = Math.floor(bp / 100);
  const frac = bp % 100;
  return frac === 0 ? `${whole}%` : `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}%`;
}

export class RuleError extends Error {}
