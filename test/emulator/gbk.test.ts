import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGbk, decodeGbk } from '../../emulator';
import { show, hex } from './helpers';

test('encodeGbk: 社会保障 is C9E7 BBE1 B1A3 D5CF; ASCII stays one byte', () => {
  assert.equal(show(encodeGbk('社会保障')), 'C9E7BBE1B1A3D5CF');
  assert.equal(show(encodeGbk('sx1.sh.')), '7378312E73682E');
  assert.equal(show(encodeGbk('张三')), 'D5C5C8FD');
});
test('decodeGbk round trip, including rare GBK characters (欧阳 镕 彧)', () => {
  for (const s of ['欧阳娜娜', '朱镕基', '李彧', '·', 'A1 张']) assert.equal(decodeGbk(encodeGbk(s)), s);
  assert.equal(decodeGbk(hex('D5C5C8FD')), '张三');
});
test('a character outside GBK is an error naming it', () => {
  assert.throws(() => encodeGbk('😀'), /has no GBK code/);
});
