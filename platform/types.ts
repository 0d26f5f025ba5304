// Wire types of the settlement interface (shared/platform-api.md) as our engine speaks it.
// Amounts: requests accept decimal yuan as a string ("332.80") or a number with at most two
// decimals; responses always carry strings with exactly two decimals. Dates: 'yyyy-MM-dd',
// times: 'yyyy-MM-dd HH:mm:ss'. Field names are the platform's own.
import type { InsuType, MedType } from '../spec';
import type { BizClock } from './clock';

/** Decimal yuan as sent: "332.80" or 332.8. */
export type YuanIn = string | number;
/** Decimal yuan as answered: always a string with two decimals, e.g. "332.80". */
export type Yuan = string;

export type CertType = '01' | '02' | '03'; // e-voucher, ID card, social security card
export type { InsuType, MedType } from '../spec';

/** The common request envelope (platform-api.md §1). */
export interface Envelope<I = unknown> {
  infno: string;
  msgid: string;
  mdtrtarea_admvs: string;
  insuplc_admdvs?: string;
  recer_sys_code?: string;
  dev_no?: string;
  dev_safe_info?: string;
  cainfo?: string;
  signtype?: string;
  infver?: string;
  opter_type?: '1' | '2' | '3';
  opter: string;
  opter_name: string;
  inf_time: string;
  fixmedins_code: string;
  fixmedins_name?: string;
  sign_no?: string;
  /** Receiving region, sent by some regions' HIS; accepted, not used. */
  recer_admdvs?: string;
  input: I;
}

/**
 * The common response envelope. infcode 0 success, -1 failure. inf_refmsgid: region (6) +
 * time yyyyMMddHHmmss (14) + sequence (10); refmsg_time (request received) and respond_time:
 * yyyyMMddHHmmssSSS. cainfo / signtype: the answer signed with the institution's key (its
 * canonical text, as a request's), null when the sender was not established.
 */
export interface Response<O = unknown> {
  infcode: number;
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  err_msg: string | null;
  warn_msg: string | null;
  cainfo: string | null;
  signtype: SignType | null;
  output: O | null;
}

// ---------------------------------------------------------------- platform transactions

export interface SignInInput { opter_no?: string; mac?: string; ip?: string }
export interface SignInOutput { signinoutb: { sign_time: string; sign_no: string } }

export interface PersonLookupInput {
  mdtrt_cert_type: CertType;
  mdtrt_cert_no: string;
  card_sn?: string;
  begntime?: string;
  psn_cert_type?: string;
  certno?: string;
  psn_name?: string;
}
export interface PersonLookupOutput {
  baseinfo: { psn_no: string; psn_cert_type: '01'; certno: string; psn_name: string; gend: '1' | '2'; naty: string; brdy: string; age: number };
  insuinfo: Array<{
    balc: Yuan; insutype: InsuType; psn_type: string; psn_insu_stas: '1' | '2' | '3';
    psn_insu_date: string; paus_insu_date: string | null; cvlserv_flag: '0'; insuplc_admdvs: string; emp_name: string | null;
  }>;
  idetinfo: Array<{ psn_idet_type: string; begntime: string; endtime: string | null }>;
  /** Engine extension: the card presented (cert type 03), for the receipt and the steps. */
  cardinfo?: { card_no: string; card_sn: string; card_stas: CardStatus; expiry_date: string } | null;
}

export interface RegisterInput {
  psn_no: string;
  insutype: InsuType;
  begntime: string;
  mdtrt_cert_type: CertType;
  mdtrt_cert_no: string;
  card_sn?: string;
  ipt_otp_no: string;
  atddr_no?: string;
  dr_name?: string;
  dept_code?: string;
  dept_name?: string;
  caty?: string;
  psn_cert_type?: string;
  certno?: string;
  psn_type?: string;
  psn_name?: string;
  /** Engine extension: '1' marks an emergency visit (domain.md §5). */
  emergency_flag?: '0' | '1';
  /** Medical type of the visit (default '11'; '41' pharmacy purchase, '51' maternity/family planning). */
  med_type?: MedType;
}
export interface RegisterOutput { data: { mdtrt_id: string; psn_no: string; ipt_otp_no: string; exp_content?: string } }

