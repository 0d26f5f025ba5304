// The support code cucumber loads (`medcard run` requires this one file): parameter types,
// the World, hooks, and the vocabulary registered in both languages.
import * as fs from 'node:fs';
import { After, AfterAll, Before, BeforeAll, defineParameterType, Given, setDefaultTimeout, setWorldConstructor, Then, When } from '@cucumber/cucumber';
import { PARAMETERS } from './parameters';
import { closeShared, getShared } from './shared';
import { VOCABULARY } from './vocabulary';
import { MedWorld } from './world';
import { ensureDefaultCatalogue } from './catalogue';
import { CapabilityMissingError, formatTrace } from '../rigs';

setDefaultTimeout(30_000);
setWorldConstructor(MedWorld);

for (const p of PARAMETERS) {
  defineParameterType({ name: p.name, regexp: p.regexp, transformer: p.transformer, useForSnippets: p.useForSnippets ?? false });
}

/** MEDCARD_NOOP_STEPS=1 (bench/suite.ts): same expressions, empty bodies, no rig or engine — cucumber's own cost. */
const NOOP = process.env.MEDCARD_NOOP_STEPS === '1';
const define = { Given, When, Then };
for (const s of VOCABULARY) {
  const fn = NOOP ? Object.defineProperty(async function () { /* no-op */ }, 'length', { value: s.fn.length }) : skipWhenRigCannot(s.fn);
  define[s.kind](s.zh, fn);
  define[s.kind](s.en, fn);
}

const PICKLES = new WeakMap<object, { uri: string; name: string }>();

/** A rig that cannot do what a step asks (CapabilityMissingError, e.g. a real card asked to be another card) skips the scenario with the reason. */
function skipWhenRigCannot(fn: (this: MedWorld, ...args: any[]) => Promise<void>) {
  return Object.defineProperty(async function (this: MedWorld, ...args: any[]) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (!(err instanceof CapabilityMissingError)) throw err;
      const reason = `skipped: rig "${this.shared.rig.name}" lacks ${err.capability}: ${err.reason}`;
      this.log(reason);
      const pickle = PICKLES.get(this);
      if (SKIP_FILE && pickle) fs.appendFileSync(SKIP_FILE, `${pickle.uri}: ${pickle.name} — ${reason}\n`);
      return 'skipped' as never;
    }
  }, 'length', { value: fn.length });
}

BeforeAll(async function () {
  // Fail once, early, with the reason, instead of once per scenario.
  if (!NOOP) await getShared();
});

const NEEDS = /^@needs-(.+)$/;
export const SKIP_FILE = process.env.MEDCARD_SKIP_FILE || '';

Before(async function (this: MedWorld, { pickle }) {
  if (NOOP) return undefined;
  PICKLES.set(this, pickle);
  this.shared = await getShared();
  const lacking = pickle.tags.map((t) => NEEDS.exec(t.name)?.[1]).filter((c): c is string => !!c && !this.shared.rig.capabilities.has(c as never));
  if (lacking.length) {
    const reason = `skipped: rig "${this.shared.rig.name}" lacks ${lacking.join(', ')} (scenario tagged ${lacking.map((c) => `@needs-${c}`).join(' ')})`;
    this.log(reason);
    if (SKIP_FILE) fs.appendFileSync(SKIP_FILE, `${pickle.uri}: ${pickle.name} — ${reason}\n`);
    return 'skipped';
  }
  for (const [name, item] of await ensureDefaultCatalogue(this.shared.client)) this.catalogue.set(name, item);
  return undefined;
});

After(async function (this: MedWorld, { result }) {
  if (result?.status === 'FAILED' && this.inserted) {
    await this.attach(`card traffic at failure\n${formatTrace(this.inserted.slot.trace())}`, { mediaType: 'text/plain', fileName: '失败时的读卡报文 card traffic at failure.txt' });
  }
});

AfterAll(async function () {
  await closeShared();
});
