import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExchange, type TraceEntry } from '../../emulator';
import { card, tx, hex } from './helpers';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

test('decodeExchange: SELECT SSSE', () => {
  const e = decodeExchange(hex(SELECT_SSSE), hex('6113'));
  assert.equal(e.name, 'SELECT');
  assert.match(e.detail, /^SSSE 社会保障应用/);
  assert.equal(e.sw, '6113');
  assert.match(e.swMeaning, /19字节/);
  assert.match(e.swMeaning, /19 bytes available with GET RESPONSE/);
  assert.equal(e.command, SELECT_SSSE);
});

test('decodeExchange: READ RECORD decodes file, record and value', () => {
  const e = decodeExchange(hex('00B2072C0B'), hex('070941353030303030303190 00'.replace(' ', '')));
  assert.equal(e.name, 'READ RECORD');
  assert.equal(e.detail, 'EF05 record 07 卡号 / card number = "A50000001"');
  assert.equal(e.swMeaning, '正常 / OK');
  const n = decodeExchange(hex('00B2093420'), hex('091ED5C5C8FD' + '00'.repeat(26) + '9000'));
  assert.equal(n.detail, 'EF06 record 09 姓名 / name = "张三"');
  const d = decodeExchange(hex('00B2062C06'), hex('0604203106159000'));
  assert.equal(d.detail, 'EF05 record 06 卡有效期 / expiry date = 2031-06-15');
});

test('PIN digits are hidden in detail and in the command hex', () => {
  const v = decodeExchange(hex('0020000003246810'), hex('63C2'));
  assert.equal(v.command, '0020000003******');
  assert.equal(v.detail, 'PIN (6 digits hidden)');
  assert.match(v.swMeaning, /还可尝试2次/);
  assert.match(v.swMeaning, /wrong PIN, 2 tries left/);
  assert.ok(!JSON.stringify(v).includes('246810'));
  const c = decodeExchange(hex('805E010007246810FF654321'), hex('9000'));
  assert.equal(c.name, 'CHANGE PIN');
  assert.equal(c.command, '805E010007' + '*'.repeat(14));
  assert.ok(!JSON.stringify(c).includes('654321'));
});

test('status words: 6983, 6A82, 6C0B, unknown INS; malformed and empty responses', () => {
  assert.match(decodeExchange(hex('0020000003111111'), hex('6983')).swMeaning, /密码已锁定 \/ PIN blocked/);
  assert.match(decodeExchange(hex('00A4020002EF09'), hex('6A82')).swMeaning, /文件未找到/);
  assert.match(decodeExchange(hex('00B2072C00'), hex('6C0B')).swMeaning, /resend with Le=0B/);
  const u = decodeExchange(hex('00FF0000'), hex('6D00'));
  assert.equal(u.name, 'UNKNOWN');
  assert.match(u.swMeaning, /instruction not supported/);
  const m = decodeExchange(hex('00B2'), hex('6700'));
  assert.match(m.detail, /malformed/);
  const none = decodeExchange(hex('00B2072C0B'), new Uint8Array(0));
  assert.equal(none.sw, '');
  assert.match(none.swMeaning, /no response/);
});

test('the card keeps a bounded ring, oldest first, with times', () => {
  const c = card('zhang-san', { traceLimit: 3 });
  tx(c, SELECT_SSSE);
  tx(c, '00C0000013');
  tx(c, '00B2072C0B');
  tx(c, '0084000008');
  const t = c.trace;
  assert.deepEqual(t.map((e) => e.name), ['GET RESPONSE', 'READ RECORD', 'GET CHALLENGE']);
  assert.ok(!Number.isNaN(Date.parse(t[0].time)));
  c.clearTrace();
  assert.equal(c.trace.length, 0);
});

test('the card knows the current EF for READ RECORD on it', () => {
  const c = card('zhang-san');
  tx(c, SELECT_SSSE);
  tx(c, '00A4020002EF05');
  tx(c, '00B207040B');
  assert.match(c.trace[c.trace.length - 1].detail, /^EF05 record 07/);
});

test('onTrace: every exchange, unsubscribe, a throwing listener does not break the card', () => {
  const c = card('zhang-san', { traceLimit: 0 });
  const seen: TraceEntry[] = [];
  const off = c.onTrace((e) => seen.push(e));
  c.onTrace(() => { throw new Error('listener bug'); });
  assert.equal(tx(c, SELECT_SSSE), '6113');
  assert.equal(tx(c, '0020000003246810'), '9000');
  off();
  tx(c, '0084000004');
  assert.equal(seen.length, 2);
  assert.equal(seen[1].command, '0020000003******');
  assert.equal(c.trace.length, 0);
});

test('an unpowered card is traced as such', () => {
  const c = card('zhang-san');
  c.powerOff();
  tx(c, SELECT_SSSE);
  const e = c.trace[c.trace.length - 1];
  assert.equal(e.sw, '6F00');
});

test('the trace copies the bytes: a rig reusing its Buffer does not rewrite history', () => {
  const c = card('zhang-san');
  const buf = Buffer.from('0084000004', 'hex');
  c.transmit(buf);
  buf.fill(0xee);
  assert.equal(c.trace[c.trace.length - 1].command, '0084000004');
});
