// The rigs through their public seam: openRig → insertCard → CardChannel. The vpcd rig
// goes through the real pcscd; nothing here is mocked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { loadCardProfile } from '../../emulator';
import { CardAbsentError, openRig, listRigFiles, PcscChannel, ReaderError, VpcdCard, VpcdError } from '../../rigs';
import { DO_NOTHING_CARD } from '../../rigs';
import { hexBytes, ROOT, SELECT_SSSE } from './helpers';

const zhangSan = loadCardProfile(path.join(ROOT, 'fixtures/cards/zhang-san.yaml'));
const liSi = loadCardProfile(path.join(ROOT, 'fixtures/cards/li-si.yaml'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const cardNumberRecord = (n: string) => `0709${Buffer.from(n, 'ascii').toString('hex').toUpperCase()}9000`;

async function readCardNumber(channel: { powerOn(): Promise<Uint8Array>; transmit(a: Uint8Array): Promise<Uint8Array> }): Promise<string> {
  await channel.powerOn();
  await channel.transmit(hexBytes(SELECT_SSSE));
  return hex(await channel.transmit(hexBytes('00 B2 07 2C 0B')));
}

test('openRig names the valid rigs when given a bad one', async () => {
  await assert.rejects(openRig('vpdc'), (err: Error) => err.message.includes('unknown rig "vpdc"') && listRigFiles().every((n) => err.message.includes(n)));
});

for (const rigName of ['emulated', 'vpcd']) {
  describe(`the ${rigName} rig`, () => {
    test('a card inserted answers SELECT SSSE and READ RECORD; the trace records the traffic decoded', async () => {
      const rig = await openRig(rigName);
      try {
        const slot = await rig.insertCard(zhangSan);
        assert.equal(await readCardNumber(slot.channel), cardNumberRecord('A50000001'));
        const trace = slot.trace();
        assert.deepEqual(trace.map((e) => e.name), ['SELECT', 'READ RECORD']);
        assert.equal(trace[1].command, '00B2072C0B');
        assert.equal(trace[1].sw, '9000');
        assert.match(trace[1].detail, /EF05/);
        assert.ok(slot.card, 'the harness controls the emulated card');
      } finally {
        await rig.close();
      }
    });

    test('harness controls reach the card: a locked PIN shows as 6983 to the terminal', async () => {
      const rig = await openRig(rigName);
      try {
        const slot = await rig.insertCard(zhangSan);
        slot.card!.setPinTriesLeft(0);
        await slot.channel.powerOn();
        await slot.channel.transmit(hexBytes(SELECT_SSSE));
        assert.equal(hex(await slot.channel.transmit(hexBytes('00 20 00 00 03 24 68 10'))), '6983');
      } finally {
        await rig.close();
      }
    });

    test('removing the card is an event the channel reports, and a transmit after it fails with a clear message', async () => {
      const rig = await openRig(rigName);
      try {
        const slot = await rig.insertCard(zhangSan);
        await slot.channel.powerOn();
        const events: boolean[] = [];
        const seen = new Promise<void>((resolve) => slot.channel.onPresence((present) => { events.push(present); if (!present) resolve(); }));
        await rig.removeCard();
        // A generous limit: on a busy 2-core machine pcscd's removal event has come late (a CI run missed 5 s).
        await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('no removal event in 20 s')), 20_000))]);
        assert.deepEqual(events, [false]);
        assert.equal(slot.channel.isCardPresent(), false);
        await assert.rejects(slot.channel.transmit(hexBytes(SELECT_SSSE)), ReaderError);
        await assert.rejects(slot.channel.powerOn(), CardAbsentError);
      } finally {
        await rig.close();
      }
    });

    test('two readers at once, one card each, read concurrently', async () => {
      const [a, b] = await Promise.all([openRig(rigName, { workerId: 0 }), openRig(rigName, { workerId: 1 })]);
      try {
        const [slotA, slotB] = await Promise.all([a.insertCard(zhangSan), b.insertCard(liSi)]);
        assert.notEqual(slotA.channel.name, slotB.channel.name);
        const [numA, numB] = await Promise.all([readCardNumber(slotA.channel), readCardNumber(slotB.channel)]);
        assert.equal(numA, cardNumberRecord(zhangSan.card.number));
        assert.equal(numB, cardNumberRecord(liSi.card.number));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}

describe('vpcd failures give messages that say what to do', () => {
  test('no vpcd listening: the error names pcscd and how to install it', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    server.close();
    await assert.rejects(VpcdCard.insert({ card: DO_NOTHING_CARD, port }), (err: Error) =>
      err instanceof VpcdError && /pcscd with the vsmartcard-vpcd driver must be running/.test(err.message) && /medcard doctor/.test(err.message));
  });

  test('an unknown reader name lists the readers pcscd knows', async () => {
    const ch = new PcscChannel('ACME Reader 9');
    try {
      await assert.rejects(ch.powerOn(), (err: Error) => err instanceof ReaderError && /"ACME Reader 9" not found/.test(err.message) && /Virtual PCD 00 00/.test(err.message));
    } finally {
      await ch.close();
    }
  });

  test('an empty reader: CardAbsentError tells the operator to insert the card', async () => {
    const ch = new PcscChannel('Virtual PCD 00 01');
    try {
      await assert.rejects(ch.powerOn(), (err: Error) => err instanceof CardAbsentError && /insert the card/.test(err.message));
    } finally {
      await ch.close();
    }
  });

  test('our vpcd cards run with quick-ACK on (the native addon is built and loaded)', async () => {
    const inserted = await VpcdCard.insert({ card: DO_NOTHING_CARD });
    try {
      assert.equal(inserted.isQuickAckActive, true, 'native/quickack is not built: run npm ci');
    } finally {
      await inserted.remove();
    }
  });
});