export interface RegisterCancelInput { psn_no: string; mdtrt_id: string; ipt_otp_no: string; exp_content?: string }

export interface Diagnosis { diag_type?: string; diag_srt_no?: string | number; diag_code: string; diag_name: string; diag_dept?: string; dise_dor_no?: string; dise_dor_name?: string; diag_time?: string; vali_flag?: string }

export interface VisitInfoInput {
  mdtrt_id: string;
  psn_no: string;
  med_type: MedType;
  begntime: string;
  main_cond_dscr?: string;
  dise_codg?: string;
  dise_name?: string;
  birctrl_type?: string;
  birctrl_matn_date?: string;
  diseinfo?: Diagnosis[];
}

export interface FeeLine {
  feedetl_sn: string;
  mdtrt_id?: string;
  psn_no?: string;
  chrg_bchno?: string;
  med_list_codg: string;
  medins_list_codg?: string;
  det_item_fee_sumamt: YuanIn;
  cnt: string | number;
  pric: YuanIn;
  fee_ocur_time: string;
  bilg_dept_codg?: string;
  bilg_dept_name?: string;
  bilg_dr_codg?: string;
  bilg_dr_name?: string;
  med_type?: MedType;
  rx_circ_flag?: string;
  hosp_appr_flag?: string;
}
export interface FeeUploadInput { feedetail: FeeLine[] }
export interface FeeLineResult {
  feedetl_sn: string;
  det_item_fee_sumamt: Yuan;
  cnt: string;
  pric: Yuan;
  pric_uplmt_amt: Yuan | null;
  selfpay_prop: string;      // e.g. "0.10"
  fulamt_ownpay_amt: Yuan;   // not covered: items outside the catalogue (自费)
  overlmt_amt: Yuan;         // not covered: the part above the price cap (超限价)
  preselfpay_amt: Yuan;      // class B pre-self-pay
  inscp_scp_amt: Yuan;       // covered
  chrgitm_lv: '01' | '02' | '03'; // class A, class B, self-pay
  med_chrgitm_type: string;
  bas_medn_flag: '0' | '1';
  list_sp_item_flag: '0';
}
export interface FeeUploadOutput { result: FeeLineResult[] }

export interface FeeCancelInput { mdtrt_id: string; psn_no: string; chrg_bchno?: string; feedetl_sn?: string }

export interface SettleInput {
  psn_no: string;
  mdtrt_cert_type: CertType;
  mdtrt_cert_no: string;
  card_sn?: string;
  med_type: MedType;
  medfee_sumamt: YuanIn;
  psn_setlway?: '01' | '02';
  mdtrt_id: string;
  chrg_bchno?: string;
  insutype?: InsuType;
  acct_used_flag: '0' | '1';
  invono?: string;
  fulamt_ownpay_amt?: YuanIn;
  overlmt_selfpay?: YuanIn;
  preselfpay_amt?: YuanIn;
  inscp_scp_amt?: YuanIn;
  mid_setl_flag?: '0' | '1';
}

export interface SetlInfo {
  setl_id: string;
  mdtrt_id: string;
  psn_no: string;
  psn_name: string;
  psn_cert_type: '01';
  certno: string;
  gend: '1' | '2';
  naty: string;
  brdy: string;
  age: number;
  insutype: InsuType;
  psn_type: string;
  cvlserv_flag: '0';
  setl_time: string;
  mdtrt_cert_type: CertType;
  med_type: MedType;
  medfee_sumamt: Yuan;
  fulamt_ownpay_amt: Yuan;
  overlmt_selfpay: Yuan;
  preselfpay_amt: Yuan;
  inscp_scp_amt: Yuan;
  act_pay_dedc: Yuan;
  hifp_pay: Yuan;
  pool_prop_selfpay: string;
  cvlserv_pay: Yuan;
  hifes_pay: Yuan;
  hifmi_pay: Yuan;
  hifob_pay: Yuan;
  maf_pay: Yuan;
  oth_pay: Yuan;
  fund_pay_sumamt: Yuan;
  psn_part_amt: Yuan;
  acct_pay: Yuan;
  psn_cash_pay: Yuan;
  hosp_part_amt: Yuan;
  balc: Yuan;
  acct_mulaid_pay: Yuan;
  medins_setl_id: string;
  clr_optins: string;
  clr_way: string;
  clr_type: string;
  /** Engine extensions. */
  fixmedins_code: string;
  fixmedins_name: string;
  insuplc_admdvs: string;
  mdtrtarea_admvs: string;
  setl_stas: 'settled' | 'reversed' | 'pre';
  /** Cumulative covered cost of the calendar year before and after this settlement. */
  cum_inscp_before: Yuan;
  cum_inscp_after: Yuan;
  /** How the covered amount crossed the segments (domain.md §4.2), for the steps and the report. */
  segments: SegmentLine[];
}
export interface SegmentLine {
  segment: 'line' | 'pool' | 'over_cap';
  from: Yuan;      // cumulative covered cost where the piece starts
  to: Yuan;        // and ends
  amount: Yuan;    // the piece
  person_rate: string; // "1.00", "0.25"
  person: Yuan;
  fund: Yuan;
}
export interface SetlDetail { fund_pay_type: string; inscp_scp_amt: Yuan; crt_payb_lmt_amt: Yuan; fund_payamt: Yuan; fund_pay_type_name: string; setl_proc_info: string }
export interface SettleOutput { setlinfo: SetlInfo; setldetail: SetlDetail[] }

