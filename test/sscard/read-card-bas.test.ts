// native/sscard (libsscard.so), the reader interface vendors' HIS software calls, driven from
// C (test/sscard/sscard-cli.c) and from Python ctypes (test/sscard/sscard_ctypes.py) against a
// card served by a separate `medcard emulate` process through pcscd + vpcd. Expected values
// come from the YAML profile, read here on its own (not from the library, not from the
// terminal). The virtual readers are shared: scripts/test.js holds /tmp/medcard-vpcd.lock for
// the whole run, so this file never takes it itself (a second flock would wait forever).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcscChannel } from '../../rigs';
import {
  PORT_0, PORT_1, READER_0, READER_1, ROOT, c, card, expectedFields as expectedOf, fieldsOf, py, readYaml, readerEmpty,
  setUp, tearDown, tmp, withServed,
} from './helpers';

const PROFILE = path.join(ROOT, 'fixtures', 'cards', 'zhang-san.yaml');
const yaml = readYaml(PROFILE);
const expectedFields = (terminalNo = '', deviceNo = '') => expectedOf(PROFILE, { terminalNo, deviceNo });
/** The name in GBK, by the system's iconv (not the emulator's encoder). */
const nameGbk = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: String(yaml.holder.name) }).stdout as Buffer;
const withCard = (port: number, _reader: string, body: () => Promise<void> | void) => withServed([card(PROFILE, port)], body);

before(setUp);
after(tearDown);

describe('libsscard iReadCardBas, through pcscd + vpcd', () => {
  test('C caller: the 11 fields match the profile, name in GBK by default; terminal fields from the environment', async () => {
    await withCard(PORT_0, READER_0, () => {
      const r = c(['read', '1']);
      assert.equal(r.rc, 0, r.out.toString('latin1'));
      assert.deepEqual(fieldsOf(r.out, 'gbk'), expectedFields());
      assert.ok(r.out.includes(nameGbk), `the name's bytes are GBK (${nameGbk.toString('hex')}): ${r.out.toString('hex')}`);
      const line = expectedFields().join('|') + '|';
      assert.equal(new TextDecoder('gbk').decode(r.out), line);

      const t = c(['read', '1'], { SSCARD_TERMINAL_NO: 'T0001', SSCARD_DEVICE_NO: 'DEV-42', SSCARD_READER: READER_0 });
      assert.equal(t.rc, 0, t.out.toString('latin1'));
      assert.deepEqual(fieldsOf(t.out, 'gbk'), expectedFields('T0001', 'DEV-42'));
    });
  });

  test('C and Python callers: SSCARD_ENCODING=utf-8 gives the name in UTF-8; iType 3 (auto) reads the contact card', async () => {
    await withCard(PORT_0, READER_0, () => {
      const r = c(['read', '3'], { SSCARD_ENCODING: 'utf-8' });
      assert.equal(r.rc, 0, r.out.toString());
      assert.equal(r.out.toString('utf8'), expectedFields().join('|') + '|');
      const p = py(['read', '3'], { SSCARD_ENCODING: 'utf-8' });
      assert.equal(p.rc, 0, p.out.toString());
      assert.deepEqual(fieldsOf(p.out, 'utf-8'), expectedFields());
      const g = py(['read', '1']);
      assert.equal(g.rc, 0, g.out.toString('latin1'));
      assert.deepEqual(fieldsOf(g.out, 'gbk'), expectedFields());
      assert.ok(g.out.includes(nameGbk), 'Python gets the GBK bytes by default');
    });
  });

  test('with no SSCARD_READER the first reader holding a card is the contact slot (card in "Virtual PCD 00 01")', async () => {
    await withCard(PORT_1, READER_1, () => {
      const r = c(['read', '1']);
      assert.equal(r.rc, 0, r.out.toString('latin1'));
      assert.deepEqual(fieldsOf(r.out, 'gbk'), expectedFields());
      const other = c(['read', '1'], { SSCARD_READER: READER_0 });
      assert.equal(other.rc, -2, `card in 00 01, SSCARD_READER names 00 00: ${other.out}`);
      assert.match(other.out.toString(), /no card in reader "Virtual PCD 00 00"/);
    });
  });

  test('no card (no emulate process): -2 from C and Python; an unknown reader or no contactless reader is -11; a bad iType or an unreadable SSCARD_CONFIG -14', async () => {
    await readerEmpty(READER_0);
    await readerEmpty(READER_1);
    const r = c(['read', '1']);
    assert.equal(r.rc, -2, r.out.toString());
    assert.match(r.out.toString(), /no card in any PC\/SC reader/);
    assert.equal(py(['read', '1']).rc, -2);
    assert.equal(c(['read', '1'], { SSCARD_READER: READER_0 }).rc, -2);
    assert.equal(c(['verify', '1'], { SSCARD_PIN: '246810' }).rc, -2);
    const unknown = c(['read', '1'], { SSCARD_READER: 'ACME Reader 9' });
    assert.equal(unknown.rc, -11);
    assert.match(unknown.out.toString(), /no PC\/SC reader named "ACME Reader 9"/);
    assert.equal(c(['read', '2']).rc, -11, 'contactless without SSCARD_CONTACTLESS_READER');
    assert.equal(c(['read', '9']).rc, -14);
    const noConfig = c(['read', '1'], { SSCARD_CONFIG: '/nonexistent/sscard.conf' });
    assert.equal(noConfig.rc, -14, 'an SSCARD_CONFIG file that cannot be read');
    assert.match(noConfig.out.toString(), /cannot read the SSCARD_CONFIG file \/nonexistent\/sscard.conf/);
  });
});

