// The suite on the pcsc rig whose cards are served by separate `medcard emulate` processes (the
// stand-in for physical cards: the harness reaches them only through PC/SC). The rig's card
// stands in for the card each scenario gives (rigs/held-cards.ts). What must run is worked out
// here from each scenario's own steps, not from the run: a scenario runs unless it needs
// card-state, more card holders than the rig has cards, or a replacement card of a holder the
// rig has only one card of. Every scenario that runs passes; every skip says why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmulatedCard, loadCardProfile, type CardProfile } from '../../emulator';
import { CapabilityMissingError, EmulatedChannel, HeldCardDealer, makePtyPair, ReaderError, type CardChannel, type HeldCard } from '../../rigs';
import { readHeldCard } from '../../rigs/held-cards';
import { CardSession } from '../../terminal';
import { MEDCARD, ROOT, startEmulator } from './helpers';

interface JsonStep { keyword: string; name: string; result: { status: string }; hidden?: boolean }
interface JsonScenario { name: string; tags: { name: string }[]; steps: JsonStep[] }
interface JsonFeature { uri: string; elements: JsonScenario[] }

/** The people a scenario gives a card, and whether one of them gets a replacement card. */
function cardNeeds(s: JsonScenario): { holders: Set<string>; replacement: boolean } {
  const holders = new Set<string>();
  let replacement = false;
  for (const { name } of s.steps) {
    const held = /^"([^"]+)" (?:持有社保卡|holds a card)/.exec(name) ?? /^(?:参保人 )?"([^"]+)" (?:持有卡|holds the card)/.exec(name);
    if (held) holders.add(held[1]!);
    if (/领取并启用了新社保卡|collects and activates a new card/.test(name)) replacement = true;
  }
  return { holders, replacement };
}

/** The capabilities a scenario's tags ask for (@needs-…) that a rig with `caps` lacks. */
const taggedLacks = (s: JsonScenario, caps: readonly string[]) => s.tags.map((t) => /^@needs-(.+)$/.exec(t.name)?.[1]).filter((c): c is string => !!c && !caps.includes(c));

/** A pcsc rig file with these cards, one reader each. */
const pcscRig = (cards: Card[]) => `kind: pcsc\ndescription: held cards (test/rigs/held-cards.test.ts)\ncards:\n${cards.map((c) => `  - { reader: ${c.reader}, card: ${c.card} }`).join('\n')}\ncapabilities: []\nexclusive: "@rig-any"\n`;

/** The suite on the rig this file describes. */
function runSuite(rigYaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-held-'));
  const rig = path.join(dir, 'held.yaml');
  fs.writeFileSync(rig, rigYaml);
  const reports = path.join(dir, 'reports');
  const run = spawnSync(process.execPath, [MEDCARD, 'run', '--rig', rig, '--reports', reports, '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  const features = JSON.parse(fs.readFileSync(path.join(reports, 'cucumber.json'), 'utf8')) as JsonFeature[];
  const skipped = fs.readFileSync(path.join(reports, 'skipped.txt'), 'utf8').trim().split('\n').filter(Boolean);
  const scenarios = features.flatMap((f) => f.elements.map((s) => {
    const statuses = s.steps.filter((st) => !st.hidden).map((st) => st.result.status);
    const status = statuses.includes('failed') ? 'failed' : statuses.every((x) => x === 'passed') ? 'passed' : 'skipped';
    return { uri: f.uri, scenario: s, status };
  }));
  return { run, scenarios, skipped, output: run.stdout + run.stderr };
}

interface Card { reader: string; card: string }

/** Serve these cards, each by a `medcard emulate` in its vpcd reader, while fn runs. */
async function withVpcdCards<T>(cards: Card[], fn: () => Promise<T> | T): Promise<T> {
  const emulators = [];
  try {
    for (const c of cards) emulators.push(await startEmulator(['--card', c.card, '--vpcd-port', String(35963 + Number(c.reader.slice(-2)))], c.reader));
    return await fn();
  } finally {
    for (const e of emulators) await e.stop();
  }
}

/** Serve cards with `medcard emulate --serial` on the far end of a socat pty pair (several: a card robot, one slot each); fn gets the host end. */
async function withSerialCard<T>(cards: string | string[], fn: (hostPath: string) => Promise<T> | T): Promise<T> {
  const [first, ...more] = typeof cards === 'string' ? [cards] : cards;
  const pair = await makePtyPair();
  const child = spawn(process.execPath, [MEDCARD, 'emulate', '--card', first!, ...more.flatMap((c) => ['--slot', c]), '--serial', pair.b, '--baud', '115200'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`medcard emulate --serial did not start within 15 s:\n${out}`)), 15_000);
      child.stdout!.on('data', (d) => { out += d; if (/inserted on serial line/.test(out)) { clearTimeout(timer); resolve(); } });
      child.stderr!.on('data', (d) => { out += d; });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`medcard emulate exited (${code}):\n${out}`)); });
    });
    return await fn(pair.a);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) { child.kill('SIGINT'); await exited; }
    await pair.close();
  }
}

