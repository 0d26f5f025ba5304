// The certificate page (reports/compliance/index.html) in a real browser (Debian's chromium,
// headless, over file://): one row per requirement with its verdict, a failed row's evidence
// one click away, Chinese drawn in a CJK font, and what a terminal sent shown as text (a
// terminal's output is not trusted: markup in it must not run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certificate, REQUIREMENTS, writeCertificate, type ScenarioVerdicts } from '../../compliance';
import { Browser, CHROMIUM, cjkFonts, type Page } from '../cli/chromium';

const skip = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: npm run setup installs it`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-certificate-'));
let browser: Browser | undefined;
let page: Page;

const scenarios: ScenarioVerdicts[] = [
  { scenario: '持卡门诊结算，个人账户支付', uri: 'compliance/features/结算.feature', line: 0, terminal: 'vendor-x', verdicts: [
    { requirement: 'CARD-01', verdict: 'passed', evidence: ['card #1 00A404000F… → 9000'] },
    { requirement: 'PLAT-08', verdict: 'failed', evidence: ['receipt acct_pay 120.01, setlinfo 120.00', '<img src=x onerror="window.pwned=1">'] },
  ] },
];

before(async () => {
  if (skip) return;
  writeCertificate(dir, certificate('vendor-x', scenarios, '2026-12-02T10:00:00Z'));
  browser = Browser.launch();
  page = await browser.newPage();
  await page.goto(`file://${path.join(dir, 'compliance', 'index.html')}`);
  await page.waitFor('document.querySelectorAll("tbody tr").length', 'the rows');
});

after(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('one row per requirement, each with its verdict', { skip }, async () => {
  const rows = await page.eval<string[][]>('[...document.querySelectorAll("tbody tr")].map((r) => [r.cells[0].innerText, r.cells[3].innerText, r.className])');
  assert.equal(rows.length, REQUIREMENTS.length);
  const by = Object.fromEntries(rows.map(([id, verdict, cls]) => [id, { verdict, cls }]));
  assert.deepEqual(by['CARD-01'], { verdict: '通过 passed', cls: 'passed' });
  assert.deepEqual(by['PLAT-08'], { verdict: '未通过 failed', cls: 'failed' });
  assert.deepEqual(by['PLAT-05'], { verdict: '未测试 not tested', cls: 'not-tested' });
  const summary = await page.eval<string>('document.querySelector("p").innerText');
  assert.match(summary, new RegExp(`通过 passed 1 · 未通过 failed 1 · 未测试 not tested ${REQUIREMENTS.length - 2}`));
});

test('a failed requirement shows its evidence when opened, as text', { skip }, async () => {
  const shown = await page.eval<string>(`(() => { const row = [...document.querySelectorAll("tbody tr")].find((r) => r.cells[0].innerText === "PLAT-08");
    const d = row.querySelector("details"); d.open = true; return d.innerText; })()`);
  assert.match(shown, /持卡门诊结算，个人账户支付: failed/);
  assert.match(shown, /receipt acct_pay 120\.01, setlinfo 120\.00/);
  assert.match(shown, /<img src=x onerror=/, 'the markup is shown as text');
  assert.equal(await page.eval<unknown>('window.pwned ?? null'), null, 'and never ran');
  assert.equal(await page.eval<number>('document.querySelectorAll("tbody img").length'), 0);
});

test('Chinese is drawn with an installed CJK font, not boxes', { skip }, async () => {
  const fonts = await page.fontsOf('h1');
  const cjk = cjkFonts();
  assert.ok(fonts.some((f) => cjk.has(f.familyName) && f.glyphCount > 0), `fonts used: ${JSON.stringify(fonts)}; CJK fonts installed: ${[...cjk].join(', ') || 'none'}`);
});
