// The identifier formats (spec/identifiers.ts): one rule each, checked here once; the
// emulator, the engine and the steps use the same rules (test/engine/identifiers.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, REGION_CODE, idCheckDigit, makeCardNumber, makeCardSn, makeIdNumber, MED_TYPE_OF_VISIT, MED_TYPES, OUTPATIENT_MED_TYPES, CARD_RECORDS } from '../../spec';

test('ID number: GB 11643 check character, birth date, normalisation', () => {
  assert.equal(idCheckDigit('11010519491231002'), 'X'); // the standard's own worked example
  assert.equal(ID_NUMBER.problem('11010519491231002X'), undefined);
  assert.equal(ID_NUMBER.normalize(' 11010519491231002x '), '11010519491231002X');
  assert.match(ID_NUMBER.problem('110105194912310021')!.zh, /校验位不正确：110105194912310021 的第 18 位应为 X/);
  assert.equal(ID_NUMBER.problem('110105194912310021')!.en, 'check digit of "110105194912310021" should be X');
  assert.match(ID_NUMBER.problem('110105194902300021')!.en, /digits 7–14 must be a birth date/);
  assert.match(ID_NUMBER.problem('1101051949123100')!.en, /expected 18 characters/);
  for (let seq = 0; seq < 1000; seq += 37) assert.equal(ID_NUMBER.problem(makeIdNumber('500103', '1985-03-12', seq)), undefined);
});

test('card number, card identification code, region code', () => {
  assert.equal(CARD_NUMBER.normalize('a50000001'), 'A50000001');
  assert.equal(CARD_NUMBER.problem('A50000001'), undefined);
  assert.equal(CARD_NUMBER.problem('A5000001')!.en, 'expected 9 letters or digits, got "A5000001"');
  assert.match(CARD_NUMBER.problem('A5000001!')!.zh, /9 位数字或大写字母/);
  for (const n of [0, 1, 36 ** 8 - 1, 36 ** 8, 123_456_789_012]) assert.equal(CARD_NUMBER.problem(makeCardNumber(n)), undefined, String(n));
  assert.equal(CARD_SN.normalize('5000 00d1 56'), '500000D156');
  assert.equal(CARD_SN.problem(makeCardSn('500000', '42')), undefined);
  assert.equal(makeCardSn('500000', '42').length, 32);
  assert.equal(CARD_SN.problem('XYZ')!.en, 'expected 32 hex digits, got "XYZ"');
  assert.equal(REGION_CODE.problem('500000'), undefined);
  assert.ok(REGION_CODE.problem('50000'));
});

test('medical types: one table, every visit kind maps into it, outpatient excludes inpatient', () => {
  for (const t of Object.values(MED_TYPE_OF_VISIT)) assert.ok(MED_TYPES[t], t);
  assert.equal(MED_TYPE_OF_VISIT.inpatient, '21');
  assert.ok(!(OUTPATIENT_MED_TYPES as readonly string[]).includes('21'));
  assert.deepEqual([...OUTPATIENT_MED_TYPES].sort(), ['11', '12', '14', '41', '51']);
});

test('card layout: EF05 records 01–07 then EF06 records 08–0D, as card-spec §3 numbers them', () => {
  assert.deepEqual(CARD_RECORDS.map((r) => r.tag), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.deepEqual(CARD_RECORDS.map((r) => r.file), [...Array(7).fill('EF05'), ...Array(6).fill('EF06')]);
  assert.deepEqual(CARD_RECORDS.map((r) => r.length), [16, 1, 4, 12, 4, 4, 9, 18, 30, 1, 1, 3, 4]);
});
