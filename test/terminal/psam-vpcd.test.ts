// The third-generation card and the PSAM as separate `medcard emulate` processes, in the two
// virtual readers behind pcscd, read by the reference terminal over real PC/SC: the card in
// Virtual PCD 00 00, the PSAM in 00 01 (card-spec §7). Expected values are the fixtures' data,
// written out. Holds the vpcd lock through scripts/test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcscChannel } from '../../rigs';
import { CardSession, PsamSession, TerminalRefusal } from '../../terminal';
import { startEmulator } from '../rigs/helpers';

const CARD_READER = 'Virtual PCD 00 00';

/** Stop a card process and wait until pcscd sees the reader empty: a card served again too soon keeps the old ATR. */
async function stopAndWaitEmpty(proc: { stop: () => Promise<unknown> }, reader: string): Promise<void> {
  await proc.stop();
  const ch = new PcscChannel(reader);
  try { await ch.waitForCard(10_000, false); } finally { await ch.close(); }
}
const PSAM_READER = 'Virtual PCD 00 01';

test('zhang-san-3g read over PC/SC with the PSAM served by another process: holder data, terminal number 500000000001', async () => {
  const card = await startEmulator(['--card', 'fixtures/cards/zhang-san-3g.yaml', '--vpcd-port', '35963'], CARD_READER);
  const psamProc = await startEmulator(['--psam', 'fixtures/psam/test-psam.yaml', '--vpcd-port', '35964'], PSAM_READER);
  const cardChannel = new PcscChannel(CARD_READER);
  const psamChannel = new PcscChannel(PSAM_READER);
  try {
    const psam = new PsamSession(psamChannel);
    const data = await new CardSession(cardChannel).read({ cryptogram: async (id, ch) => { await psam.open(); return psam.cryptogram(id, ch); } });
    assert.equal(data.idNumber, '500103198503120039');
    assert.equal(data.name, '张三');
    assert.equal(data.cardNumber, 'A50000011');
    assert.equal(data.specVersion, '3.00');
    assert.equal(psam.terminalNo, '500000000001');
    await psam.close();
    // Without the PSAM step the holder data stays closed.
    await assert.rejects(new CardSession(cardChannel).read(), (e: unknown) => e instanceof TerminalRefusal && e.code === 'no-psam');
  } finally {
    await cardChannel.close();
    await psamChannel.close();
    await stopAndWaitEmpty(card, CARD_READER);
    await stopAndWaitEmpty(psamProc, PSAM_READER);
  }
});

test('medcard emulate --contactless serves the contactless ATR; --psam with --contactless is a usage error', async () => {
  const card = await startEmulator(['--card', 'fixtures/cards/zhang-san-3g.yaml', '--contactless', '--vpcd-port', '35963'], CARD_READER);
  const channel = new PcscChannel(CARD_READER);
  try {
    const atr = Buffer.from(await channel.powerOn()).toString('hex').toUpperCase();
    // 3B 8A 80 01 "zhang-san-" TCK: the default contactless ATR of fixtures/cards/zhang-san-3g.yaml (PC/SC part 3 form).
    assert.match(atr, /^3B8.8001/);
    assert.ok(atr.includes(Buffer.from('zhang-san').toString('hex').toUpperCase()), atr);
  } finally {
    await channel.close();
    await stopAndWaitEmpty(card, CARD_READER);
  }
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['bin/medcard.js', 'emulate', '--psam', 'fixtures/psam/test-psam.yaml', '--contactless'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--psam is served to vpcd only/);
});
