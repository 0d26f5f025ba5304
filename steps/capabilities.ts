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
import { PlatformError } from '../platform';
import { CapabilityMissingError, CardAbsentError, ReaderError, VpcdError, type Rig, type RigCapability } from '../rigs';
import { said, StepFailure } from './said';
import type { Said } from './types';
import { PARAMETERS } from './parameters';
import type { StepFn, StepSpec } from './registry';
import type { MedWorld } from './world';

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
  const tags = tagged.map((c) => `@needs-${c}`).join(' ');
  const steps = [...byStep.values()];
  const lacks = [...tagged, ...byStep.keys()];
  return said({
    zh: `已跳过：读卡环境 "${rig.name}" 缺少 ${lacks.join('、')}（${[...(tagged.length ? [`场景标注了 ${tags}`] : []), ...steps.map((t) => `步骤 "${t}"`)].join('；')}）`,
    en: `skipped: rig "${rig.name}" lacks ${lacks.join(', ')} (${[...(tagged.length ? [`scenario tagged ${tags}`] : []), ...steps.map((t) => `step "${t}"`)].join('; ')})`,
  });
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
  const skipFile = process.env.MEDCARD_SKIP_FILE; // read now: `medcard run` sets it for each run in its process
  if (skipFile && pickle) fs.appendFileSync(skipFile, `${pickle.uri}: ${pickle.name} — ${reason}\n`);
  return 'skipped';
}

/**
 * The step, skipping the scenario when the rig throws CapabilityMissingError (it cannot be
 * known before the step runs); a rig, card or engine failure inside it is said in the run's language.
 */
export function skippingWhenRigCannot(fn: StepFn): (this: MedWorld, ...args: unknown[]) => Promise<void | 'skipped'> {
  return Object.defineProperty(async function (this: MedWorld, ...args: unknown[]) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (!(err instanceof CapabilityMissingError)) throw explained(err, this.shared?.rig.name ?? '?');
      // The rig's reason is the rig kind's own text (rigs/kinds/), quoted as it is.
      const rig = this.shared.rig.name;
      return skip(this, said({ zh: `已跳过：读卡环境 "${rig}" 缺少 ${err.capability}：${err.reason}`, en: `skipped: rig "${rig}" lacks ${err.capability}: ${err.reason}` }));
    }
  }, 'length', { value: fn.length });
}

/**
 * A failure from below the steps (the rig, the card, the engine), said in the run's language
 * with what it is; the lower part's own text follows unchanged (its codes and hex are for a
 * developer). Anything else passes through as it is.
 */
export function explained(err: unknown, rig: string): unknown {
  if (err instanceof StepFailure || !(err instanceof Error)) return err;
  let s: Said | undefined;
  if (err instanceof CardAbsentError) s = { zh: `读卡环境 "${rig}" 的读卡器中没有卡：${err.message}`, en: `no card in rig "${rig}"'s reader: ${err.message}` };
  else if (err instanceof ReaderError || err instanceof VpcdError) s = { zh: `读卡环境 "${rig}" 的读卡器出错：${err.message}`, en: `rig "${rig}"'s reader failed: ${err.message}` };
  else if (err instanceof PlatformError) s = { zh: `结算引擎拒绝了 ${err.infno}（infcode ${err.infcode}）：${err.errMsg}`, en: `the engine refused ${err.infno} (infcode ${err.infcode}): ${err.errMsg}` };
  const netCode = (err as { cause?: { code?: string } }).cause?.code ?? (err as NodeJS.ErrnoException).code;
  if (!s && netCode && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/.test(netCode)) {
    s = { zh: `连不上结算引擎（${netCode}）：${err.message}`, en: `the engine cannot be reached (${netCode}): ${err.message}` };
  }
  if (!s) return err;
  const out = new StepFailure(s);
  out.stack = `${out.message}\n${err.stack ?? ''}`;
  return out;
}
