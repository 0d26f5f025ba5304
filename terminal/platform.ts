// How the terminal reaches a settlement engine: one call per platform transaction
// (platform-api.md §1–§2). Anything that speaks the envelope fits: our EngineClient or an
// adapter for a vendor's engine.
import { wireToFen } from './money';

export interface EnvelopeOverrides {
  mdtrtarea_admvs?: string;
  insuplc_admdvs?: string;
  fixmedins_code?: string;
  fixmedins_name?: string;
  inf_time?: string;
  msgid?: string;
}

export interface PlatformCaller {
  /** Resolves with `output`; rejects with an error carrying `infcode` and `errMsg` on a refusal. */
  call(infno: string, input: Record<string, unknown>, envelope?: EnvelopeOverrides): Promise<any>;
}

export interface PlatformFailure { infcode: number; errMsg: string }
export function isPlatformFailure(err: unknown): err is Error & PlatformFailure {
  return !!err && typeof err === 'object' && 'infcode' in err && ('errMsg' in err || 'message' in err);
}
export function failureText(err: unknown): string {
  if (isPlatformFailure(err)) return err.errMsg ?? (err as Error).message;
  return (err as Error)?.message ?? String(err);
}

/** setlinfo with money in fen (platform-api.md §2). */
export interface Settlement {
  setlId: string;
  mdtrtId: string;
  psnNo: string;
  total: number;         // medfee_sumamt
  ownpay: number;        // fulamt_ownpay_amt
  preselfpay: number;    // preselfpay_amt
  covered: number;       // inscp_scp_amt
  deductible: number;    // act_pay_dedc
  fund: number;          // hifp_pay
  fundAll: number;       // fund_pay_sumamt
  personShare: number;   // psn_part_amt
  account: number;       // acct_pay
  cash: number;          // psn_cash_pay
  balance: number;       // balc
  time: string;          // setl_time
  raw: Record<string, unknown>;
}

export function parseSetlinfo(s: Record<string, any>): Settlement {
  return {
    setlId: String(s.setl_id ?? ''), mdtrtId: String(s.mdtrt_id ?? ''), psnNo: String(s.psn_no ?? ''),
    total: wireToFen(s.medfee_sumamt), ownpay: wireToFen(s.fulamt_ownpay_amt), preselfpay: wireToFen(s.preselfpay_amt),
    covered: wireToFen(s.inscp_scp_amt), deductible: wireToFen(s.act_pay_dedc), fund: wireToFen(s.hifp_pay),
    fundAll: wireToFen(s.fund_pay_sumamt), personShare: wireToFen(s.psn_part_amt), account: wireToFen(s.acct_pay),
    cash: wireToFen(s.psn_cash_pay), balance: wireToFen(s.balc), time: String(s.setl_time ?? ''), raw: s,
  };
}
