// The reference terminal reads a third-generation card (card-spec §6–§7): EF06 only after
// EXTERNAL AUTHENTICATE with its PSAM's cryptogram, the name with its extension 4E, the PSAM's
// terminal number in the reader line; no PSAM or a PSAM of another key is a clear refusal.
// Expected values are the fixtures' own data, written out here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EmulatedPsam, loadCardProfile, loadPsamProfile, parseCardProfile } from '../../emulator';
import { EmulatedChannel, openRig, TracingChannel } from '../../rigs';
import { CardSession, PsamSession, TerminalRefusal } from '../../terminal';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const card3g = () => loadCardProfile(path.join(FIXTURES, 'cards', 'zhang-san-3g.yaml'));

function psamChannel(masterKey?: string): TracingChannel {
  const p = loadPsamProfile(path.join(FIXTURES, 'psam', 'test-psam.yaml'));
  const reader = new EmulatedChannel('PSAM slot');
  reader.insert(new EmulatedPsam(masterKey ? { ...p, masterKey } : p));
  return new TracingChannel(reader);
}

async function read(profile = card3g(), psam: TracingChannel | undefined = psamChannel(), how: { interface?: 'contact' | 'contactless' } = {}) {
  const rig = await openRig('emulated');
  const slot = await rig.insertCard(profile, how);
  const session = psam ? new PsamSession(psam) : undefined;
  try {
    const card = await new CardSession(slot.channel).read(session && { cryptogram: async (id, ch) => { await session.open(); return session.cryptogram(id, ch); } });
    return { card, trace: slot.trace(), psamTrace: psam?.trace() ?? [], terminalNo: session?.terminalNo };
  } finally {
    await rig.close();
  }
}

test('a 3.00 card: EXTERNAL AUTHENTICATE (9000) through the PSAM before EF06; the PSAM gives terminal number 500000000001', async () => {
  const { card, trace, psamTrace, terminalNo } = await read();
  assert.equal(card.specVersion, '3.00');
  assert.equal(card.idNumber, '500103198503120039');
  assert.equal(card.name, '张三');
  const names = trace.map((e) => `${e.name} ${e.sw}`);
  const auth = names.indexOf('EXTERNAL AUTHENTICATE 9000');
  const firstEf06 = trace.findIndex((e) => e.name === 'READ RECORD' && /EF06/.test(e.detail));
  assert.ok(auth > 0 && auth < firstEf06, names.join(', '));
  assert.deepEqual(psamTrace.map((e) => e.name), ['SELECT', 'GET RESPONSE', 'READ BINARY', 'DELIVERY KEY', 'CIPHER DATA', 'GET RESPONSE']);
  assert.equal(terminalNo, '500000000001');
});

test('the name extension 4E follows record 09', async () => {
  const text = require('node:fs').readFileSync(path.join(FIXTURES, 'cards', 'zhang-san-3g.yaml'), 'utf8') as string;
  const profile = parseCardProfile(text.replace('nameExtension: ""', 'nameExtension: "·木"'), 'long-name-3g.yaml');
  const { card } = await read(profile);
  assert.equal(card.name, '张三·木');
});

test('contactless: the contactless ATR, the same reading', async () => {
  const { card } = await read(card3g(), psamChannel(), { interface: 'contactless' });
  assert.equal(card.atr, card3g().gen3!.contactlessAtr);
  assert.notEqual(card.atr, card3g().atr);
  assert.equal(card.idNumber, '500103198503120039');
});

test('no PSAM: refused as no-psam, before any EXTERNAL AUTHENTICATE or EF06 read', async () => {
  const rig = await openRig('emulated');
  const slot = await rig.insertCard(card3g());
  await assert.rejects(new CardSession(slot.channel).read(), (e: unknown) => e instanceof TerminalRefusal && e.code === 'no-psam' && /未检测到PSAM卡/.test(e.message));
  assert.ok(!slot.trace().some((e) => e.name === 'EXTERNAL AUTHENTICATE' || /EF06 record/.test(e.detail)));
  await rig.close();
});

test('an empty PSAM slot is no-psam too', async () => {
  const rig = await openRig('emulated');
  const slot = await rig.insertCard(card3g());
  const empty = new PsamSession(new EmulatedChannel('PSAM slot'));
  await assert.rejects(new CardSession(slot.channel).read({ cryptogram: async (id, ch) => { await empty.open(); return empty.cryptogram(id, ch); } }),
    (e: unknown) => e instanceof TerminalRefusal && e.code === 'no-psam');
  await rig.close();
});

test('a PSAM with another master key: external-auth-failed (the card answered 63 C2)', async () => {
  await assert.rejects(read(card3g(), psamChannel('0F'.repeat(16))), (e: unknown) => e instanceof TerminalRefusal && e.code === 'external-auth-failed' && /63C2/.test(e.message));
});

test('a second-generation card is read without the PSAM', async () => {
  const { card, psamTrace } = await read(loadCardProfile(path.join(FIXTURES, 'cards', 'zhang-san.yaml')));
  assert.equal(card.specVersion, '2.00');
  assert.equal(psamTrace.length, 0);
});
