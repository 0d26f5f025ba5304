// The step builder. Each subject file defines its steps with `const step = stepsOf('<subject>')`,
// zh-CN and English phrasing side by side so the two languages cannot drift. The vocabulary
// is the subjects in SUBJECTS order, each subject's steps in the order its file defines them,
// so subject files may import each other's code without reordering the list
// (steps/vocabulary.ts loads them; `medcard steps` and steps/support.ts read VOCABULARY there).
import type { RigCapability } from '../rigs';
import type { MedWorld } from './world';

export type StepFn = (this: MedWorld, ...args: any[]) => Promise<void>;

export interface StepSpec {
  kind: 'Given' | 'When' | 'Then';
  /** The subject file that defines it (steps/<subject>.ts). */
  subject: Subject;
  zh: string;
  en: string;
  /** A real use of the step in each language, hand-written, for `medcard steps` (test/suite/steps.test.ts checks each matches exactly this step). */
  example: { zh: string; en: string };
  /** The step takes a data table (shown in `medcard steps`). */
  table?: string;
  /** A rig capability the step needs: on a rig without it, a scenario using the step is skipped with the reason (steps/capabilities.ts). */
  needs?: RigCapability;
  /** Cucumber's timeout for this step (ms), when the default (steps/support.ts) is too short for it. */
  timeoutMs?: number;
  fn: StepFn;
}



/** The subject files, in the order `medcard steps` lists their steps. */
export const SUBJECTS = ['people', 'cards', 'visits', 'his', 'claims', 'accounts', 'queries', 'compliance'] as const;
export type Subject = (typeof SUBJECTS)[number];

const BY_SUBJECT = new Map<Subject, StepSpec[]>(SUBJECTS.map((s) => [s, []]));

/** The step() builder of one subject file. */
export function stepsOf(subject: Subject) {
  const list = BY_SUBJECT.get(subject)!;
  return function step(kind: StepSpec['kind'], zh: string, en: string, fn: StepFn, extra: Pick<StepSpec, 'example' | 'table' | 'needs' | 'timeoutMs'>): void {
    list.push({ kind, subject, zh, en, fn, ...extra });
  };
}

/** Every step defined so far, subject by subject. */
export function definedSteps(): StepSpec[] {
  return SUBJECTS.flatMap((s) => BY_SUBJECT.get(s)!);
}

/** One column of a table row, by any of its names (zh or en). */
export function col(row: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) if (row[n] !== undefined && row[n] !== '') return row[n];
  return undefined;
}
