// The operator adapter under a real terminal: each process runs inside a pseudo-terminal made
// by util-linux `script`, and this test plays the operator: it reads the instructions from
// the pty, does what they say and types what it saw. First the adapter alone
// (operator-driver.ts: one act()), then `medcard certify --terminal operator` end to end,
// where the operator performs every settlement with the reference terminal (`medcard
// terminal settle`, a separate program) and types its receipt. The virtual readers are
// shared: run this file under `flock /tmp/medcard-vpcd.lock` (scripts/test.js holds it for
// the whole suite; never take it here).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REQUIREMENTS, type ActionRequest, type ActionResult, type Certificate } from '../../compliance';
import { parseAnswer } from '../../compliance/operator';

const ROOT = path.resolve(__dirname, '..', '..');
const OPERATOR_YAML = path.join(ROOT, 'terminals', 'operator.yaml');
/** Only so that a broken adapter fails the test instead of hanging it. */
const PATIENCE_MS = 120_000;
/** Longer than cucumber's default step timeout (steps/support.ts): a person is slower than a program. */
const SLOW_OPERATOR_MS = 32_000;
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** A command in a pseudo-terminal of its own (its controlling tty); we hold the other end. */
class Pty {
  private text = '';
  private cursor = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exit: Promise<number | null>;