export interface ReverseInput { setl_id: string; mdtrt_id: string; psn_no: string }
export interface ReverseOutput { setlinfo: SetlInfo; setldetail: SetlDetail[] }

export interface AdmissionInput {
  psn_no: string;
  insutype: InsuType;
  mdtrt_cert_type: CertType;
  mdtrt_cert_no: string;
  card_sn?: string;
  med_type: '21';
  ipt_no: string;
  begntime: string;
  adm_diag_dscr?: string;
  adm_dept_codg?: string;
  adm_dept_name?: string;
  atddr_no?: string;
  chfpdr_name?: string;
  dise_codg?: string;
  dise_name?: string;
  psn_name?: string;
  certno?: string;
  diseinfo?: Diagnosis[];
}
export interface AdmissionOutput { result: { mdtrt_id: string; psn_no: string; ipt_otp_no: string } }
export interface DischargeInput { mdtrt_id: string; psn_no: string; endtime: string; dscg_way?: string; dscg_diag_dscr?: string; dise_codg?: string; dise_name?: string; diseinfo?: Diagnosis[] }

export interface SettlementQueryInput { psn_no: string; setl_id?: string; mdtrt_id?: string }

// ---------------------------------------------------------------- agency side (ours, 91xx)

export type CardStatus = 'issued' | 'active' | 'lost' | 'replaced' | 'cancelled';

export interface EmployerRec { emp_no: string; emp_name: string; insuplc_admdvs: string; arrears?: boolean }
export interface InstitutionRec {
  fixmedins_code: string; fixmedins_name: string; admvs: string;
  /** 1, 2, 3 (hospital level); pharmacies and clinics use 1. */
  hosp_lv: 1 | 2 | 3;
  fixmedins_type: 'hospital' | 'clinic' | 'pharmacy';
  designated: boolean;
  /** Optional HMAC key: when set, requests must carry a signature in cainfo. */
  key?: string;
}
export interface CatalogueRec {
  med_list_codg: string; name: string;
  /** A 甲类, B 乙类, self 自费. */
  cls: 'A' | 'B' | 'self';
  pric_uplmt_amt?: YuanIn | null;
  /** Overrides the policy's class B pre-self-pay ratio, e.g. "0.10". */
  selfpay_prop?: string;
  med_chrgitm_type?: string;
  /** Version (digits), for the 13xx incremental downloads; default the time it is made, yyyyMMddHHmmss. */
  ver?: string;
}
export interface PersonRec {
  psn_no: string; psn_name: string; certno: string; gend: '1' | '2'; brdy: string; naty?: string;
  insutype: InsuType; insuplc_admdvs: string;
  /** 1 active 参保, 2 suspended 暂停, 3 ended 终止. */
  psn_insu_stas?: '1' | '2' | '3';
  psn_insu_date: string;
  emp_no?: string | null;
  /** Monthly contribution base (yuan). */
  contribution_base?: YuanIn | null;
  retired?: boolean;
  pension?: YuanIn | null;
  /** Code the e-voucher (mdtrt_cert_type 01) carries. */
  evoucher?: string | null;
}
export interface CardRec {
  card_no: string; card_sn: string; psn_no: string; issue_date: string; expiry_date: string;
  admvs: string; card_stas?: CardStatus; activated_date?: string | null;
}

