// The terminal under test (medcard certify, compliance/README.md): the institution it is
// configured as, faults the platform plays on cue, the actions the harness asks of it (it
// reads our card over PC/SC and talks to our engine through the recorder), and the judge's
// verdict on the requirements the scenario is tagged with (@req-PLAT-07).
import fs from 'node:fs';
import { act, combine, loadTerminal, requirement, taggedRequirements, type ActionRequest, type Evidence, type FaultName, type ScenarioVerdicts, type Verdict } from '../compliance';
import { fmtFen, type Receipt } from '../platform';
import * as path from 'node:path';
import { EmulatedPsam, formatTraceEntry, loadPsamProfile, type EmulatedCard, type TraceEntry } from '../emulator';
import { PcscChannel, VpcdCard, VPCD_BASE_PORT, VPCD_READERS } from '../rigs';
import { holdsNoCard, insertCard } from './cards';
import { fixturesDir } from './fixtures';
import { pickleOf } from './capabilities';
import { stepsOf } from './registry';
import { fail, said } from './said';
import type { InstitutionCtx } from './types';
import type { MedWorld } from './world';

const step = stepsOf('compliance');

function tutOf(w: MedWorld) {
  const tut = w.shared.tut;
  if (!tut) throw fail({ zh: '这个步骤需要受测终端：用 `npx medcard certify --terminal <名称>` 运行（compliance/README.md）', en: 'this step needs a terminal under test: run it with `npx medcard certify --terminal <name>` (compliance/README.md)' });
  return tut;
}

/**
 * Cucumber's timeout for a step that asks the TUT to act: the adapter gives up after the
 * terminal file's timeout_s (an operator has minutes), and inserting the card and reading
 * the ledger around it get a minute more.
 */
const ACTION_TIMEOUT_MS = (process.env.MEDCARD_TERMINAL ? loadTerminal(process.env.MEDCARD_TERMINAL).timeoutMs : 0) + 60_000;

/** The TUT's institution is registered once per engine, with the code and key the terminal is configured with. */
const registered = new WeakMap<object, Promise<void>>();

step('Given', '受测终端是定点医院 {string} 的收费终端', 'the terminal under test is the cashier terminal of {string}', async function (name: string) {
  const { terminal } = tutOf(this);
  const i = terminal.institution;
  let done = registered.get(this.shared.control);
  if (!done) {
    done = this.control('institution', { fixmedins_code: i.code, fixmedins_name: i.name, admvs: i.region, hosp_lv: 2, fixmedins_type: i.kind, designated: true, key: i.key }).then(() => undefined);
    done.catch(() => registered.delete(this.shared.control));
    registered.set(this.shared.control, done);
  }
  await done;
  const inst: InstitutionCtx = { code: i.code, name, region: i.region, kind: i.kind, designated: true, level: 2, key: i.key };
  this.institutions.set(name, inst);
  this.tutInstitution = inst;
}, { example: { zh: '受测终端是定点医院 "市人民医院" 的收费终端', en: 'the terminal under test is the cashier terminal of "City People\'s Hospital"' } });

function fault(w: MedWorld, name: FaultName, infno: string, more: { errMsg?: string; delayMs?: number } = {}) {
  if (!/^\d{4}$/.test(infno)) throw fail({ zh: `"${infno}" 不是交易编号：请写四位数字，如 "2207"`, en: `"${infno}" is not a transaction number: write four digits, e.g. "2207"` });
  tutOf(w).recorder.inject({ name, infno, ...more });
}

step('Given', '医保平台对 {string} 交易的应答丢失', 'the platform\'s answer to {string} is lost', async function (infno: string) {
  fault(this, 'lost', infno);
}, { example: { zh: '医保平台对 "2207" 交易的应答丢失', en: 'the platform\'s answer to "2207" is lost' } });

