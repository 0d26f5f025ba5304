// Types of the steps: what a scenario remembers (the World's records) and the worker-wide
// things every scenario shares. A step's own type, StepSpec, is beside its builder (registry.ts).
import type { ClaimOutput, ClaimReason, ControlClient, CreditOutput, PlatformClient, RolloverOutput, Yuan } from '../platform';
import type { CardProfile } from '../emulator';
import type { Rig } from '../rigs';
import type { Institution, TerminalRefusal, VisitOutcome, VisitRequest } from '../terminal';
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

/** What the last step of each kind produced. */
export interface Latest {
  /** The last visit (with the card or in cash). */
  visit: VisitOutcome;
  /** The terminal's last refusal: a visit's (cleared by a visit that was not refused) or the cash-withdrawal refusal. */
  refusal: TerminalRefusal;
  /** The last reimbursement claim's answer. */
  claim: ClaimOutput;
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