export interface AgencyOk { ok: true }
export interface BalanceOutput {
  psn_no: string; balc: Yuan; carried: Yuan; current: Yuan;
  year: number; cum_inscp: Yuan;
}
export interface LedgerEntryOut { entry_id: string; journal_id: string; kind: string; account: string; bucket: string; amount: Yuan; biz_date: string; ref: string; memo: string }
export interface CreditOutput { psn_no: string; months: number; credit_per_month: Yuan; credited: Yuan; balc: Yuan; rule: string }
export interface RolloverOutput { year: number; accounts: number; interest_total: Yuan; people: Array<{ psn_no: string; carried_before: Yuan; current_before: Yuan; interest: Yuan; balc: Yuan }> }
export type ClaimReason = 'emergency' | 'family_planning' | 'employer_arrears' | 'card_replacement' | 'no_card_issued' | 'cross_region_unfiled' | 'none';
export interface ClaimInput {
  psn_no: string;
  reason: ClaimReason;
  /** A visit the engine knows (registered, settlement refused) — its fee lines are used. */
  mdtrt_id?: string;
  /** Or the visit as the invoices show it. */
  fixmedins_code?: string;
  invono?: string;
  med_type?: MedType;
  begntime?: string;
  emergency_flag?: '0' | '1';
  feedetail?: FeeLine[];
  /** Evidence: surgery certificate number, referral/filing number, invoice numbers. */
  surgery_cert_no?: string;
  referral_no?: string;
  invoice_nos?: string[];
}
export interface ClaimOutput {
  claim_id: string; psn_no: string; reason: ClaimReason; status: 'accepted' | 'rejected';
  err_msg: string | null;
  /** Present when accepted: the adjudication, as a settlement would have been. */
  setlinfo: SetlInfo | null;
  /** What the agency pays the person back: fund share + account share. */
  payout: Yuan;
  receipt_id: string | null;
}

export interface Receipt {
  receipt_id: string;
  kind: 'settlement' | 'reversal' | 'reimbursement';
  ref_id: string;          // setl_id or claim_id
  psn_no: string; psn_name: string; certno: string; insutype: InsuType; insuplc_admdvs: string;
  fixmedins_code: string; fixmedins_name: string; hosp_lv: number; mdtrtarea_admvs: string;
  date: string;            // business date/time of the settlement
  visit_date: string;
  med_type: MedType; med_type_name: string;
  medfee_sumamt: Yuan;     // total cost
  fulamt_ownpay_amt: Yuan; // not covered: items outside the catalogue
  overlmt_selfpay: Yuan;   // not covered: above the price cap
  preselfpay_amt: Yuan;    // class B pre-self-pay
  selfpay_amt: Yuan;       // self-pay total = the three above
  inscp_scp_amt: Yuan;     // covered
  fund_pay_sumamt: Yuan;
  acct_pay: Yuan;
  psn_cash_pay: Yuan;
  payout: Yuan;            // reimbursement paid back (reimbursement receipts), else "0.00"
  balc: Yuan;              // account balance after
  cross_region: boolean;
  cash_advance_reason: ClaimReason | null;
  lines: Array<{ feedetl_sn: string; med_list_codg: string; name: string; cls: string; amount: Yuan; covered: Yuan; selfpay: Yuan }>;
  segments: SegmentLine[];
}

export interface LedgerCheck { entries: number; journals: number; sum: Yuan; unbalanced_journals: number; digest: string; accounts_negative: number }

export interface SignOutInput { sign_no: string; opter_no?: string }
export interface SignOutOutput { signoutoutb: { sign_time: string; sign_no: string } }

/** 2601 冲正: undo what the sender's message omsgid (transaction oinfno) booked. */
export interface ReversalInput { psn_no: string; omsgid: string; oinfno: string }
/** rvs_stas '1': something was undone; '0': the original booked nothing (or was undone before). */
export interface ReversalOutput { data: { omsgid: string; oinfno: string; rvs_stas: '0' | '1'; memo: string } }