step('Given', '医保平台对 {string} 交易延迟 {int} 秒应答', 'the platform answers {string} {int} seconds late', async function (infno: string, s: number) {
  fault(this, 'late', infno, { delayMs: s * 1000 });
}, { example: { zh: '医保平台对 "2207" 交易延迟 2 秒应答', en: 'the platform answers "2207" 2 seconds late' } });

step('Given', '医保平台对 {string} 交易返回 -1：{string}', 'the platform answers {string} with -1: {string}', async function (infno: string, errMsg: string) {
  fault(this, 'error', infno, { errMsg });
}, { example: { zh: '医保平台对 "2206" 交易返回 -1："系统繁忙"', en: 'the platform answers "2206" with -1: "system busy"' } });

step('Given', '受测终端读卡途中社保卡被拔出', 'the card is pulled while the terminal under test reads it', async function () {
  tutOf(this);
  this.tutPullsCard = true;
}, { example: { zh: '受测终端读卡途中社保卡被拔出', en: 'the card is pulled while the terminal under test reads it' } });

/** Settlements in force (not reversed) of a person, from the engine's receipts. */
async function settlementsInForce(w: MedWorld, psnNo: string): Promise<number> {
  // The engine answers "no receipt found" rather than an empty list.
  const receipts = await w.control('receipts', { psn_no: psnNo }).then((o) => o.receipts, (err: Error) => {
    if (/没有找到收据/.test(err.message)) return [] as Receipt[];
    throw err;
  });
  const reversed = new Set(receipts.filter((r: Receipt) => r.kind === 'reversal').map((r) => r.ref_id));
  return receipts.filter((r) => r.kind === 'settlement' && !reversed.has(r.ref_id)).length;
}

/** Pull the card from the reader right after the first record the terminal reads from it. */
function pullAfterFirstRecord(w: MedWorld, card: EmulatedCard): { done(): Promise<boolean> } {
  let removing: Promise<void> | undefined;
  const stop = card.onTrace((e) => {
    if (removing || e.name !== 'READ RECORD' || e.sw !== '9000') return;
    // The answer to this READ RECORD still goes out: the card leaves just after it.
    removing = new Promise((resolve) => setImmediate(resolve)).then(() => w.shared.rig.removeCard());
    w.inserted = undefined;
  });
  return { async done() { stop(); await removing; return removing !== undefined; } };
}

/**
 * A third-generation card's case: the terminal's PSAM (fixtures/psam/test-psam.yaml) served in
 * the second virtual reader for the time of the action, as a PSAM sits in a terminal's SAM slot.
 */
async function withPsam<T>(fn: (reader: string | undefined, trace: () => readonly TraceEntry[]) => Promise<T>): Promise<T> {
  const psam = new EmulatedPsam(loadPsamProfile(path.join(fixturesDir(), 'psam', 'test-psam.yaml')));
  const reader = VPCD_READERS[1]!;
  const served = await VpcdCard.insert({ card: psam, port: VPCD_BASE_PORT + 1 });
  const watch = new PcscChannel(reader);
  try {
    if (!(await watch.waitForCard(15_000))) throw fail({ zh: `PSAM 已插入 vpcd，但 pcscd 在 15 秒内没有在 "${reader}" 中看到它`, en: `the PSAM was inserted into vpcd, but pcscd shows no card in "${reader}" after 15 s` });
    return await fn(reader, () => psam.trace);
  } finally {
    await served.remove();
    await watch.waitForCard(10_000, false).catch(() => false);
    await watch.close();
  }
}

/** A second-generation card's case: no PSAM offered. */
const noPsam = <T>(fn: (reader: string | undefined, trace: () => readonly TraceEntry[]) => Promise<T>): Promise<T> => fn(undefined, () => []);

