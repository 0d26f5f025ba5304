import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerFrame, Control, encodeFrame, FrameDecoder } from '../../rigs/frames';

test('encodeFrame writes a 2-byte big-endian length before the body', () => {
  assert.deepEqual([...encodeFrame(Uint8Array.from([0x00, 0xa4, 0x04, 0x00]))], [0x00, 0x04, 0x00, 0xa4, 0x04, 0x00]);
  assert.deepEqual([...encodeFrame(new Uint8Array(0x0102))].slice(0, 2), [0x01, 0x02]);
  assert.throws(() => encodeFrame(new Uint8Array(0x10000)), /exceeds 65535/);
});

test('FrameDecoder reassembles frames split at every byte and joined in one chunk', () => {
  const stream = Buffer.concat([encodeFrame(Uint8Array.of(0x04)), encodeFrame(Uint8Array.of(0x00, 0x84, 0x00, 0x00, 0x04))]);
  const byteByByte = new FrameDecoder();
  const frames: Buffer[] = [];
  for (const b of stream) frames.push(...byteByByte.push(Uint8Array.of(b)));
  assert.deepEqual(frames.map((f) => f.toString('hex')), ['04', '0084000004']);
  const whole = new FrameDecoder();
  assert.deepEqual(whole.push(stream).map((f) => f.toString('hex')), ['04', '0084000004']);
  assert.equal(whole.buffered, 0);
});

test('FrameDecoder keeps a half frame buffered until the rest arrives', () => {
  const d = new FrameDecoder();
  assert.deepEqual(d.push(Uint8Array.of(0x00, 0x03, 0xaa)), []);
  assert.equal(d.buffered, 3);
  assert.deepEqual(d.push(Uint8Array.of(0xbb, 0xcc)).map((f) => f.toString('hex')), ['aabbcc']);
});

test('answerFrame: control codes power the card and return the ATR; longer frames are APDUs', () => {
  const calls: string[] = [];
  const card = {
    atr: Uint8Array.of(0x3b, 0x00),
    powerOn() { calls.push('on'); return this.atr; },
    powerOff() { calls.push('off'); },
    transmit(apdu: Uint8Array) { calls.push(`apdu ${Buffer.from(apdu).toString('hex')}`); return Uint8Array.of(0x90, 0x00); },
  };
  assert.equal(answerFrame(card, Uint8Array.of(Control.powerOn)), undefined);
  assert.equal(answerFrame(card, Uint8Array.of(Control.reset)), undefined);
  assert.deepEqual([...answerFrame(card, Uint8Array.of(Control.getAtr))!], [0x3b, 0x00]);
  assert.equal(answerFrame(card, Uint8Array.of(Control.powerOff)), undefined);
  assert.equal(answerFrame(card, Uint8Array.of(0x7f)), undefined, 'unknown control code is ignored');
  assert.deepEqual([...answerFrame(card, Uint8Array.of(0x00, 0x84, 0x00, 0x00, 0x04))!], [0x90, 0x00]);
  assert.deepEqual(calls, ['on', 'on', 'off', 'apdu 0084000004']);
});
