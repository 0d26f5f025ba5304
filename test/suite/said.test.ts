// The steps' messages (steps/said.ts): a failure in the run's language (MEDCARD_LANG, which
// `medcard run` sets from cli/lang.ts), with no class name before it; a rig, card or engine
// failure inside a step said with what it is; a terminal refusal in one language. And a
// guard over the sources: no step raises a plain `new Error(` (each one is a Said), and every
// `zh:` / `en:` pair written on one line has Chinese in the zh text and none in the en text
// outside quotes, interpolations and 元 (the unit the money checks use in both). No reader, no engine: no vpcd lock needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlatformError } from '../../platform';
import { CardAbsentError, ReaderError } from '../../rigs';
import { TerminalRefusal } from '../../terminal';
import { fail, refusalSaid, said, StepFailure } from '../../steps/said';
import { explained } from '../../steps/capabilities';

const STEPS = path.resolve(__dirname, '..', '..', 'steps');
const HAN = /\p{Script=Han}/u;

function inLang<T>(lang: string, fn: () => T): T {
  const before = process.env.MEDCARD_LANG;
  process.env.MEDCARD_LANG = lang;
  try { return fn(); } finally { if (before === undefined) delete process.env.MEDCARD_LANG; else process.env.MEDCARD_LANG = before; }
}

test('a step failure is in the run\'s language, the message alone (no "Error:" before it), both texts kept', () => {
  const text = { zh: '现金支付：应为 1.00 元，实际 2.00 元', en: 'cash paid: expected 1.00 元, got 2.00 元' };
  const zh = inLang('zh', () => fail(text));
  const en = inLang('en', () => fail(text));
  const unset = inLang('', () => fail(text));
  assert.equal(zh.message, text.zh);
  assert.equal(en.message, text.en);
  assert.equal(unset.message, text.en, 'English unless medcard run said zh');
  assert.ok(zh instanceof StepFailure && zh instanceof Error);
  assert.deepEqual(zh.said, text);
  assert.equal(String(zh), text.zh);
  assert.ok(zh.stack!.startsWith(`${text.zh}\n`), zh.stack);
  assert.equal(inLang('zh', () => said(text)), text.zh);
});

test('a refusal in one language: its reason, the tries left, the detail quoted as it came', () => {
  const r = new TerminalRefusal('pin-wrong', '', 2);
  assert.deepEqual(refusalSaid(r), { zh: '密码错误，剩余 2 次', en: 'wrong PIN, 2 tries left' });
  const p = new TerminalRefusal('not-designated', 'X（H1）不是定点医药机构');
  assert.deepEqual(refusalSaid(p), { zh: '非定点医药机构，不能刷卡结算（详情：X（H1）不是定点医药机构）', en: 'not a designated institution: the card cannot settle here (detail: "X（H1）不是定点医药机构")' });
});

test('a rig, card or engine failure inside a step is said with what it is, the lower part\'s text kept; anything else passes through', () => {
  const reader = new ReaderError('reader "Virtual PCD 00 00" not found; readers pcscd knows: (none)', '0x8010002e');
  const zh = inLang('zh', () => explained(reader, 'vpcd')) as StepFailure;
  assert.ok(zh instanceof StepFailure);
  assert.equal(zh.message, '读卡环境 "vpcd" 的读卡器出错：reader "Virtual PCD 00 00" not found; readers pcscd knows: (none)');
  assert.match(zh.stack!, /ReaderError/, 'the original stack stays under it for a developer');
  const en = inLang('en', () => explained(new CardAbsentError('Virtual PCD 00 00'), 'vpcd')) as StepFailure;
  assert.match(en.message, /^no card in rig "vpcd"'s reader: no card in reader "Virtual PCD 00 00"/);
  const engine = inLang('zh', () => explained(new PlatformError(-1, '参保人不存在', 'balance'), 'emulated')) as StepFailure;
  assert.equal(engine.message, '结算引擎拒绝了 balance（infcode -1）：参保人不存在');
  const refused = new Error('the engine at http://127.0.0.1:9/ did not answer (ECONNREFUSED)', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
  assert.equal((inLang('zh', () => explained(refused, 'emulated')) as Error).message, '连不上结算引擎（ECONNREFUSED）：the engine at http://127.0.0.1:9/ did not answer (ECONNREFUSED)');
  const plain = new TypeError('x is undefined');
  assert.equal(explained(plain, 'emulated'), plain);
  const already = fail({ zh: '甲', en: 'a' });
  assert.equal(explained(already, 'emulated'), already);
});

test('guard: no step raises a plain Error, and each one-line zh/en pair is Chinese / English', () => {
  const plain: string[] = [];
  const swapped: string[] = [];
  const files = fs.readdirSync(STEPS).filter((f) => f.endsWith('.ts'));
  let pairs = 0;
  for (const f of files) {
    const lines = fs.readFileSync(path.join(STEPS, f), 'utf8').split('\n');
    lines.forEach((line, n) => {
      const where = `steps/${f}:${n + 1}`;
      // An error no analyst reads (the reference terminal catches it) says so on its line.
      if (/new Error\(/.test(line) && !/\/\* internal: /.test(line)) plain.push(`${where}: ${line.trim()}`);
      for (const m of line.matchAll(/\bzh: (['`])((?:\\.|(?!\1).)*)\1, en: (['`])((?:\\.|(?!\3).)*)\3/g)) {
        pairs++;
        const bare = (s: string) => s.replace(/\$\{[^}]*\}/g, '').replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/元/g, '');
        const zh = bare(m[2]!);
        const en = bare(m[4]!);
        // Punctuation-only Chinese forms (a separator, an empty context) have nothing to check.
        if (zh.trim() && /[A-Za-z\u4e00-\u9fff]/.test(zh) && !HAN.test(zh) && !/^[\s\w@./<>()-]*$/.test(zh)) swapped.push(`${where}: zh has no Chinese: ${m[2]}`);
        if (HAN.test(en)) swapped.push(`${where}: en has Chinese outside quotes: ${m[4]}`);
      }
    });
  }
  assert.deepEqual(plain, [], 'raise fail({ zh, en }) (steps/said.ts) instead');
  assert.deepEqual(swapped, []);
  assert.ok(pairs > 100, `the guard read the pairs (${pairs})`);
});