/** Debian's vicc (`vicc -t iso7816`): a card of another kind, with no social security application. */
async function withVicc(body: () => void): Promise<void> {
  const pkg = '/usr/lib/python3/site-packages/virtualsmartcard';
  assert.ok(fs.existsSync('/usr/bin/vicc') && fs.existsSync(pkg), 'vicc is not installed: `npm run setup` (Debian vsmartcard-vpicc python3-pycryptodome)');
  fs.symlinkSync('/usr/lib/python3/dist-packages/Cryptodome', path.join(tmp(), 'Crypto'));
  const vicc = spawn('/usr/bin/python3', ['/usr/bin/vicc', '-t', 'iso7816', '-P', '35963'],
    { env: { ...process.env, PYTHONPATH: `${pkg}:${tmp()}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  vicc.stdout!.on('data', (d) => { out += d; });
  vicc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((resolve) => vicc.on('exit', () => resolve()));
  try {
    const ch = new PcscChannel(READER_0);
    try {
      assert.ok(await ch.waitForCard(10000), `vicc did not appear in "${READER_0}": ${out}`);
    } finally {
      await ch.close();
    }
    body();
  } finally {
    vicc.kill('SIGKILL');
    await exited;
    fs.rmSync(path.join(tmp(), 'Crypto'), { force: true });
    await readerEmpty(READER_0);
  }
}

describe('libsscard on a card of another kind', () => {
  test('a card without the social security application (vicc iso7816): -1 wrong card type, for reading and for the PIN', async () => {
    await withVicc(() => {
      const r = c(['read', '1']);
      assert.equal(r.rc, -1, r.out.toString('latin1'));
      assert.match(r.out.toString(), /not a social security card: SELECT SSSE answered 6A82/);
      assert.equal(py(['read', '1']).rc, -1);
      assert.equal(c(['verify', '1'], { SSCARD_PIN: '123456' }).rc, -1);
    });
  });
});

describe('libsscard iVerifyPIN, through pcscd + vpcd', () => {
  // The emulator keeps the PIN counter in memory only (nothing is written back to the
  // profile), so each `medcard emulate` starts from the fixture's 3 tries: the fixture is
  // used as is and stays untouched (checked at the end).
  test('right PIN 0; wrong PIN -51 with the tries left in pOutInfo (63Cx), then -52 once locked, also for the right PIN', async () => {
    const before = fs.readFileSync(PROFILE);
    const tries = Number(yaml.pin.tries);
    const right = String(yaml.pin.value);
    const wrong = right === '000000' ? '111111' : '000000';
    await withCard(PORT_0, READER_0, () => {
      assert.equal(c(['verify', '1'], { SSCARD_PIN: right }).rc, 0, 'the right PIN (SSCARD_PIN, C)');
      assert.equal(py(['verify', '1', right]).rc, 0, 'the right PIN (iVerifyPINEx, Python)');
      for (let left = tries - 1; left >= 1; left--) {
        const r = left % 2 ? c(['verify', '1'], { SSCARD_PIN: wrong }) : py(['verify', '1', wrong]);
        assert.equal(r.rc, -51, r.out.toString());
        assert.equal(r.out.toString(), String(left), 'pOutInfo holds the tries left');
      }
      const locked = c(['verify', '1'], { SSCARD_PIN: wrong });
      assert.equal(locked.rc, -52, locked.out.toString());
      assert.equal(c(['verify', '1'], { SSCARD_PIN: right }).rc, -52, 'locked: the right PIN does not help');
      assert.equal(py(['verify', '1', right]).rc, -52);
      const noPin = c(['verify', '1']);
      assert.equal(noPin.rc, -14);
      assert.match(noPin.out.toString(), /SSCARD_PIN/);
      assert.equal(c(['verify', '1'], { SSCARD_PIN: '12a4' }).rc, -14);
    });
    assert.deepEqual(fs.readFileSync(PROFILE), before, 'the fixture is untouched');
  });
});
