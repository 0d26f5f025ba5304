// The rendered Allure report in a real browser (Debian's chromium, headless): two runs with
// --history into one report folder, the second smaller, then served by `medcard report --serve`.
// Checks what QA saw broken: the stale count, the empty History tab, Chinese in boxes, hooks
// named "Unknown test", and the domain link. Waits are long: the machine may be busy.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, CHROMIUM, cjkFonts, type Page } from './chromium';

const root = path.resolve(__dirname, '..', '..');
const medcard = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
const skip = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: npm run setup installs it`;
const SCENARIO = '三个月划入加上年结转，账户共有 332.80 元';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-report-browser-'));
const out = path.join(dir, 'html');
const history = path.join(dir, 'history.jsonl');
let server: ChildProcess | undefined;
let url = '';
let browser: Browser | undefined;
let page: Page;

/** The report's id for a test result, by its name. */
function resultId(name: string): string {
  const files = fs.readdirSync(path.join(out, 'data', 'test-results'));
  const found = files.map((f) => JSON.parse(fs.readFileSync(path.join(out, 'data', 'test-results', f), 'utf8'))).find((r) => r.name === name);
  assert.ok(found, `no test result named ${name}`);
  return found.id;
}

before(async () => {
  if (skip) return;
  for (const [name, features] of [['big', ['features/chongqing-example.feature', 'features/fixtures.feature']], ['small', ['features/chongqing-example.feature']]] as const) {
    const r = medcard(['run', '--rig', 'emulated', '--quiet', '--reports', path.join(dir, name), ...features]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  const first = medcard(['report', '--results', path.join(dir, 'big', 'allure-results'), '--output', out, '--history', history]);
  assert.equal(first.status, 0, first.stdout + first.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).stats.total, 7);

  server = spawn(process.execPath, [path.join(root, 'bin/medcard.js'), 'report', '--results', path.join(dir, 'small', 'allure-results'), '--output', out, '--history', history, '--serve'], { cwd: root });
  let printed = '';
  server.stderr!.on('data', (d) => { printed += d; });
  url = await new Promise<string>((resolve, reject) => {
    server!.stdout!.on('data', (d) => { printed += d; const m = /serving the report at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(printed); if (m) resolve(m[1]!); });
    server!.once('exit', (code) => reject(new Error(`medcard report --serve exited (${code}): ${printed}`)));
  });
  browser = Browser.launch();
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) server.kill('SIGINT');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a re-render after a smaller run shows the smaller run, not the old page', { skip }, async () => {
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).stats.total, 3);
  await page.goto(url);
  const text = await page.waitFor<string>('document.querySelector("[data-testid=base-layout]") && /Results\\s+\\d/.test(document.body.innerText) && document.body.innerText', 'the overview');
  assert.match(text, /Results\s+3\b/);
  assert.doesNotMatch(text, /Results\s+7\b/);
});

test('the History tab shows the earlier run from the history file', { skip }, async () => {
  await page.goto(`${url}#${resultId(SCENARIO)}/history`);
  const items = await page.waitFor<number>('document.querySelectorAll("[data-testid=test-result-history-item]").length', 'a history item');
  assert.equal(items, 1, 'one earlier run (the big one) besides this one');
  assert.equal(fs.readFileSync(history, 'utf8').trim().split('\n').length, 2, 'two runs in history.jsonl');
});

test('hooks carry their names, and the domain link points at shared/domain.md', { skip }, async () => {
  await page.goto(`${url}#${resultId(SCENARIO)}`);
  const text = await page.waitFor<string>('document.body.innerText.includes("Test body") && document.body.innerText', 'the test result');
  assert.match(text, /准备场景：读卡环境、能力检查、药品目录/);
  assert.doesNotMatch(text, /Unknown test/);
  // Allure 3 shows a link as a clickable line with its URL, not as an <a>.
  const links = await page.eval<string[]>('[...document.querySelectorAll("[data-testid=test-result-meta-link]")].map((l) => l.textContent.trim())');
  assert.ok(links.includes('shared/domain.md#4.2'), `links: ${links.join(' ')}`);
  assert.ok(!links.some((l) => l.includes('example.invalid')), 'no link to example.invalid');
});

test('Chinese in the report is drawn with an installed CJK font, not boxes', { skip }, async () => {
  await page.goto(`${url}#${resultId(SCENARIO)}`);
  await page.waitFor('document.querySelector("[data-testid=test-result-info-title]")', 'the title');
  // The fonts chromium really used for the title's glyphs, against fontconfig's Chinese fonts.
  const fonts = await page.fontsOf('[data-testid=test-result-info-title]');
  const cjk = cjkFonts();
  assert.ok(fonts.some((f) => cjk.has(f.familyName) && f.glyphCount > 0), `fonts used: ${JSON.stringify(fonts)}; CJK fonts installed: ${[...cjk].join(', ') || 'none'}`);
});

test('--serve stops on Ctrl-C (SIGINT) with exit 0', { skip }, async () => {
  const exited = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)));
  server!.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('--open without a display prints the URL to open, and serves it', { skip }, async () => {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const child = spawn(process.execPath, [path.join(root, 'bin/medcard.js'), 'report', '--results', path.join(dir, 'small', 'allure-results'), '--output', path.join(dir, 'opened'), '--open'], { cwd: root, env });
  let printed = '';
  const opened = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => { printed += d; const m = /no display: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(printed); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`medcard report --open exited (${code}): ${printed}`)));
  });
  const res = await fetch(opened);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<html/i);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('--single-file writes one index.html that loads over file://', { skip }, async () => {
  const single = path.join(dir, 'single');
  const r = medcard(['report', '--results', path.join(dir, 'small', 'allure-results'), '--output', single, '--single-file']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // Besides index.html only Allure's summary files for tools (summary.json, test-results.json): no folders.
  assert.ok(fs.readdirSync(single, { withFileTypes: true }).every((e) => e.isFile()), fs.readdirSync(single).join(' '));
  await page.goto(`file://${path.join(single, 'index.html')}`);
  const text = await page.waitFor<string>('/Results\\s+\\d/.test(document.body.innerText) && document.body.innerText', 'the single-file overview');
  assert.match(text, /Results\s+3\b/);
});
