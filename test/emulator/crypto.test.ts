// SM4 itself against the GB/T 32907 test vector, then INTERNAL AUTHENTICATE against values
// computed here, independently of the card (the card uses OpenSSL's sm4-ecb when present).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { sm4EncryptEcb, sm4DecryptEcb } from '../../emulator/sm4';
import { EmulatedCard, parseCardProfile } from '../../emulator';
import { card, tx, hex, prng, show } from './helpers';
import * as fs from 'node:fs';
import * as path from 'node:path';

const KEY = '0123456789ABCDEFFEDCBA9876543210';

test('SM4 standard vector (GB/T 32907-2016 appendix A, example 1)', () => {
  assert.equal(show(sm4EncryptEcb(hex(KEY), hex(KEY))), '681EDF34D206965E86B3E94F536E4246');
  assert.equal(show(sm4DecryptEcb(hex(KEY), hex('681EDF34D206965E86B3E94F536E4246'))), KEY);
});

// The standard's second example (a million chained encryptions, ~3 s) is the long run:
// MEDCARD_LONG_TESTS=1 (nightly). By default, random keys and blocks against OpenSSL's
// independent sm4-ecb: seeded, the seed printed, MEDCARD_SEED=<n> replays it.
const LONG = process.env.MEDCARD_LONG_TESTS === '1';
const SEED = Number(process.env.MEDCARD_SEED ?? Math.floor(Math.random() * 2 ** 31));
const hasOpensslSm4 = crypto.getCiphers().includes('sm4-ecb');

test('SM4 standard vector, example 2: 1,000,000 encryptions', { skip: LONG ? false : 'the long run: MEDCARD_LONG_TESTS=1' }, () => {
  let b = hex(KEY);
  const k = hex(KEY);
  for (let i = 0; i < 1_000_000; i++) b = sm4EncryptEcb(k, b);
  assert.equal(show(b), '595298C7C6FD271F0402F804C33D3F66');
});

test('SM4 on 2,000 random keys and blocks agrees with OpenSSL sm4-ecb, and decrypts back', { skip: hasOpensslSm4 ? false : 'no sm4-ecb in this OpenSSL' }, () => {
  console.log(`sm4 seed ${SEED} (replay with MEDCARD_SEED=${SEED})`);
  const rnd = prng(SEED);
  const bytes = () => Uint8Array.from({ length: 16 }, () => Math.floor(rnd() * 256));
  for (let i = 0; i < 2000; i++) {
    const key = bytes();
    const block = bytes();
    const c = crypto.createCipheriv('sm4-ecb', key, null);
    c.setAutoPadding(false);
    const want = Buffer.concat([c.update(block), c.final()]).toString('hex').toUpperCase();
    const got = sm4EncryptEcb(key, block);
    assert.equal(show(got), want, `seed ${SEED}, #${i}: key ${show(key)}, block ${show(block)}`);
    assert.equal(show(sm4DecryptEcb(key, got)), show(block), `seed ${SEED}, #${i}: decrypt`);
  }
});

test('OpenSSL sm4-ecb (when present) agrees with the vector', { skip: hasOpensslSm4 ? false : 'no sm4-ecb in this OpenSSL' }, () => {
  const c = crypto.createCipheriv('sm4-ecb', Buffer.from(KEY, 'hex'), null);
  c.setAutoPadding(false);
  assert.equal(Buffer.concat([c.update(Buffer.from(KEY, 'hex')), c.final()]).toString('hex').toUpperCase(), '681EDF34D206965E86B3E94F536E4246');
});

test('INTERNAL AUTHENTICATE (SM4): first 8 bytes of SM4(key, challenge ‖ 80 00 … 00)', () => {
  const c = card('zhang-san');
  assert.equal(tx(c, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF'), '6113');
  const challenge = '1122334455667788';
  const key = hex('00112233445566778899AABBCCDDEEFF'); // zhang-san.yaml auth.key
  const expected = show(sm4EncryptEcb(key, hex(challenge + '8000000000000000'))).slice(0, 16);
  assert.equal(tx(c, `0088000008${challenge}`), '6108');
  assert.equal(tx(c, '00C0000008'), `${expected}9000`);
  assert.equal(tx(c, `0088000108${challenge}`), '6108'); // key 01 is the same test key
  assert.equal(tx(c, '00C0000008'), `${expected}9000`);
});

test('INTERNAL AUTHENTICATE (3DES profile): 3DES-ECB of the challenge', () => {
  const yaml = fs.readFileSync(path.join(__dirname, '../../fixtures/cards/li-si.yaml'), 'utf8')
    + 'auth:\n  algorithm: 3DES\n  key: 0123456789ABCDEFFEDCBA9876543210\n';
  const c = new EmulatedCard(parseCardProfile(yaml, 'li-si-3des.yaml'));
  c.powerOn();
  const d = crypto.createCipheriv('des-ede-ecb', Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'), null);
  d.setAutoPadding(false);
  const expected = Buffer.concat([d.update(Buffer.from('A1A2A3A4A5A6A7A8', 'hex')), d.final()]).toString('hex').toUpperCase();
  assert.equal(tx(c, '0088000008A1A2A3A4A5A6A7A8'), '6108');
  assert.equal(tx(c, '00C0000008'), `${expected}9000`);
});
