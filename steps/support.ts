// The support code cucumber loads (`medcard run` requires this one file): parameter types,
// the World, hooks, and the vocabulary registered in both languages.
import { After, AfterAll, Before, BeforeAll, defineParameterType, Given, setDefaultTimeout, setWorldConstructor, Then, When } from '@cucumber/cucumber';
import { PARAMETERS } from './parameters';
import { closeShared, getShared } from './shared';
import { VOCABULARY } from './vocabulary';
import { MedWorld } from './world';
import { ensureDefaultCatalogue } from './catalogue';
import { explained, lackingReason, rememberPickle, skip, skippingWhenRigCannot } from './capabilities';
import { seedLine } from './ids';
import { formatTrace, HeldCardDealer } from '../rigs';
import { readCardContents } from './cards';
import { said } from './said';

setDefaultTimeout(30_000);
setWorldConstructor(MedWorld);

for (const p of PARAMETERS) {
  defineParameterType({ name: p.name, regexp: p.regexp, transformer: p.transformer, useForSnippets: p.useForSnippets ?? false });
}

/** MEDCARD_NOOP_STEPS=1 (bench/suite.ts): same expressions, empty bodies, no rig or engine — cucumber's own cost. */
const NOOP = process.env.MEDCARD_NOOP_STEPS === '1';
const define = { Given, When, Then };
for (const s of VOCABULARY) {
  const fn = NOOP ? Object.defineProperty(async function () { /* no-op */ }, 'length', { value: s.fn.length }) : skippingWhenRigCannot(s.fn);
  const options = s.timeoutMs ? { timeout: s.timeoutMs } : {};
  define[s.kind](s.zh, options, fn);
  define[s.kind](s.en, options, fn);
}

BeforeAll({ name: '连接读卡环境和结算引擎 connect the rig and the engine' }, async function () {
  // Fail once, early, with the reason, instead of once per scenario; a rig or engine failure said in the run's language.
  if (NOOP) return;
  const rigName = process.env.MEDCARD_RIG || 'emulated';
  const shared = await getShared().catch((err: unknown) => { throw explained(err, rigName); });
  // The rig's own cards, read before the first scenario: a card that cannot be read (no card, another program holding it) stops the run with the reason.
  if (shared.rig.heldCards) await shared.rig.heldCards(readCardContents).catch((err: unknown) => { throw explained(err, shared.rig.name); });
});

/** The ids' seed goes into the log of each worker's first scenario (and of every failed one), not to the terminal. */
let seedLogged = false;

Before({ name: '准备场景：读卡环境、能力检查、药品目录 set up the scenario: rig, capabilities, catalogue' }, async function (this: MedWorld, { pickle }) {
  if (NOOP) return undefined;
  rememberPickle(this, pickle);
  this.shared = await getShared();
  if (!seedLogged) { seedLogged = true; this.log(seedLine()); }
  const lacking = lackingReason(this.shared.rig, pickle, VOCABULARY);
  if (lacking) return skip(this, lacking);
  if (this.shared.rig.heldCards) {
    // The rig's own cards stand in: every scenario's person is the same holder, so each scenario needs an engine of its own.
    this.dealer = new HeldCardDealer(this.shared.rig.name, await this.shared.rig.heldCards(readCardContents));
    if (!(await this.shared.freshEngine())) {
      const { engineUrl: url, rig } = this.shared;
      this.log(said({ zh: `结算引擎 ${url} 已被之前的场景使用：读卡环境 "${rig.name}" 中卡的持卡人可能已经登记过`, en: `engine ${url} is used by scenarios before this one: the holder of rig "${rig.name}"'s card may be registered already` }));
    }
  }
  const catalogue = await ensureDefaultCatalogue(this.shared.control).catch((err: unknown) => { throw explained(err, this.shared.rig.name); });
  for (const [name, item] of catalogue) this.catalogue.set(name, item);
  return undefined;
});

After({ name: '失败时附上读卡报文 on failure, attach the card traffic' }, async function (this: MedWorld, { result }) {
  if (result?.status !== 'FAILED') return;
  this.log(seedLine());
  if (this.inserted) {
    await this.attach(`${said({ zh: '失败时的读卡报文', en: 'card traffic at failure' })}\n${formatTrace(this.inserted.slot.trace())}`, { mediaType: 'text/plain', fileName: '失败时的读卡报文 card traffic at failure.txt' });
  }
});

AfterAll({ name: '关闭读卡环境和结算引擎 close the rig and the engine' }, async function () {
  await closeShared();
});