async function tutSettles(w: MedWorld, presenterName: string, ownerName: string, fen: number): Promise<void> {
  const { terminal, recorder } = tutOf(w);
  const inst = w.tutInstitution ?? w.institution(terminal.institution.name);
  const owner = w.person(ownerName);
  const presenter = w.people.get(presenterName) ?? { name: presenterName, certno: '' };
  // A card the holder reported lost is still in their hand: they present it.
  const lostCard = owner.profile ? undefined : owner.oldProfiles.at(-1);
  const profile = owner.profile ?? lostCard;
  if (!profile) throw fail(holdsNoCard(ownerName));
  const slot = await insertCard(w, profile);
  if (!slot.card) throw fail({ zh: `读卡环境 "${w.shared.rig.name}" 不是由测试框架提供卡片，无法记录受测终端发给卡的报文：请在 vpcd 读卡环境上认证`, en: `rig "${w.shared.rig.name}" does not serve the card itself, so the harness cannot record what the terminal under test sends it: certify on the vpcd rig` });
  slot.card.clearTrace();
  const pulled = w.tutPullsCard ? pullAfterFirstRecord(w, slot.card) : undefined;
  await w.shared.control.setClock([inst.code], `${w.today} 10:00:00`);
  const items = [{ code: w.item('甲类').code, name: '诊疗费', priceFen: fen, count: 1 }];
  const request: ActionRequest = {
    action: 'settle', reader: slot.channel.name, platformUrl: recorder.url, date: w.today, kind: inst.kind === 'pharmacy' ? 'pharmacy' : 'outpatient',
    items, totalFen: fen, person: { name: presenter.name, idNumber: presenter.certno }, pin: (w.people.get(presenterName) ?? owner).typedPin ?? profile.pin.value, useAccount: true,
  };
  const before = await settlementsInForce(w, owner.psnNo);
  const gen3 = profile.generation === 3;
  const { result, psamTrace } = await (gen3 ? withPsam : noPsam)(async (psamReader, psamTrace) => {
    if (psamReader) request.psamReader = psamReader;
    recorder.begin();
    return { result: await act(terminal, request, { platformRequests: () => recorder.exchanges().length }), psamTrace: psamTrace() };
  });
  const cardPulled = (await pulled?.done()) ?? false;
  const evidence: Evidence = {
    request, result, card: [...slot.card.trace], platform: [...recorder.exchanges()],
    setup: { cardHolder: { name: owner.name, idNumber: owner.certno }, cardExpiry: profile.card.expiryDate, cardGeneration: gen3 ? 3 : 2, cardLost: lostCard !== undefined, cardPulled, pinRequired: request.useAccount, faults: [] },
    ledger: { before, after: await settlementsInForce(w, owner.psnNo) }, reversalWithinMs: terminal.reversalWithinMs,
  };
  recorder.clearFaults();
  (w.latest.tutActions ??= []).push(evidence);
  await w.attach(evidence.card.map(formatTraceEntry).join('\n') || '(the terminal sent the card nothing)', { mediaType: 'text/plain', fileName: '受测终端读卡报文 TUT card traffic.txt' });
  if (gen3) await w.attach(psamTrace.map(formatTraceEntry).join('\n') || '(the terminal sent the PSAM nothing)', { mediaType: 'text/plain', fileName: '受测终端PSAM报文 TUT PSAM traffic.txt' });
  await w.attach(JSON.stringify(evidence.platform, null, 2), { mediaType: 'application/json', fileName: '受测终端平台报文 TUT platform traffic.json' });
  await w.attach(`outcome ${result.outcome} (${result.ms} ms)${result.message ? `: ${result.message}` : ''}\n\n${result.output.replaceAll(request.pin ?? '\u0000', '******')}`, { mediaType: 'text/plain', fileName: '受测终端输出 TUT output.txt' });
  w.log(said({
    zh: `受测终端：${result.outcome}${result.message ? ` — ${result.message}` : ''}${result.receipt?.total !== undefined ? `（合计 ${fmtFen(result.receipt.total)} 元）` : ''}`,
    en: `terminal under test: ${result.outcome}${result.message ? ` — ${result.message}` : ''}${result.receipt?.total !== undefined ? ` (total ${fmtFen(result.receipt.total)} 元)` : ''}`,
  }));
}