// ---------------------------------------------------------------- files, catalogues, mapping, reconciliation (engine/files.ts, catalogue.ts, reconcile.ts)

/** 9101: `in` is the file's bytes, base64 (as a C# or Java byte[] serializes) or an array of byte values. */
export interface FileUploadInput { in: string | number[]; filename: string; fixmedins_code: string }
export interface FileInfo { file_qury_no: string; filename: string; dld_endtime: string }
/** 9102: fixmedins_code and filename "plc" fetch a file the platform made (13xx). */
export interface FileDownloadInput { file_qury_no: string; filename: string; fixmedins_code: string }
/** 9102's answer: the file's bytes in base64 (`content`). */
export interface FileDownloadOutput extends FileInfo { size: number; content: string }
export interface CatalogueDownloadInput { ver: string }
export interface CatalogueDownloadOutput { file_qury_no: string; filename: string; dld_end_time: string; data_cnt: number }
export interface DictionaryInput { type: string; parentValue?: string; admdvs: string; date: string; vali_flag?: '0' | '1'; page_num?: number; page_size?: number }
export interface DictionaryEntry { type: string; label: string; value: string; parent_value: string | null; sort: number; vali_flag: string }
export interface MappingInput {
  fixmedins_hilist_id: string; fixmedins_hilist_name: string; list_type: string; med_list_codg: string; begndate: string; enddate?: string;
  aprvno?: string; dosform?: string; exct_cont?: string; item_cont?: string; prcunt?: string; spec?: string; pacspec?: string; memo?: string;
}
export interface MappingCancelInput { fixmedins_code: string; fixmedins_hilist_id: string; list_type: string; med_list_codg: string }
export interface StatementInput {
  insutype: InsuType; clr_type: string; setl_optins: string; stmt_begndate: string; stmt_enddate: string;
  medfee_sumamt: YuanIn; fund_pay_sumamt: YuanIn; acct_pay: YuanIn; fixmedins_setl_cnt: number; refd_setl_flag?: '0' | '1';
}
/** stmt_rslt '0' balanced, '1' not (stmt_rslt_dscr names each figure that differs). */
export interface StatementOutput { stmtinfo: { setl_optins: string; stmt_rslt: '0' | '1'; stmt_rslt_dscr: string } }
export interface StatementDetailInput {
  setl_optins: string; clr_type: string; file_qury_no: string; stmt_begndate: string; stmt_enddate: string;
  medfee_sumamt: YuanIn; fund_pay_sumamt: YuanIn; cash_payamt: YuanIn; acct_pay?: YuanIn; fixmedins_setl_cnt: number;
}

/** infno → input/output. */
export interface Transactions {
  '9001': { input: SignInInput; output: SignInOutput };
  '9002': { input: SignOutInput; output: SignOutOutput };
  '2601': { input: ReversalInput; output: ReversalOutput };
  '1101': { input: PersonLookupInput; output: PersonLookupOutput };
  '2201': { input: RegisterInput; output: RegisterOutput };
  '2202': { input: RegisterCancelInput; output: Record<string, never> };
  '2203': { input: VisitInfoInput; output: Record<string, never> };
  '2204': { input: FeeUploadInput; output: FeeUploadOutput };
  '2205': { input: FeeCancelInput; output: Record<string, never> };
  '2206': { input: SettleInput; output: SettleOutput };
  '2207': { input: SettleInput; output: SettleOutput };
  '2208': { input: ReverseInput; output: ReverseOutput };
  '2401': { input: AdmissionInput; output: AdmissionOutput };
  '2301': { input: FeeUploadInput; output: FeeUploadOutput };
  '2302': { input: FeeCancelInput; output: Record<string, never> };
  '2303': { input: SettleInput; output: SettleOutput };
  '2304': { input: SettleInput; output: SettleOutput };
  '2305': { input: ReverseInput; output: ReverseOutput };
  '2402': { input: DischargeInput; output: Record<string, never> };
  '5203': { input: SettlementQueryInput; output: SettleOutput };
  '9101': { input: FileUploadInput; output: FileInfo };
  '9102': { input: FileDownloadInput; output: FileDownloadOutput };
  '1301': { input: CatalogueDownloadInput; output: CatalogueDownloadOutput };
  '1302': { input: CatalogueDownloadInput; output: CatalogueDownloadOutput };
  '1305': { input: CatalogueDownloadInput; output: CatalogueDownloadOutput };
  '1306': { input: CatalogueDownloadInput; output: CatalogueDownloadOutput };
  '1307': { input: CatalogueDownloadInput; output: CatalogueDownloadOutput };
  '1901': { input: DictionaryInput; output: { list: DictionaryEntry[] } };
  '3301': { input: MappingInput; output: Record<string, never> };
  '3302': { input: MappingCancelInput; output: Record<string, never> };
  '3201': { input: StatementInput; output: StatementOutput };
  '3202': { input: StatementDetailInput; output: { fileinfo: FileInfo } };
}
export type Infno = keyof Transactions;
export type InputOf<I extends Infno> = Transactions[I]['input'];
export type OutputOf<I extends Infno> = Transactions[I]['output'];

