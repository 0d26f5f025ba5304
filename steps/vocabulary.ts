// The step vocabulary: every step ONCE, with its zh-CN and English phrasing side by side.
// steps/support.ts registers both phrasings with cucumber; `medcard steps` prints this list in
// this order (analysts read it top to bottom: the world, the card, visits, claims, accounts,
// then what to check). Steps check results only through the platform API (the engine
// client) and the card, never engine internals (architecture.md).
//
// Where steps live (each file: its steps and the scenario-driving code beside them):
//   people.ts    Given: the clock, people (by hand, by table, from fixtures), the cards they
//                hold, lose and replace (the card code is in cards.ts), their accounts,
//                institutions, the catalogue, employers, filings
//   cards.ts     the card: its profile, issuing, loss and replacement at the agency, the card
//                in the reader, its state (needs card-state), the PIN typed
//   visits.ts    When: visits with and without the card, reversal, the cash-withdrawal
//                refusal, the balance query at the terminal
//   claims.ts    When: reimbursement claims
//   accounts.ts  When: monthly credits, the year-end rollover
//   queries.ts   Then: money, receipts, refusals, card traffic
//   compliance.ts the terminal under test (medcard certify): its institution, faults on cue,
//                its actions, the judge's verdict on the scenario's tagged requirements
// registry.ts holds StepSpec and the step() builder; the order of subjects is its SUBJECTS.
import './people';
import './cards';
import './visits';
import './his';
import './claims';
import './accounts';
import './queries';
import './compliance';
import { definedSteps } from './registry';
import type { StepSpec } from './registry';

export type { StepSpec } from './registry';

export const VOCABULARY: readonly StepSpec[] = Object.freeze(definedSteps());
