// What a rig cannot do, decided in one place. Before a scenario runs, its needs are the
// `@needs-…` tags it carries and the `needs` of every vocabulary step it uses (its pickle
// steps matched against each step's zh and en expression, with the parameter types of
// parameters.ts); on a rig without one of them the scenario is skipped with one reason that
// says what is lacking and why. What cannot be known before the scenario runs (a rig
// throwing CapabilityMissingError mid-step, e.g. a real card asked to be another card) skips
// it too, through the same skip(). Each skip is logged in the scenario and written to
// MEDCARD_SKIP_FILE (`medcard run` prints that file and keeps it as reports/skipped.txt).
import * as fs from 'node:fs';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { CapabilityMissingError, type Rig, type RigCapability } from '../rigs';
import { PARAMETERS } from './parameters';
import type { StepFn, StepSpec } from './registry';
import type { MedWorld } from './world';

export const SKIP_FILE = process.env.MEDCARD_SKIP_FILE || '';

/** The parts of cucumber's pickle read here. */
export interface PickleLike { uri: string; name: string; tags: readonly { name: string }[]; steps: readonly { text: string }[] }

const NEEDS_TAG = /^@needs-(.+)$/;

type Matcher = { needs: RigCapability; expressions: CucumberExpression[] };
let matchers: Matcher[] | undefined;

/** The expressions of the steps that need something, compiled once per process. */
function needingSteps(vocabulary: readonly StepSpec[]): Matcher[] {
  if (!matchers) {
    const registry = new ParameterTypeRegistry();
    for (const p of PARAMETERS) registry.defineParameterType(new ParameterType(p.name, p.regexp, null, p.transformer, p.useForSnippets ?? false, false));
    matchers = vocabulary.filter((s) => s.needs).map((s) => ({ needs: s.needs!, expressions: [new CucumberExpression(s.zh, registry), new CucumberExpression(s.en, registry)] }));
  }
  return matchers;
}

/** Why this rig cannot run this scenario, or undefined when it can. */
export function lackingReason(rig: Pick<Rig, 'name' | 'capabilities'>, pickle: PickleLike, vocabulary: readonly StepSpec[]): string | undefined {
  const caps: ReadonlySet<string> = rig.capabilities;
  const has = (c: string) => caps.has(c);
  const tagged = [...new Set(pickle.tags.map((t) => NEEDS_TAG.exec(t.name)?.[1]).filter((c): c is string => !!c && !has(c)))];
  const byStep = new Map<string, string>(); // capability → the first step that needs it
  for (const { text } of pickle.steps) {
    for (const m of needingSteps(vocabulary)) {
      if (has(m.needs) || tagged.includes(m.needs) || byStep.has(m.needs)) continue;
      if (m.expressions.some((e) => e.match(text))) byStep.set(m.needs, text);
    }
  }
  if (!tagged.length && !byStep.size) return undefined;
  const why = [
    ...(tagged.length ? [`scenario tagged ${tagged.map((c) => `@needs-${c}`).join(' ')}`] : []),
    ...[...byStep.values()].map((text) => `step "${text}"`),
  ];
  return `skipped: rig "${rig.name}" lacks ${[...tagged, ...byStep.keys()].join(', ')} (${why.join('; ')})`;
}

const PICKLES = new WeakMap<MedWorld, PickleLike>();

/** The Before hook calls this first, so a skip mid-step can name its scenario. */
export function rememberPickle(w: MedWorld, pickle: PickleLike): void { PICKLES.set(w, pickle); }
/** The scenario a World runs (its name, file and tags). */
export function pickleOf(w: MedWorld): PickleLike | undefined { return PICKLES.get(w); }

/** Skips the scenario with this reason: in the scenario's log and in MEDCARD_SKIP_FILE. Return its result from the hook or step. */
export function skip(w: MedWorld, reason: string): 'skipped' {
  w.log(reason);
  const pickle = PICKLES.get(w);
  if (SKIP_FILE && pickle) fs.appendFileSync(SKIP_FILE, `${pickle.uri}: ${pickle.name} — ${reason}\n`);
  return 'skipped';
}

/** The step, skipping the scenario when the rig throws CapabilityMissingError (it cannot be known before the step runs). */
export function skippingWhenRigCannot(fn: StepFn): (this: MedWorld, ...args: unknown[]) => Promise<void | 'skipped'> {
  return Object.defineProperty(async function (this: MedWorld, ...args: unknown[]) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (!(err instanceof CapabilityMissingError)) throw err;
      return skip(this, `skipped: rig "${this.shared.rig.name}" lacks ${err.capability}: ${err.reason}`);
    }
  }, 'length', { value: fn.length });
}