/**
 * The harness's own control API (engine/README.md "Control API"): set-up, clock, claims and
 * queries the steps use. Not platform transactions: POST /medcard/control/<op> with the
 * run's token, never accepted from an institution.
 */
export interface ControlOps {
  /** Set the engine's business clock for institutions (their inf_time must lie near it). */
  'clock': { input: { fixmedins_code: string[]; time: string }; output: { time: string } };
  'person': { input: PersonRec; output: { psn_no: string } };
  'employer': { input: EmployerRec; output: { emp_no: string } };
  'institution': { input: InstitutionRec; output: { fixmedins_code: string; key: string } };
  'catalogue-item': { input: CatalogueRec; output: { med_list_codg: string } };
  'card': { input: CardRec; output: { card_no: string; card_stas: CardStatus } };
  'card-activation': { input: { card_no: string }; output: { card_no: string; card_stas: CardStatus } };
  'card-loss': { input: { card_no: string; channel?: 'phone' | 'web' | 'counter' }; output: { card_no: string; card_stas: CardStatus } };
  'card-replacement': { input: { old_card_no: string; card_no: string; card_sn: string; issue_date?: string; expiry_date: string }; output: { card_no: string; card_stas: CardStatus; old_card_no: string } };
  'opening-balance': { input: { psn_no: string; amount: YuanIn; bucket?: 'carried' | 'current'; memo?: string }; output: BalanceOutput };
  'monthly-credit': { input: { psn_no: string; months?: number; contribution_base?: YuanIn; pension?: YuanIn; period?: string }; output: CreditOutput };
  'year-end-close': { input: { year: number; insuplc_admdvs?: string; psn_no?: string }; output: RolloverOutput };
  'employer-arrears': { input: { emp_no: string }; output: { emp_no: string; arrears: boolean } };
  'arrears-paid': { input: { emp_no: string; amount?: YuanIn }; output: { emp_no: string; arrears: boolean } };
  'cross-region-filing': { input: { psn_no: string; mdtrtarea_admvs: string; begndate: string; enddate?: string; filing_type?: 'move' | 'referral' | 'temporary' }; output: { filing_id: string } };
  'cash-claim': { input: ClaimInput; output: ClaimOutput };
  'claim': { input: { claim_id: string }; output: ClaimOutput };
  'balance': { input: { psn_no: string; year?: number }; output: BalanceOutput };
  'history': { input: { psn_no: string; limit?: number }; output: { entries: LedgerEntryOut[]; settlements: SetlInfo[]; claims: ClaimOutput[] } };
  'receipts': { input: { receipt_id?: string; setl_id?: string; claim_id?: string; psn_no?: string }; output: { receipts: Receipt[] } };
  'ledger-check': { input: Record<string, never>; output: LedgerCheck };
  'person-query': { input: { certno?: string; psn_no?: string; card_no?: string }; output: { person: PersonRec | null; cards: CardRec[] } };
}

export type ControlOp = keyof ControlOps;
export type ControlInputOf<O extends ControlOp> = ControlOps[O]['input'];
export type ControlOutputOf<O extends ControlOp> = ControlOps[O]['output'];

// ---------------------------------------------------------------- the client

/** Envelope fields a caller may set for one call (the rest come from the client's options). */
export type EnvelopeOverrides = Partial<Omit<Envelope, 'input' | 'infno'>>;

