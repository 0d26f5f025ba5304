// Profile validation: every bad field gives a message naming the file, the line and the field.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCardProfile, loadCardProfile, loadCardProfiles, CardProfileError } from '../../emulator';
import { CARDS } from './helpers';

const BASE = fs.readFileSync(path.join(CARDS, 'zhang-san.yaml'), 'utf8');
const FILE = 'fixtures/cards/x.yaml';

/** Replace one line of zhang-san.yaml and expect an error mentioning `parts`. */
function bad(from: RegExp, to: string, ...parts: Array<string | RegExp>): string {
  assert.match(BASE, from, `test setup: ${from} not in zhang-san.yaml`);
  const text = BASE.replace(from, to);
  try {
    parseCardProfile(text, FILE);
  } catch (e) {
    assert.ok(e instanceof CardProfileError, String(e));
    for (const p of parts) {
      if (typeof p === 'string') assert.ok(e.message.includes(p), `${JSON.stringify(e.message)} should include ${JSON.stringify(p)}`);
      else assert.match(e.message, p);
    }
    return e.message;
  }
  assert.fail(`no error for ${to}`);
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('shipped profiles', () => {
  test('all of fixtures/cards load, with distinct card numbers', () => {
    const all = loadCardProfiles(CARDS);
    for (const id of ['zhang-san', 'li-si', 'wang-wu-expired', 'zhao-liu-initial-pin', 'chen-qi-replacement', 'chen-qi-lost', 'sun-ba-not-activated']) {
      assert.ok(all.has(id), id);
    }
    assert.equal(new Set([...all.values()].map((p) => p.card.number)).size, all.size);
  });
  test('zhang-san: fields and defaults', () => {
    const p = loadCardProfile(path.join(CARDS, 'zhang-san.yaml'));
    assert.equal(p.id, 'zhang-san');
    assert.equal(p.holder.name, '张三');
    assert.equal(p.holder.idNumber, '500103198503120039');
    assert.equal(p.card.region, '500000');
    assert.equal(p.card.expiryDate, '2031-06-15');
    assert.equal(p.pin.tries, 3);
    assert.equal(p.protocol, 'T=0');
    assert.equal(p.atr, '3B097A68616E672D73616E');
    assert.match(p.source!, /zhang-san\.yaml$/);
  });
  test('defaults: tries 3, activated, SM4, nation 01, sex and birth date from the ID number', () => {
    const p = loadCardProfile(path.join(CARDS, 'li-si.yaml'));
    assert.equal(p.pin.tries, 3);
    assert.equal(p.activated, true);
    assert.equal(p.auth.algorithm, 'SM4');
    assert.equal(p.holder.nation, '01');
    assert.equal(p.holder.birthplace, '110105');
    const z = loadCardProfile(path.join(CARDS, 'zhao-liu-initial-pin.yaml'));
    assert.equal(z.pin.isInitial, true);
    assert.equal(z.holder.sex, '2');
  });
  test('chen-qi: the replacement names the lost card', () => {
    const all = loadCardProfiles(CARDS);
    const lost = all.get('chen-qi-lost')!;
    const repl = all.get('chen-qi-replacement')!;
    assert.equal(lost.reportedLost, true);
    assert.equal(repl.replaces, lost.card.number);
    assert.equal(repl.holder.idNumber, lost.holder.idNumber);
  });
});

describe('validation messages name file, line and field', () => {
  test('expiry date not a date', () => {
    const msg = bad(/expiryDate: 2031-06-15/, 'expiryDate: 2024-13-01', 'fixtures/cards/x.yaml:', 'card.expiryDate: expected YYYY-MM-DD, got "2024-13-01"');
    assert.ok(msg.startsWith(`${FILE}:${lineOf(BASE, 'expiryDate')}: card.expiryDate`), msg);
  });
  test('expiry before issue', () => void bad(/expiryDate: 2031-06-15/, 'expiryDate: 2020-01-01', 'card.expiryDate: must be after card.issueDate 2021-06-15'));
  test('February 30th', () => void bad(/issueDate: 2021-06-15/, 'issueDate: 2021-02-30', 'card.issueDate: expected YYYY-MM-DD, got "2021-02-30"'));
  test('ID number check digit', () => void bad(/"500103198503120039"/, '"500103198503120038"', 'holder.idNumber: check digit of "500103198503120038" should be 9'));
  test('ID number length', () => void bad(/"500103198503120039"/, '"50010319850312003"', 'holder.idNumber: expected 18 characters'));
  test('unquoted 18-digit ID keeps every digit (failsafe schema)', () => {
    const p = parseCardProfile(BASE.replace('"500103198503120039"', '500103198503120039'), FILE);
    assert.equal(p.holder.idNumber, '500103198503120039');
  });
  test('sex disagrees with the ID number', () => void bad(/sex: 1 /, 'sex: 2 ', 'holder.sex: is 2 but the ID number'));
  test('sex not a code', () => void bad(/sex: 1 /, 'sex: x ', 'holder.sex: expected 1 (male)'));
  test('birth date disagrees with the ID number', () => void bad(/birthDate: 1985-03-12/, 'birthDate: 1985-03-13', 'holder.birthDate: is 1985-03-13 but the ID number says 1985-03-12'));
  test('card number length', () => void bad(/number: A50000001/, 'number: A5000001', 'card.number: expected 9 letters or digits, got "A5000001"'));
  test('identification code not hex', () => void bad(/identificationCode: \S+/, 'identificationCode: XYZ', 'card.identificationCode: expected 32 hex digits, got "XYZ"'));
  test('region', () => void bad(/region: "500000"/, 'region: "5000"', 'card.region: expected 6 digits'));
  test('PIN', () => void bad(/value: "246810"/, 'value: "24681"', 'pin.value: expected 6 digits, got "24681"'));
  test('PIN tries', () => void bad(/tries: 3/, 'tries: 0', 'pin.tries: expected a whole number from 1 to 15, got "0"'));
  test('isInitial', () => void bad(/isInitial: false/, 'isInitial: maybe', 'pin.isInitial: expected true or false, got "maybe"'));
  test('name too long for 30 GBK bytes', () => void bad(/name: 张三/, `name: ${'张'.repeat(16)}`, 'holder.name: expected at most 30 bytes in GBK, got 32 bytes'));
  test('name outside GBK', () => void bad(/name: 张三/, 'name: 张😀', 'holder.name: cannot be encoded in GBK'));
  test('missing required field points at its parent', () => {
    const msg = bad(/ {2}number: A50000001\n/, '', 'card.number: required');
    assert.ok(msg.includes(`${FILE}:${lineOf(BASE, 'card:')}: card.number`), msg);
  });
  test('unknown field (typo)', () => void bad(/expiryDate:/, 'expiryDat:', 'card.expiryDat: unknown field', 'card.expiryDate: required'));
  test('bad ATR: TCK', () => void bad(/activated: true/, 'activated: true\natr: 3B 81 01 41 00', 'atr: ATR check byte TCK is wrong'));
  test('bad ATR: length', () => void bad(/activated: true/, 'activated: true\natr: 3B 05 41 42', 'atr: ATR length 4 does not match its structure'));
  test('bad ATR: TS', () => void bad(/activated: true/, 'activated: true\natr: 3C 00', 'atr: TS must be 3B'));
  test('protocol', () => void bad(/activated: true/, 'activated: true\nprotocol: T=2', 'protocol: expected T=0 or T=1'));
  test('auth key length', () => void bad(/key: 00112233445566778899AABBCCDDEEFF/, 'key: 0011', 'auth.key: expected 32 hex digits'));
  test('auth algorithm', () => void bad(/algorithm: SM4/, 'algorithm: AES', 'auth.algorithm: expected SM4 or 3DES, got "AES"'));
  test('activated', () => void bad(/activated: true/, 'activated: yes', 'activated: expected true or false, got "yes"'));
  test('a section that is not a mapping', () => void bad(/pin:\n(.*\n){3}/, 'pin: 246810\n', 'pin: expected a mapping'));
  test('YAML syntax error names the line', () => void bad(/card:\n/, 'card:\n  [unclosed\n', FILE, '(yaml)'));
  test('several issues are all reported', () => {
    const msg = bad(/value: "246810"/, 'value: "1"', 'pin.value');
    assert.equal(msg.split('\n').length, 1);
    const two = BASE.replace('value: "246810"', 'value: "1"').replace('region: "500000"', 'region: "x"');
    assert.throws(() => parseCardProfile(two, FILE), (e: Error) => e.message.split('\n').length === 2);
  });
  test('binary files: bad fid and size', () => {
    bad(/activated: true/, 'activated: true\nfiles:\n  binary:\n    - fid: EF05\n      size: 10', 'files.binary[0].fid: expected 4 hex digits other than 3F00, EF05, EF06');
    bad(/activated: true/, 'activated: true\nfiles:\n  binary:\n    - fid: EF08\n      size: 0', 'files.binary[0].size: expected 1–32767');
    bad(/activated: true/, 'activated: true\nfiles:\n  readNeedsPin: [EF07]', 'files.readNeedsPin[0]: expected EF05 or EF06, got "EF07"');
  });
});

describe('loading from files', () => {
  test('loadCardProfiles reports every bad file and duplicate card numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cards-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), BASE);
    fs.writeFileSync(path.join(dir, 'b.yaml'), BASE);
    fs.writeFileSync(path.join(dir, 'c.yaml'), BASE.replace('2031-06-15', '2031-06-31'));
    assert.throws(() => loadCardProfiles(dir), (e: Error) =>
      /b\.yaml: card\.number: A50000001 is also the number of .*a\.yaml/.test(e.message)
      && /c\.yaml:\d+: card\.expiryDate: expected YYYY-MM-DD, got "2031-06-31"/.test(e.message));
    fs.rmSync(dir, { recursive: true });
  });
  test('a missing file is a CardProfileError naming it', () => {
    assert.throws(() => loadCardProfile('/nonexistent/x.yaml'), (e: Error) => e instanceof CardProfileError && e.message.includes('x.yaml'));
  });
});