  constructor(argv: string[]) {
    this.child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (c: string) => { this.text += c.replaceAll('\r', ''); });
    this.child.stderr.on('data', (c: Buffer) => { this.text += c.toString('utf8'); });
    this.exit = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Wait for `re` in what the terminal showed since the last match; move past it. */
  async expect(re: RegExp): Promise<RegExpExecArray> {
    const t0 = Date.now();
    for (;;) {
      const m = re.exec(this.text.slice(this.cursor));
      if (m) { this.cursor += m.index + m[0].length; return m; }
      if (Date.now() - t0 > PATIENCE_MS) throw new Error(`the terminal never showed ${re}; it showed:\n${this.text.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Keys typed on the keyboard; "\r" is Enter. */
  type(keys: string): void { this.child.stdin.write(keys); }
  get shown(): string { return this.text; }
  kill(): void { this.child.kill('SIGKILL'); }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-operator-'));

const REQUEST: Omit<ActionRequest, 'platformUrl'> = {
  action: 'settle', reader: 'Virtual PCD 00 00', date: '2026-12-02', kind: 'outpatient',
  items: [{ code: '001201000010000', name: '诊疗费', priceFen: 8000, count: 1 }, { code: '001201000020000', name: '注射费', priceFen: 2000, count: 2 }],
  totalFen: 12000, person: { name: '张三', idNumber: '500101199001011238' }, pin: '246810', useAccount: true,
};

/** The adapter alone in a pty: one act() by operator-driver.ts, with `terminal` as its terminal file. */
function driver(name: string, terminal = OPERATOR_YAML, request: Omit<ActionRequest, 'platformUrl'> = REQUEST) {
  const requestFile = path.join(tmp, `${name}.request.json`);
  const resultFile = path.join(tmp, `${name}.result.json`);
  fs.writeFileSync(requestFile, JSON.stringify(request));
  const argv = [process.execPath, '-r', './steps/register.js', 'test/compliance/operator-driver.ts', terminal, requestFile, resultFile];
  const result = () => JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ActionResult;
  return { argv, result };
}

describe('the operator adapter alone, in a pty', () => {
  test('shows what to do in Chinese and English, and takes the typed receipt in fen', async () => {
    const d = driver('settled');
    const pty = new Pty(d.argv);
    try {
      const head = await pty.expect(/请在收费窗口为 (\S+) 结算门诊费用 ([\d.]+) 元（读卡器 (.+?)，平台 ([^）\s]+)）/);
      assert.deepEqual(head.slice(1, 4), ['张三', '120.00', 'Virtual PCD 00 00']);
      const rest = await pty.expect(/([\s\S]*?)被拒绝 refused:[^\n]*\n> /);
      assert.match(rest[1]!, /At the cashier's terminal, settle an outpatient visit of CNY 120\.00 for 张三/);
      assert.match(rest[1]!, /证件号码 \/ ID 500101199001011238/);
      assert.match(rest[1]!, /H50000000903/);
      assert.match(rest[1]!, /1\. 001201000010000 {2}诊疗费 {2}80\.00 × 1\n {4}2\. 001201000020000 {2}注射费 {2}20\.00 × 2/);
      assert.match(rest[1]!, /key in the PIN on the PIN pad: 246810/);
      // The operator's terminal reaches the platform shown: the recorder's count is shown rising.
      const answer = await fetch(head[4]!, { method: 'POST', body: '{"infno":"9001"}' });
      assert.equal(answer.status, 200);
      await pty.expect(/平台已收到 1 条请求 \/ the platform has seen 1 request/);
      pty.type('s 5000001 120.00 84.00\r');
      await pty.expect(/✗ 结算成功应输入 6 项，实际 3 项[^\n]*\n> /);
      pty.type('s 5000001 120.00 84.0 3.6 0.00 1,464.00\r');
      await pty.expect(/✗ 余额 \/ balance "1,464.00": [^\n]*\n> /);
      pty.type('s 5000001 120.00 84.0 3.6 32.40 1464\r');
      assert.equal(await pty.exit, 0, pty.shown);
    } finally { pty.kill(); }
    const r = d.result();
    assert.equal(r.outcome, 'settled', JSON.stringify(r));
    // Yuan as typed, in fen: 120.00 → 12000, 84.0 → 8400, 3.6 → 360, 32.40 → 3240, 1464 → 146400.
    assert.deepEqual(r.receipt, { setlId: '5000001', total: 12000, fund: 8400, account: 360, cash: 3240, balance: 146400 });
    assert.match(r.output, /> s 5000001 120\.00 84\.0 3\.6 32\.40 1464$/);
    assert.match(r.output, /> s 5000001 120\.00 84\.00\n/, 'the mistyped line is kept too');
  });

  test('Enter alone is a refusal, with the message typed next; a PIN typed by mistake is masked', async () => {
    const d = driver('refused');
    const pty = new Pty(d.argv);
    try {
      await pty.expect(/\n> /);
      pty.type('\r');
      await pty.expect(/终端显示的提示 \/ the message it showed: /);
      pty.type('密码 246810 错误，单位欠费\r');
      assert.equal(await pty.exit, 0, pty.shown);
    } finally { pty.kill(); }
    const r = d.result();
    assert.equal(r.outcome, 'refused');
    assert.equal(r.message, '密码 ****** 错误，单位欠费');
    assert.equal(r.receipt, undefined);
    assert.doesNotMatch(r.output, /246810/);
    assert.match(r.output, /> \n {2}> 密码 \*{6} 错误/);
  });

  test('no answer within timeout_s is outcome error, and the operator is told', async () => {
    const file = path.join(tmp, 'impatient.yaml');
    fs.writeFileSync(file, fs.readFileSync(OPERATOR_YAML, 'utf8').replace(/^timeout_s: .*$/m, 'timeout_s: 1'));
    const d = driver('timeout', file);
    const pty = new Pty(d.argv);
    try {
      await pty.expect(/（1 秒内）\/ then type what the terminal showed \(within 1 s\)/);
      await pty.expect(/超时：未在 1 秒内确认 \/ timed out/);
      assert.equal(await pty.exit, 0, pty.shown);
    } finally { pty.kill(); }
    const r = d.result();
    assert.equal(r.outcome, 'error');
    assert.equal(r.message, 'the operator did not confirm within 1 s');
    assert.ok(r.ms >= 1000, `${r.ms} ms`);
  });

  test('Ctrl-D (end of input) ends the wait with outcome error', async () => {
    const d = driver('eof');
    const pty = new Pty(d.argv);
    try {
      await pty.expect(/\n> /);
      pty.type('\x04');
      assert.equal(await pty.exit, 0, pty.shown);
    } finally { pty.kill(); }
    const r = d.result();
    assert.equal(r.outcome, 'error');
    assert.equal(r.message, 'the operator\'s terminal closed (end of input) before they confirmed');
  });

  test('without a controlling terminal the action fails at once, saying the adapter needs one', async () => {
    const d = driver('no-tty');
    // detached: a new session, so no controlling terminal, as under cron or CI.
    const child = spawn(d.argv[0]!, d.argv.slice(1), { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { out += c; });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, out);
    const r = d.result();
    assert.equal(r.outcome, 'error');
    assert.match(r.message!, /^the operator adapter needs a terminal \(操作员模式需要终端\): \/dev\/tty cannot be opened \(ENXIO/);
    assert.doesNotMatch(out, /246810/, 'nothing is printed instead: not even stdout gets the instructions');
  });
});

describe('what the operator may type', () => {
  test('each form, and a mistake named by its field', () => {
    assert.deepEqual(parseAnswer('settle', '  settled  X1 0 0.01 0.1 10 99999999.99 '), { result: { outcome: 'settled', message: '操作员确认结算成功 / the operator saw it settled', receipt: { setlId: 'X1', total: 0, fund: 1, account: 10, cash: 1000, balance: 9999999999 } } });
    assert.deepEqual(parseAnswer('settle', ''), { askMessage: true });
    assert.deepEqual(parseAnswer('settle', 'R'), { askMessage: true });
    assert.deepEqual(parseAnswer('settle', 'r 卡已挂失  请联系社保'), { result: { outcome: 'refused', message: '卡已挂失  请联系社保' } });
    assert.deepEqual(parseAnswer('query-balance', 'b 464.5'), { result: { outcome: 'shown', message: '个人账户余额 / balance 464.50', receipt: { balance: 46450 } } });
    const bad = (action: ActionRequest['action'], line: string) => { const a = parseAnswer(action, line); assert.ok('retry' in a, JSON.stringify(a)); return a.retry; };
    assert.match(bad('settle', 's X1 120.00 84.001 36.00 0.00 464.00'), /^统筹 \/ fund "84\.001": 金额最多两位小数/);
    assert.match(bad('settle', 's X1 120.00 84.00 -36.00x 0.00 464.00'), /^个人账户 \/ account "-36\.00x"/);
    assert.match(bad('settle', 'ok'), /看不懂 "ok"/);
    assert.match(bad('settle', 'b 464.00'), /s <setl_id>/);
    assert.match(bad('query-balance', 's X1 1 1 1 1 1'), /b <balance>/);
  });
});

/** The scenarios' "who settles how much" in the zh compliance features, as "name amount" keys. */
function settlementsAsked(): string[] {
  const dir = path.join(ROOT, 'compliance', 'features');
  const text = fs.readdirSync(dir).filter((f) => f.endsWith('.feature')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  return [
    ...[...text.matchAll(/当 受测终端为 "(.+?)" 结算门诊费用 ([\d.]+) 元/g)].map((m) => `${m[1]} ${m[2]}`),
    ...[...text.matchAll(/当 "(.+?)" 持 ".+?" 的社保卡在受测终端结算门诊费用 ([\d.]+) 元/g)].map((m) => `${m[1]} ${m[2]}`),
  ];
}

/** A program's output, its stdin given; async, so the pty keeps being read meanwhile. */
function run(cmd: string, args: string[], stdin: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    child.on('error', reject);
    child.on('close', () => resolve({ stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Yuan text with two decimals → fen, by digits (the test's own arithmetic, not the product's). */
const fenOf = (yuan: string) => Number(yuan.replace('.', ''));

describe('medcard certify --terminal operator, in a pty', () => {
  test('the operator settles every scenario with the reference terminal and types its receipt: every requirement passes, the PIN is nowhere in the reports', { timeout: 600_000 }, async () => {
    const tut = parse(fs.readFileSync(OPERATOR_YAML, 'utf8')) as { institution: { code: string; name: string; region: string; key: string; sign_type: string } };
    const reports = path.join(tmp, 'certify');
    const pty = new Pty([process.execPath, 'bin/medcard.js', 'certify', '--terminal', 'operator', '--tags', 'not @english', '--reports', reports]);
    const asked = settlementsAsked();
    const typedSettlements: string[] = [];
    const pins = new Set<string>();
    let refusals = 0;
    let extraEnter = false;
    try {
      for (;;) {
        const next = await pty.expect(/请在收费窗口为 (\S+) 结算门诊费用 ([\d.]+) 元（读卡器 (.+?)(?:，PSAM 卡在 (.+?))?，平台 ([^）\s]+)）|受测终端 \/ terminal operator: /);
        if (!next[1]) break;
        const [, name, amount, reader, psamReader, platform] = next as unknown as [string, string, string, string, string | undefined, string];
        const at = asked.indexOf(`${name} ${amount}`);
        assert.ok(at >= 0, `the operator was asked to settle ${amount} for ${name}, which no scenario asks (${asked.join(', ')})`);
        asked.splice(at, 1);
        const shownBlock = await pty.expect(/([\s\S]*?)被拒绝 refused:[^\n]*\n(?:[^\n]*ignored (\d+) line\(s\) typed before these instructions[^\n]*\n)?> /);
        const block = shownBlock[1]!;
        assert.equal(shownBlock[2], extraEnter ? '1' : undefined, `the extra Enter is dropped, and only then:\n${block}`);
        extraEnter = false;
        assert.equal(/机构 \/ institution:\s+(\S+)/.exec(block)?.[1], tut.institution.code);
        const date = /业务日期 \/ date:\s+(\d{4}-\d{2}-\d{2})/.exec(block)![1]!;
        const id = /证件号码 \/ ID (\S+)/.exec(block)?.[1] ?? '';
        const pin = /key in the PIN on the PIN pad: (\d+)/.exec(block)?.[1];
        if (pin) pins.add(pin);
        const items = [...block.matchAll(/^ {4}\d+\. (\S+) {2}(.+?) {2}(\d+\.\d{2}) × (\d+)$/gm)].map((m) => ({ code: m[1]!, name: m[2]!, price: m[3]!, count: Number(m[4]) }));
        assert.equal(items.reduce((s, i) => s + fenOf(i.price) * i.count, 0), fenOf(amount), `the fee lines shown sum to the amount asked:\n${block}`);
        // The operator does it: the reference terminal at the reader and platform shown, the PIN on its PIN pad.
        const done = await run(process.execPath, ['bin/medcard.js', 'terminal', 'settle', '--reader', reader, '--psam-reader', psamReader ?? '', '--platform', platform,
          '--institution', tut.institution.code, '--institution-name', tut.institution.name, '--region', tut.institution.region,
          '--key', tut.institution.key, '--sign-type', tut.institution.sign_type, '--date', date, '--kind', 'outpatient',
          '--items', JSON.stringify(items), '--presented-name', name, '--presented-id', id, '--account', '1'], pin ? `${pin}\n` : '');
        const shown = JSON.parse(done.stdout.trim().split('\n').at(-1) ?? '{}') as { outcome?: string; message?: string; receipt?: Record<string, string> };
        assert.ok(shown.outcome === 'settled' || shown.outcome === 'refused', `the reference terminal said:\n${done.stdout}${done.stderr}`);
        await pty.expect(/平台已收到 \d+ 条请求/);
        // The first time, the operator takes longer than cucumber's default step timeout (30 s, steps/support.ts).
        if (!typedSettlements.length && !refusals) await new Promise((r) => setTimeout(r, SLOW_OPERATOR_MS));
        if (shown.outcome === 'settled') {
          const r = shown.receipt!;
          // The first time, a second Enter by habit: it must not answer the next action.
          pty.type(`s ${r.setl_id} ${r.medfee_sumamt} ${r.hifp_pay} ${r.acct_pay} ${r.psn_cash_pay} ${r.balc}\r${typedSettlements.length ? '' : '\r'}`);
          if (!typedSettlements.length) extraEnter = true;
          typedSettlements.push(r.setl_id!);
        } else {
          refusals++;
          pty.type('\r');
          await pty.expect(/the message it showed: /);
          pty.type(`${shown.message}\r`);
        }
      }
      assert.equal(await pty.exit, 0, pty.shown.slice(-4000));
    } finally { pty.kill(); }
    assert.deepEqual(asked, [], 'every scenario asked the operator');
    const cert = JSON.parse(fs.readFileSync(path.join(reports, 'compliance.json'), 'utf8')) as Certificate;
    assert.deepEqual(Object.fromEntries(cert.rows.map((r) => [r.id, r.verdict])), Object.fromEntries(REQUIREMENTS.map((r) => [r.id, 'passed'])));
    // PLAT-08 compared what the operator typed with the platform's setlinfo, settlement by settlement.
    const receiptEvidence = cert.rows.find((r) => r.id === 'PLAT-08')!.scenarios.flatMap((s) => s.evidence).join('\n');
    assert.ok(typedSettlements.length >= 3, typedSettlements.join(', '));
    for (const setlId of typedSettlements) assert.match(receiptEvidence, new RegExp(`receipt = setlinfo of ${setlId} `));
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]);
    // What the operator typed is the evidence of the TUT's output, attached to the step.
    const outputs = files(path.join(reports, 'allure-results')).map((f) => fs.readFileSync(f, 'utf8')).filter((t) => t.startsWith('outcome ') && t.includes('操作员输入 / the operator typed:'));
    for (const setlId of typedSettlements) assert.ok(outputs.some((t) => t.startsWith('outcome settled') && t.includes(`> s ${setlId} `)), `no TUT output attachment with ${setlId}`);
    // The operator saw the PIN; nothing the run wrote holds it.
    assert.ok(pins.size > 0);
    for (const file of files(reports)) {
      const text = fs.readFileSync(file, 'latin1');
      for (const pin of pins) assert.doesNotMatch(text, new RegExp(`(^|\\D)${pin}(\\D|$)`), `${path.relative(reports, file)} holds the PIN`);
    }
  });
});