/** The suite with these cards (profiles) on the rig `suite` serves and runs: what ran passed, what did not says why. */
function check(label: string, cards: string[], suite: () => Promise<ReturnType<typeof runSuite>>, caps: readonly string[] = []) {
  const profiles = cards.map((c) => loadCardProfile(path.join(ROOT, c)));
  const holders = new Set(profiles.map((p) => p.holder.idNumber));
  const cardsOfOneHolder = Math.max(...[...holders].map((h) => profiles.filter((p) => p.holder.idNumber === h).length));
  test(label, async () => {
    const { run, scenarios, skipped, output } = await suite();
    assert.equal(run.status, 0, output.slice(-4000));
    const ran = scenarios.filter((s) => s.status !== 'skipped');
    const because = (what: string, tagged: boolean) => skipped.filter((l) => l.includes(`lacks ${what}`) && l.includes('(scenario tagged') === tagged).length;
    const skips = [`${because('card-state', true) + because('card-state', false)} card-state`, `${because('card-swap', true)} tagged @needs-card-swap`, `${because('card-swap', false)} more cards`];
    console.log(`${label}: ${ran.length} ran and passed, ${scenarios.length - ran.length} skipped of ${scenarios.length} (${skips.join(' / ')})`);
    for (const { uri, scenario, status } of scenarios) {
      const where = `${uri}: ${scenario.name}`;
      const needs = cardNeeds(scenario);
      const reason = skipped.find((line) => line.startsWith(`${where} — `));
      const lacks = taggedLacks(scenario, caps);
      if (lacks.length) {
        assert.equal(status, 'skipped', where);
        assert.match(reason ?? '', new RegExp(`lacks (${lacks.join('|')})`), where);
        continue;
      }
      const fits = needs.holders.size <= holders.size && (!needs.replacement || cardsOfOneHolder >= 2);
      if (fits && status !== 'passed') {
        // Not tagged, but a step of it needs card-state (steps/capabilities.ts): the only other skip allowed.
        assert.match(reason ?? '', /lacks card-state/, `${where}: ${status}, expected to run and pass (holders ${[...needs.holders].join(', ')})`);
        continue;
      }
      if (!fits) {
        assert.equal(status, 'skipped', `${where}: needs ${needs.holders.size} holder(s)${needs.replacement ? ' and a replacement card' : ''}; the rig has ${profiles.length} card(s)`);
        assert.match(reason ?? '', /lacks card-swap: .*(needs another card of that holder|has no card left for)/, where);
      }
    }
    // The run prints the skips with their reasons, as skipped.txt has them.
    for (const line of skipped) assert.ok(output.includes(line.slice(line.indexOf(' — ') + 3)), `not printed: ${line}`);
  });
}

const ZHANG_SAN = 'fixtures/cards/zhang-san.yaml';
const profile = (f: string) => loadCardProfile(path.join(ROOT, 'fixtures/cards', f));
const held = (f: string, reader = 'R'): HeldCard => ({ reader, profile: profile(f) });

/** Reading with the reference terminal, as the steps hand it to the rig (the fields this test looks at). */
const read = async (ch: CardChannel) => {
  const d = await new CardSession(ch).read();
  return { holder: { name: d.name, idNumber: d.idNumber, sex: '1' as const, nation: d.nation, birthplace: d.birthplace, birthDate: d.birthDate },
    card: { number: d.cardNumber, identificationCode: d.identificationCode, type: d.cardType, specVersion: d.specVersion, issuerCode: d.issuerCode, issueDate: d.issueDate, expiryDate: d.expiryDate, region: d.region } };
};