step('When', '受测终端为 {string} 结算门诊费用 {money}', 'the terminal under test settles an outpatient visit of {money} for {string}', async function (a: unknown, b: unknown) {
  const [name, fen] = typeof a === 'number' ? [b as string, a] : [a as string, b as number];
  await tutSettles(this, name, name, fen);
}, { example: { zh: '受测终端为 "张三" 结算门诊费用 120.00 元', en: 'the terminal under test settles an outpatient visit of CNY 120.00 for "Zhang San"' }, timeoutMs: ACTION_TIMEOUT_MS });

step('When', '{string} 持 {string} 的社保卡在受测终端结算门诊费用 {money}', '{string} presents {string}\'s card at the terminal under test for an outpatient visit of {money}', async function (presenter: string, owner: string, fen: number) {
  await tutSettles(this, presenter, owner, fen);
}, { example: { zh: '"李四" 持 "张三" 的社保卡在受测终端结算门诊费用 80.00 元', en: '"Li Si" presents "Zhang San"\'s card at the terminal under test for an outpatient visit of CNY 80.00' }, timeoutMs: ACTION_TIMEOUT_MS });

step('Then', '受测终端符合本场景标注的要求', 'the terminal under test meets the requirements this scenario is tagged with', async function () {
  const actions = this.need('tutActions');
  const pickle = pickleOf(this);
  const ids = taggedRequirements((pickle?.tags ?? []).map((t) => t.name));
  if (!ids.length) throw fail({ zh: '本场景没有标注要求：加上它检验的要求标签，如 @req-PLAT-07（compliance/requirements.ts 列出全部要求）', en: 'this scenario states no requirement: tag it with the ones it checks, e.g. @req-PLAT-07 (compliance/requirements.ts lists them)' });
  const verdicts: Verdict[] = ids.map((id) => {
    const r = requirement(id);
    const judged = actions.map((e) => r.judge(e));
    return { requirement: id, verdict: combine(judged.map((j) => j.verdict)), evidence: judged.flatMap((j) => j.evidence) };
  });
  const file = process.env.MEDCARD_VERDICTS_FILE;
  const line: ScenarioVerdicts = { scenario: pickle?.name ?? '', uri: pickle?.uri ?? '', line: 0, terminal: tutOf(this).terminal.name, verdicts };
  if (file) fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  const text = verdicts.map((v) => `${v.requirement} ${v.verdict}\n${v.evidence.map((l) => `    ${l}`).join('\n')}`).join('\n');
  await this.attach(text, { mediaType: 'text/plain', fileName: '合规判定 compliance verdicts.txt' });
  const failed = verdicts.filter((v) => v.verdict === 'failed');
  const unexercised = verdicts.filter((v) => v.verdict === 'not-applicable');
  if (!failed.length && unexercised.length) {
    const list = unexercised.map((v) => `${v.requirement} (${v.evidence.join('; ')})`).join(', ');
    throw fail({ zh: `本场景标注的要求未被检验：${list} — 受测终端没有走到那一步`, en: `the scenario did not exercise what it is tagged with: ${list} — the terminal under test did not get that far` });
  }
  if (failed.length) {
    // The judge's evidence lines are the judge's own (compliance/), quoted as they are.
    const detail = (lang: 'zh' | 'en') => failed.map((f) => `  ${f.requirement} ${requirement(f.requirement)[lang]}\n${f.evidence.map((l) => `    ${l}`).join('\n')}`).join('\n');
    const ids = failed.map((f) => f.requirement).join(', ');
    throw fail({ zh: `受测终端未满足 ${ids}：\n${detail('zh')}`, en: `the terminal under test fails ${ids}:\n${detail('en')}` });
  }
}, { example: { zh: '受测终端符合本场景标注的要求', en: 'the terminal under test meets the requirements this scenario is tagged with' } });
