// Types of the reference terminal: what it is asked to do (a visit, a card presented), what
// it reaches (a platform, over the typed interface of platform/), and what it answers.
import type { CardChannel } from '../rigs';
import type { CardField, InsuType, VisitKind } from '../spec';
import type { CertType, EcQueryData, EnvelopeOverrides, Infno, InputOf, OutputOf } from '../platform';
import type { TerminalRefusal } from './refusal';

export type { VisitKind } from '../spec';

/**
 * How the terminal reaches a settlement engine: one call per platform transaction
 * (platform-api.md §1–§2). Our PlatformClient is one; an adapter for a vendor's engine is
 * another. Resolves with `output`; rejects with an error carrying `infcode` and `errMsg`.
 */
export interface PlatformCaller {
  call<I extends Infno>(infno: I, input: InputOf<I>, envelope?: EnvelopeOverrides): Promise<OutputOf<I>>;
}

/** What the terminal read from EF05 and EF06, decoded (card-spec.md §3), plus the ATR and the issuing region. */
export type CardData = Record<CardField, string> & {
  atr: string;
  /** Issuing region (6 digits): the first six digits of the issuer code. Decision, see terminal/README.md. */
  region: string;
};

/**
 * The local e-voucher component at the counter (`NationEcTrans`, transType ec.query): it reads
 * the e-voucher the person holds up and answers its token. Our EvoucherClient is one. Rejects
 * with an error carrying `code` and `errMsg` when no e-voucher could be read.
 */
export interface EvoucherReader {
  query(): Promise<EcQueryData>;
}

/**
 * A certificate shown instead of the social security card: the e-voucher (mdtrt_cert_type 01,
 * its token from the component, or one scanned earlier) or the ID card (02, its number typed
 * or read from an ID card reader).
 */
export type Certificate = { type: 'evoucher'; scanned?: EcQueryData } | { type: 'id-card'; idNumber: string };

export interface Institution { code: string; name: string; region: string; kind?: 'hospital' | 'pharmacy' | 'clinic' }

export interface LineItem { code: string; name?: string; priceFen: number; count: number }

/** What answers a third-generation card's challenge for the terminal: its PSAM (terminal/psam.ts). */
export interface CryptogramSource {
  cryptogram(cardIdCode: string, challenge: Buffer): Promise<Buffer>;
}

export interface CardPresentation {
  channel: CardChannel;
  /** The PIN the holder types; undefined when the flow does not ask. */
  pin?: string;
  /** The person standing at the counter, when the terminal checks it against the card. */
  presented?: { idNumber?: string; name?: string };
}

export interface VisitRequest {
  kind: VisitKind;
  date: string;                 // YYYY-MM-DD, the visit date
  items: LineItem[];
  card?: CardPresentation;      // absent: no card presented → full cash
  /** Why there is no card (for the receipt's 垫付 mark); informs nothing at the counter. */
  cashReason?: string;
  useAccount?: boolean;         // default true
  diagnosis?: string;
  emergency?: boolean;
  /** The ID card shown instead of the social security card: an emergency is registered with it. */
  idNumber?: string;
  /** Settle with this certificate instead of the card (no card is read). */
  certificate?: Certificate;
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
}

export interface PersonInfo { psnNo: string; name: string; certno: string; insutype: InsuType; region: string; status: string; balanceFen?: number }

/** The receipt 结算单 the terminal prints (domain.md §8). */
export interface Receipt {
  institution: string; institutionCode: string; date: string; visitType: string;
  totalFen: number; settlement?: Settlement; cashAdvance: boolean; cashReason?: string; items: LineItem[];
  /** The certificate the visit was settled (or tried) with: 01 e-voucher, 02 ID card, 03 card. */
  certificate?: CertType;
  /** 参保人姓名 as the card gave it (a third-generation card: record 09 and its extension 4E). */
  holder?: string;
  text?: string; html?: string;
}

export interface VisitOutcome {
  settlement?: Settlement;                  // when settled with the card
  cashPaidFen: number;                      // what the person paid at the counter
  totalFen: number;
  refusal?: TerminalRefusal;                // why the card could not settle, if it could not
  cashAdvance: boolean;                     // paid in full in cash (垫付)
  receipt: Receipt;
  card?: CardData;
  person?: PersonInfo;
  vendorLine?: string;
  /** The visit registered for an emergency without the card (paid in cash, not settled). */
  mdtrtId?: string;
}

export interface TerminalOptions {
  platform: PlatformCaller;
  institution: Institution;
  terminalNo?: string;
  deviceNo?: string;
  /** Ask for the PIN before the personal account pays (Decision, terminal/README.md). */
  pinForAccount?: boolean;
  /** The issuing default PINs: a card that verifies with one of them may not transact (card-spec §4). */
  initialPins?: readonly string[];
  /** The terminal's PSAM slot: third-generation cards are read only through it (card-spec §7). */
  psam?: CardChannel;
  /** The local e-voucher component, for visits with the e-voucher. */
  evoucher?: EvoucherReader;
  /** The terminal's clock on the visit day, 'HH:mm:ss': the inf_time of its messages (default 10:00:00). */
  clockTime?: string;
}