describe('HeldCardDealer: which of the rig\'s cards each person of a scenario gets', () => {
  test('two holders: each new person becomes the next holder; a third person, or a second card of one, is a card-swap skip', () => {
    const dealer = new HeldCardDealer('lab', [held('zhang-san.yaml', 'A'), held('li-si.yaml', 'B')]);
    assert.equal(dealer.holderForNewPerson()?.idNumber, '500103198503120039');
    assert.equal(dealer.holderForNewPerson()?.idNumber, '110105199007180029');
    assert.equal(dealer.holderForNewPerson(), undefined);
    assert.equal(dealer.cardFor({ name: '张三', certno: '500103198503120039' }).card.number, 'A50000001');
    assert.equal(dealer.cardFor({ name: '李四', certno: '110105199007180029' }).card.number, 'B11000002');
    assert.throws(() => dealer.cardFor({ name: '张三', certno: '500103198503120039' }), (e: Error) => e instanceof CapabilityMissingError && e.capability === 'card-swap'
      && /"张三" \(the holder of A50000001, 张三 on the card\) needs another card of that holder/.test(e.reason) && /rig "lab" holds only A50000001 \(张三\) in "A", B11000002 \(李四\) in "B"/.test(e.reason));
    assert.throws(() => dealer.cardFor({ name: '小周', certno: '500000198006150011' }), (e: Error) => e instanceof CapabilityMissingError && /has no card left for "小周"/.test(e.reason));
  });

  test('a card and its replacement (one holder): one person takes the holder; the replacement is the second card', () => {
    const dealer = new HeldCardDealer('lab', [held('chen-qi-lost.yaml'), held('chen-qi-replacement.yaml')]);
    const holder = dealer.holderForNewPerson()!;
    assert.equal(dealer.holderForNewPerson(), undefined, 'both cards are one holder\'s');
    const person = { name: '陈七', certno: holder.idNumber };
    assert.deepEqual([dealer.cardFor(person).card.number, dealer.cardFor(person).card.number], ['A50000005', 'A50000015']);
  });

  test('readHeldCard: the data read from the card, the PIN from the rig file, the agency\'s side dropped; another card in the reader is refused', async () => {
    const ch = new EmulatedChannel('R');
    ch.insert(new EmulatedCard(profile('chen-qi-lost.yaml')));
    const got = await readHeldCard('R', ch, profile('chen-qi-lost.yaml'), read);
    const want: CardProfile = profile('chen-qi-lost.yaml');
    assert.equal(got.profile.card.number, want.card.number);
    assert.equal(got.profile.card.identificationCode, want.card.identificationCode);
    assert.equal(got.profile.holder.idNumber, want.holder.idNumber);
    assert.equal(got.profile.pin.value, want.pin.value);
    assert.equal(got.profile.reportedLost, undefined, 'reported lost is the scenario\'s to say');
    await assert.rejects(readHeldCard('R', ch, profile('li-si.yaml'), read), (e: Error) => e instanceof ReaderError
      && /reader "R" holds card A50000005 \(陈七\), but the rig file's card is B11000002 \(李四\)/.test(e.message));
  });
});

const vpcdSuite = (cards: Card[]) => () => withVpcdCards(cards, () => runSuite(pcscRig(cards)));

describe('the rig\'s own cards stand in for the scenarios\' cards (cards served by separate processes)', () => {
  check('pcsc, one card (张三)', [ZHANG_SAN], vpcdSuite([{ reader: 'Virtual PCD 00 01', card: ZHANG_SAN }]));
  const twoHolders = [{ reader: 'Virtual PCD 00 01', card: ZHANG_SAN }, { reader: 'Virtual PCD 00 00', card: 'fixtures/cards/li-si.yaml' }];
  check('pcsc, two holders (张三, 李四): two-person scenarios run', twoHolders.map((c) => c.card), vpcdSuite(twoHolders));
  const replaced = [{ reader: 'Virtual PCD 00 01', card: 'fixtures/cards/chen-qi-lost.yaml' }, { reader: 'Virtual PCD 00 00', card: 'fixtures/cards/chen-qi-replacement.yaml' }];
  check('pcsc, a card and its replacement (陈七): card-replacement scenarios run', replaced.map((c) => c.card), vpcdSuite(replaced));
  check('serial with serial.path, one card (张三)', [ZHANG_SAN], () => withSerialCard(ZHANG_SAN, (host) =>
    runSuite(`kind: serial\ndescription: a line to medcard emulate --serial (test/rigs/held-cards.test.ts)\ncard: ${ZHANG_SAN}\nserial: { path: ${host}, baudRate: 115200 }\ncapabilities: [card-remove]\n`)), ['card-remove']);
  // A card robot on the line (a separate `medcard emulate --serial --slot …` process): its slots' cards stand in.
  const robotRig = (host: string, cards: string[]) => `kind: serial\ndescription: a card robot, medcard emulate --serial --slot (test/rigs/held-cards.test.ts)\nserial: { path: ${host}, baudRate: 115200 }\ncards:\n${cards.map((c, i) => `  - { slot: ${i}, card: ${c} }`).join('\n')}\ncapabilities: [card-remove]\n`;
  const robot = (cards: string[]) => () => withSerialCard(cards, (host) => runSuite(robotRig(host, cards)));
  check('serial robot, two holders (张三, 李四): two-person scenarios run', twoHolders.map((c) => c.card), robot(twoHolders.map((c) => c.card)), ['card-remove']);
  check('serial robot, a card and its replacement (陈七): card-replacement scenarios run', replaced.map((c) => c.card), robot(replaced.map((c) => c.card)), ['card-remove']);
});