export interface PlatformClientOptions {
  /** Engine base URL, e.g. http://127.0.0.1:8080 (the endpoint path is appended unless present). */
  url?: string;
  /** In-process transport instead of HTTP, e.g. `engine.handle`. */
  handle?: (body: unknown) => Promise<Response>;
  /** Designated institution code (12 chars), e.g. 'H50010300001'. */
  fixmedinsCode: string;
  fixmedinsName?: string;
  /** mdtrtarea_admvs: region where the visit happens (6 digits). */
  regionCode: string;
  /** insuplc_admdvs sent by default (the person's insured region), when known. */
  insuplcAdmdvs?: string;
  operator?: string;
  operatorName?: string;
  opterType?: '1' | '2' | '3';
  /** The business clock; the client sends its time as inf_time. Default: a fresh BizClock. */
  clock?: BizClock;
  /** Sign-in number to send as sign_no (signIn() sets it). */
  signNo?: string;
  /** Called with every request and response (for traces and reports). */
  onExchange?: (request: Envelope, response: Response, ms: number) => void;
  /** HTTP timeout in ms (default 30 s). */
  timeoutMs?: number;
  /**
   * Resend once, unchanged, when a kept-alive connection turns out closed (default true: safe,
   * the platform answers a msgid once). false: the caller hears of it and recovers itself
   * (the reference terminal sends 2601, as HIS do).
   */
  resendOnReset?: boolean;
  /** The institution's signing key: cainfo = hex HMAC of the whole message (platform/signature.ts). */
  key?: string;
  /** `SM3` (HMAC-SM3, the default) or `SHA256` (HMAC-SHA256). */
  signType?: SignType;
}

/** Signature types the platform accepts in `signtype` (platform/signature.ts). */
export type SignType = 'SM3' | 'SHA256';

export interface ControlClientOptions {
  /** Engine base URL, e.g. http://127.0.0.1:8080. */
  url?: string;
  /** In-process transport instead of HTTP, e.g. `engine.control`. */
  handle?: (op: string, body: unknown, token: string | undefined) => Promise<Response>;
  /** The run's control token (printed by `medcard engine`, `engine.controlToken` in-process). */
  token: string;
  /** The business time sent with each call (default: a fresh BizClock, i.e. the wall clock). */
  clock?: BizClock;
  /** HTTP timeout in ms (default 30 s). */
  timeoutMs?: number;
}

// ------------------------------------------------------------------ 2001, 2403–2405, 5201–5206, 3501–3507
// (engine/queries.ts, engine/inpatient.ts, engine/pharmacy.ts). Their lines join `Transactions`
// above by declaration merging. Amounts are yuan strings as in every answer; counts are whole
// units of the smallest package.

/** 2001 人员待遇享受检查. */
export interface BenefitCheckInput {
  psn_no: string; insutype: InsuType; med_type: MedType; begntime: string; fixmedins_code?: string; endtime?: string;
  dise_codg?: string; dise_name?: string; oprn_oprt_code?: string; oprn_oprt_name?: string; matn_type?: string; birctrl_type?: string;
}
/** trt_chk_type '01' a fund of the person (fund_pay_type), '99' a card that cannot be used; trt_enjymnt_flag '1' enjoyed, '0' not (trt_chk_rslt says why). */
export interface BenefitRow { psn_no: string; trt_chk_type: '01' | '99'; fund_pay_type: string | null; trt_enjymnt_flag: '0' | '1'; begndate: string; enddate: string | null; trt_chk_rslt: string }
export interface BenefitCheckOutput { trtinfo: BenefitRow[] }

/** 2403 住院信息变更: the fields to change (any of the admission's), diagnoses replacing the old ones. */
export interface AdmissionChangeInput {
  mdtrt_id: string; psn_no: string; begntime?: string; endtime?: string; ipt_otp_no?: string; adm_dept_codg?: string; adm_dept_name?: string; adm_bed?: string;
  chfpdr_name?: string; atddr_no?: string; adm_diag_dscr?: string; dise_codg?: string; dise_name?: string; diseinfo?: Diagnosis[]; [field: string]: unknown;
}
/** 2404 入院撤销, 2405 出院撤销. */
export interface StayInput { mdtrt_id: string; psn_no: string }

