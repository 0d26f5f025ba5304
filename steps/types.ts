// Types of the steps: what a scenario remembers (the World's records) and the worker-wide
// things every scenario shares. A step's own type, StepSpec, is beside its builder (registry.ts).
import type { ClaimOutput, ClaimReason, ControlClient, CreditOutput, InsuType, PlatformClient, RolloverOutput, Yuan } from '../platform';
import type { CardProfile } from '../emulator';
import type { Rig } from '../rigs';
import type { EvoucherReader, Institution, LineItem, Settlement, TerminalRefusal, VisitOutcome, VisitRequest } from '../terminal';
import type { Evidence, PlatformRecorder, TerminalFile } from '../compliance';

export interface PersonCtx {
  name: string;
  psnNo: string;
  certno: string;
  region: string;
  insutype: '310' | '390';
  birthDate: string;
  sex: '1' | '2';
  empNo?: string;
  /** The card the person holds now (absent: no card issued, or lost with no new one yet). */
  profile?: CardProfile;
  /** Cards that no longer work (lost, replaced), by card number. */
  oldProfiles: CardProfile[];
  /** The PIN the person types at the terminal (default: the card's PIN). */
  typedPin?: string;
  /** Monthly contribution base, fen, when the scenario sets one. */
  base?: number;
  /** Visits paid fully in cash, waiting for a claim. */
  cashVisits: CashVisit[];
}

export interface CashVisit { request: VisitRequest; institution: Institution; reason: ClaimReason; mdtrtId?: string; outcome: VisitOutcome }

export interface InstitutionCtx extends Institution {
  level: 1 | 2 | 3; designated: boolean; kind: 'hospital' | 'pharmacy' | 'clinic';
  /** Its signing key, from the control API when it was registered. */
  key: string;
}

export type CatalogueItem = { code: string; cls: 'A' | 'B' | 'self' };

/** One settlement as the institution's own system (HIS) recorded it from the engine's answer. */
export interface HisSettlement { institution: string; insutype: InsuType; clrType: '11' | '21'; region: string; settlement: Settlement; reversed: boolean }

/** An inpatient stay as the HIS keeps it (steps/his.ts): the fee lines it uploaded and has not cancelled, by name. */
export interface HisStay {
  institution: InstitutionCtx; mdtrtId: string; psnNo: string; insutype: InsuType; region: string;
  cert: { mdtrt_cert_type: '03'; mdtrt_cert_no: string; card_sn: string };
  lines: Map<string, { sn: string; item: LineItem }>;
  uploaded: number;
}

/** What the institutions' own systems (HIS) recorded in this scenario (steps/his.ts reads and writes it). */
export interface HisRecords {
  /** Every settlement of the scenario, the day's record 3201 / 3202 reconcile. */
  settlements: HisSettlement[];
  /** The drug catalogue (1301) each institution downloaded, by its code: name → code and class, the newest version, the last download's row count. */
  drugCatalogue: Map<string, { items: Map<string, { code: string; cls: string }>; ver: string; lastCount: number }>;
  /** Each institution's mappings (3301): its own item name → the catalogue's code, keyed `code|name`. */
  mappings: Map<string, string>;
  /** The open inpatient stays, by the patient's name. */
  stays: Map<string, HisStay>;
  /** The stock each pharmacy's last upload answered, keyed `code|item name`. */
  stock: Map<string, number>;
  /** The last day-end totals (3201), one answer per insurance type and clearing agency. */
  statements?: Array<{ what: string; stmt_rslt: '0' | '1'; stmt_rslt_dscr: string }>;
  /** The last 3202: the settlement whose amount the HIS's file had changed, and the result file's rows. */
  detailCheck?: { changedSetlId: string; rows: string[][] };
  /** The engine's refusal of the last stock upload (3503 / 3505), cleared by one it took. */
  refusal?: string;
  /** The last visit whose settlement answer was cut: that 2207's msgid, and what passed after it. */
  cut?: { msgid: string; reversal?: { rvs_stas: string; omsgid: string }; retried?: string; psnNo: string };
}

/** What the last step of each kind produced. */
export interface Latest {
  /** The last visit (with the card or in cash). */
  visit: VisitOutcome;
  /** Who made the last visit (the name the scenario uses), for failure messages that say which visit they read. */
  visitor: string;
  /** The terminal's last refusal: a visit's (cleared by a visit that was not refused) or the cash-withdrawal refusal. */
  refusal: TerminalRefusal;
  /** The last reimbursement claim's answer. */
  claim: ClaimOutput;
  /** The cash visit the last claim was for. */
  claimedVisit: CashVisit;
  credit: CreditOutput;
  rollover: RolloverOutput;
  /** The last balance read: from the agency or shown by the terminal. */
  balance: { psn_no: string; balc: Yuan };
  /** The card data line the terminal printed for a vendor's system. */
  vendorLine: string;
  /** What the terminal under test did in this scenario, action by action (certification). */
  tutActions: Evidence[];
}


export interface WorldParameters { rig?: string }

export interface Shared {
  rig: Rig;
  /** The engine's control API (set-up, clock, claims, queries), with the run's token. */
  control: ControlClient;
  /**
   * The platform client of one institution, as its own software would be: signed with its
   * key, signed in (9001), its business clock at `time` on the engine. One per institution.
   */
  platformFor(inst: InstitutionCtx, time: string): Promise<PlatformClient>;
  /** The local e-voucher component at the institution's counter (the engine's ec.query: in-process, or over HTTP at --engine-url). */
  evoucherFor(inst: InstitutionCtx): EvoucherReader;
  engineUrl: string;
  engineKind: string;
  /** In a certification run (MEDCARD_TERMINAL): the terminal under test and the recorder in front of the engine. */
  tut?: { terminal: TerminalFile; recorder: PlatformRecorder };
  workerId: number;
  /**
   * An engine that has seen no scenario yet, for the next one: the first call takes the one
   * there, later ones start a new embedded engine (false: an engine at a URL, which cannot be
   * renewed). Rigs whose own cards stand in (rigs/held-cards.ts) give every scenario's person
   * the same card holder, whom an engine registers once.
   */
  freshEngine(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RunSettings { rig: string; engineUrl?: string; controlToken?: string; databaseUrl?: string; fixturesDir?: string; terminal?: string }

/** The language of what the harness says to an analyst (cli/lang.ts chooses it). */
export type Lang = 'zh' | 'en';

/** One message in both languages, held together so the two cannot drift apart; read in one (steps/said.ts). */
export interface Said { zh: string; en: string }
