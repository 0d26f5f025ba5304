// Types of the terminal-compliance mode: the terminal under test (TUT) and how the harness
// drives it, what the harness records of it (card traffic, platform traffic), the faults it
// plays on cue, the requirements it judges and the verdicts (compliance/README.md).
import type { TraceEntry } from '../emulator';

/** What the harness asks the TUT to do. */
export type ActionName = 'settle' | 'query-balance';

/** A terminal file (terminals/<name>.yaml), checked. */
export interface TerminalFile {
  name: string;
  file: string;
  description: string;
  /** How the harness drives it: a command per action, its own HTTP endpoint, or a person. */
  adapter: 'command' | 'http' | 'operator';
  /** The institution the TUT is configured as (its code, its signing key). */
  institution: { code: string; name: string; region: string; kind: 'hospital' | 'pharmacy' | 'clinic'; key: string; signType: 'SM3' | 'SHA256' };
  /** command: argv templates per action ({placeholders}); the working directory is the project root. */
  actions: Partial<Record<ActionName, string[]>>;
  /** http: the TUT's automation endpoint (POST {action, …} as JSON). */
  url?: string;
  /** How long one action may take before the harness gives up on it (ms). */
  timeoutMs: number;
  /** How long after a lost answer the TUT has to send 2601 (ms). */
  reversalWithinMs: number;
}

/** One action as the harness asks it: everything a template may name. */
export interface ActionRequest {
  action: ActionName;
  reader: string;
  platformUrl: string;
  date: string;
  kind: 'outpatient' | 'pharmacy';
  /** Fee lines: national code, name, price (fen), count. */
  items: Array<{ code: string; name: string; priceFen: number; count: number }>;
  totalFen: number;
  /** The person standing at the counter (not necessarily the card's holder). */
  person: { name: string; idNumber: string };
  /** The PIN the person types (written to the TUT's stdin as its PIN pad; never on a command line). */
  pin?: string;
  useAccount: boolean;
  /** The reader holding the terminal's PSAM (a third-generation card's case); absent: none offered. */
  psamReader?: string;
}

/** What the harness offers an adapter while the TUT acts. */
export interface ActOptions {
  /** How many platform requests the recorder has seen in this action (the operator adapter shows it). */
  platformRequests?: () => number;
}

/** What the TUT reported. `receipt` in fen, from the TUT's own receipt (its JSON or what the operator typed). */
export interface ActionResult {
  outcome: 'settled' | 'refused' | 'shown' | 'error';
  message?: string;
  receipt?: ReceiptFigures;
  /** The TUT's stdout/stderr (or the operator's words), for the evidence. */
  output: string;
  exitCode?: number;
  ms: number;
}

export interface ReceiptFigures { setlId?: string; total?: number; fund?: number; account?: number; cash?: number; balance?: number }

/** One platform request the TUT sent and what became of it, as the recorder saw it. */
export interface PlatformExchange {
  at: number;                  // ms since the action began
  path: string;
  request: Record<string, unknown> | undefined;
  /** The answer the TUT got; undefined when the harness cut it (fault) or the engine gave none. */
  response: Record<string, unknown> | undefined;
  /** The answer the engine gave, even when the TUT never saw it. */
  engineResponse: Record<string, unknown> | undefined;
  fault?: FaultName;
  /** The request's sign_no was answered to this terminal by an earlier successful 9001. */
  signedIn: boolean;
  /** The msgid had been sent before with other content (infno + input): the earlier infno. */
  msgidReusedFrom?: string;
}

export type FaultName = 'late' | 'error' | 'lost';

/**
 * A platform fault on cue, for the next request of `infno`: answered late, answered −1 with
 * `errMsg` without reaching the engine, or committed by the engine with its answer cut (lost).
 * A business refusal needs no fault: the scenario sets up what the engine refuses.
 */
export interface PlatformFault { name: FaultName; infno: string; errMsg?: string; delayMs?: number }

/** Everything the judge sees of one action. */
export interface Evidence {
  request: ActionRequest;
  result: ActionResult;
  card: readonly TraceEntry[];
  platform: readonly PlatformExchange[];
  /**
   * What the scenario set up: the card in the reader, its holder, its state; `cardPulled`: the
   * harness pulled the card right after the first record the terminal read from it (false
   * when the terminal read no record, so the pull asked for never happened).
   */
  setup: { cardHolder: { name: string; idNumber: string }; cardExpiry: string; cardGeneration: 2 | 3; cardLost: boolean; cardPulled: boolean; pinRequired: boolean; faults: PlatformFault[] };
  /** The card holder's settlements in force (not reversed), before and after the action (control API). */
  ledger: { before: number; after: number };
  /** How long the terminal has to send 2601 after a lost answer (ms). */
  reversalWithinMs: number;
}

export type VerdictValue = 'passed' | 'failed' | 'not-applicable';

export interface Verdict { requirement: string; verdict: VerdictValue; evidence: string[] }

export interface Requirement {
  id: string;
  zh: string;
  en: string;
  /** Where the rule comes from: `card-spec.md §4`, `platform-api.md §3a`, `domain.md §7`. */
  source: string;
  judge(e: Evidence): { verdict: VerdictValue; evidence: string[] };
}

/** One scenario's verdicts, as a compliance run writes them (one JSON line each). */
export interface ScenarioVerdicts { scenario: string; uri: string; line: number; terminal: string; verdicts: Verdict[] }

/** The certificate's row per requirement. */
export interface CertificateRow { id: string; zh: string; en: string; source: string; verdict: 'passed' | 'failed' | 'not tested'; scenarios: Array<{ name: string; verdict: VerdictValue; evidence: string[] }> }