/** 5201 就诊信息查询. */
export interface VisitQueryInput { psn_no: string; begntime: string; endtime?: string; med_type?: MedType; mdtrt_id?: string }
export interface VisitRecord {
  mdtrt_id: string; psn_no: string; psn_name: string; certno: string; insutype: InsuType; begntime: string; endtime: string | null; med_type: MedType; ipt_otp_no: string;
  mdtrt_cert_type: string; fixmedins_code: string; fixmedins_name: string; mdtrt_stas: 'registered' | 'settled' | 'cancelled'; vali_flag: '0' | '1'; [field: string]: unknown;
}
/** 5202 诊断信息查询. */
export interface DiagnosisQueryInput { mdtrt_id: string; psn_no?: string }
/** 5204 费用明细查询. */
export interface FeeQueryInput { psn_no: string; mdtrt_id: string; setl_id?: string }
export interface FeeRecord {
  feedetl_sn: string; mdtrt_id: string; med_list_codg: string; med_list_name: string; fee_ocur_time: string; det_item_fee_sumamt: string; cnt: string; pric: string;
  fulamt_ownpay_amt: string; overlmt_amt: string; preselfpay_amt: string; inscp_scp_amt: string; chrgitm_lv: '01' | '02' | '03'; [field: string]: unknown;
}
/** 5205 人员慢特病用药记录查询. */
export interface ChronicDrugQueryInput { psn_no: string; begntime: string; endtime?: string }
/** 5206 人员累计信息查询: cum_type_code S0000 medical cost, INSCP covered cost (§4.2 A), Q0000 deductible, F0000 fund, A0000 account, C0000 inpatient stays. */
export interface CumulativeQueryInput { psn_no: string; cum_ym?: string }
export interface CumulativeRow { insutype: InsuType; year: string; cum_ym: string; cum_type_code: 'S0000' | 'INSCP' | 'Q0000' | 'F0000' | 'A0000' | 'C0000'; cum: string }

/** 3501–3506: one item's upload; `count` is the field each names its quantity by (inv_cnt, cnt, purc_retn_cnt, sel_retn_cnt). */
export interface StockUploadInput { med_list_codg: string; fixmedins_hilist_id: string; fixmedins_bchno: string; fixmedins_hilist_name?: string; [field: string]: unknown }
/** The stock of the item after the upload (an engine extension: the platform answers nothing). */
export interface StockUploadOutput { data: { fixmedins_bchno: string; med_list_codg: string; inv_cnt: string } }
/** 3507 商品信息删除: inv_data_type 1 stocktake, 2 change, 3 purchase (and return), 4 sale (and return). */
export interface StockDeleteInput { fixmedins_bchno: string; inv_data_type: '1' | '2' | '3' | '4' }
export interface StockDeleteOutput { data: { fixmedins_bchno: string; inv_data_type: string; deleted: string[]; stock: Array<{ item: string; inv_cnt: string }> } }

export interface Transactions {
  '2001': { input: BenefitCheckInput; output: BenefitCheckOutput };
  '2403': { input: AdmissionChangeInput; output: Record<string, never> };
  '2404': { input: StayInput; output: Record<string, never> };
  '2405': { input: StayInput; output: Record<string, never> };
  '5201': { input: VisitQueryInput; output: { mdtrtinfo: VisitRecord[] } };
  '5202': { input: DiagnosisQueryInput; output: { diseinfo: Array<Diagnosis & { mdtrt_id: string; psn_no: string }> } };
  '5204': { input: FeeQueryInput; output: { feedetail: FeeRecord[] } };
  '5205': { input: ChronicDrugQueryInput; output: { feedetail: FeeRecord[] } };
  '5206': { input: CumulativeQueryInput; output: { cuminfo: CumulativeRow[] } };
  '3501': { input: StockUploadInput; output: StockUploadOutput };
  '3502': { input: StockUploadInput; output: StockUploadOutput };
  '3503': { input: StockUploadInput; output: StockUploadOutput };
  '3504': { input: StockUploadInput; output: StockUploadOutput };
  '3505': { input: StockUploadInput; output: StockUploadOutput };
  '3506': { input: StockUploadInput; output: StockUploadOutput };
  '3507': { input: StockDeleteInput; output: StockDeleteOutput };
}
