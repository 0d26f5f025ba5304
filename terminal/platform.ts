// The terminal's reading of platform answers: failures (infcode ≠ 0) and setlinfo in fen.
import { wireToFen, type PersonLookupOutput, type SetlInfo } from '../platform';
import type { PersonInfo, Settlement } from './types';

export interface PlatformFailure { infcode: number; errMsg: string }
export function isPlatformFailure(err: unknown): err is Error & PlatformFailure {
  return !!err && typeof err === 'object' && 'infcode' in err && ('errMsg' in err || 'message' in err);
}
export function failureText(err: unknown): string {
  if (isPlatformFailure(err)) return err.errMsg ?? err.message;
  return (err as Error)?.message ?? String(err);
}

export function parseSetlinfo(s: SetlInfo): Settlement {
  return {
    setlId: s.setl_id, mdtrtId: s.mdtrt_id, psnNo: s.psn_no,
    total: wireToFen(s.medfee_sumamt), ownpay: wireToFen(s.fulamt_ownpay_amt), preselfpay: wireToFen(s.preselfpay_amt),
    covered: wireToFen(s.inscp_scp_amt), deductible: wireToFen(s.act_pay_dedc), fund: wireToFen(s.hifp_pay),
    fundAll: wireToFen(s.fund_pay_sumamt), personShare: wireToFen(s.psn_part_amt), account: wireToFen(s.acct_pay),
    cash: wireToFen(s.psn_cash_pay), balance: wireToFen(s.balc), time: s.setl_time,
  };
}

/** 1101's answer as the terminal uses it: the person and their first insurance record. */
export function parsePerson(out: PersonLookupOutput): PersonInfo {
  const base = out.baseinfo;
  const insu = out.insuinfo[0];
  return {
    psnNo: base.psn_no, name: base.psn_name, certno: base.certno,
    insutype: insu?.insutype ?? '310', region: insu?.insuplc_admdvs ?? '', status: insu?.psn_insu_stas ?? '1',
    balanceFen: insu?.balc === undefined ? undefined : wireToFen(insu.balc),
  };
}
