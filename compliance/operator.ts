// The operator adapter (compliance/README.md "The operator adapter"): a person drives the
// terminal under test. For each action the harness tells the operator at their terminal what
// to do, then waits for them to type what the terminal under test showed; that becomes the
// action's result.
//
// Where it talks: the controlling terminal (/dev/tty), not stdout, which cucumber owns. So
// `medcard certify --terminal operator` must run in a terminal; without one (cron, CI,
// setsid) every action fails at once with outcome error and a message saying so.
//
// What the operator sees, in Chinese and English: what to do ("请在收费窗口为 张三 结算门诊费用
// 120.00 元（读卡器 Virtual PCD 00 00，平台 http://127.0.0.1:…）"), the person at the counter,
// the institution the terminal must be logged in as, the business date, the fee lines, and
// the PIN to key in on the PIN pad. The PIN is shown there only: what the operator types is
// kept with the PIN masked, and the harness never writes the prompt anywhere else. While it
// waits it says how many platform requests the recorder has seen (a line each time the count
// changes), so the operator can tell whether their terminal reached our platform at all.
//
// What the operator types (one line, then Enter; the whole exchange within timeout_s):
//   s <setl_id> <total> <fund> <account> <cash> <balance>   settled: the receipt's figures in
//                                                            yuan, e.g. s 5000001 120.00 84.00 36.00 0.00 464.00
//   Enter alone, then the message the terminal showed       refused (r <message> on one line does the same)
//   b <balance>                                              query-balance: the balance shown
// A line that does not parse is explained and asked again. No answer in time is outcome
// error "the operator did not confirm within N s"; so is the terminal closing (Ctrl-D).
import fs from 'node:fs';
import readline from 'node:readline';
import tty from 'node:tty';
import { fmtFen, MoneyError, wireToFen } from '../platform';
import type { ActionRequest, ActionResult, ActOptions, ReceiptFigures, TerminalFile } from './types';

/** The receipt line's figures after `s <setl_id>`, in the order the operator types them. */
const RECEIPT_FIELDS: ReadonlyArray<{ key: Exclude<keyof ReceiptFigures, 'setlId'>; zh: string; en: string }> = [
  { key: 'total', zh: '总额', en: 'total' }, { key: 'fund', zh: '统筹', en: 'fund' }, { key: 'account', zh: '个人账户', en: 'account' },
  { key: 'cash', zh: '现金', en: 'cash' }, { key: 'balance', zh: '余额', en: 'balance' },
];
/** How often the recorder's count is looked at while the operator works. */
const PROGRESS_EVERY_MS = 500;

type Reported = Pick<ActionResult, 'outcome' | 'message' | 'receipt'>;
/** One typed line: a result, "ask for the refusal's message next", or a mistake to explain. */
export type Answer = { result: Reported } | { askMessage: true } | { retry: string };

/** What one line the operator typed means for `action` (the grammar at the top of this file). */
export function parseAnswer(action: ActionRequest['action'], line: string): Answer {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [verb = '', ...rest] = words;
  const v = verb.toLowerCase();
  if (!words.length) return { askMessage: true };
  if (v === 'r' || v === 'refused') return rest.length ? { result: { outcome: 'refused', message: line.trim().slice(verb.length).trim() } } : { askMessage: true };
  if (action === 'settle' && (v === 's' || v === 'settled')) {
    if (rest.length !== 1 + RECEIPT_FIELDS.length) return { retry: `结算成功应输入 ${1 + RECEIPT_FIELDS.length} 项，实际 ${rest.length} 项 / settled needs setl_id and ${RECEIPT_FIELDS.length} amounts, got ${rest.length} item(s): s <setl_id> ${RECEIPT_FIELDS.map((f) => `<${f.en}>`).join(' ')}` };
    const [setlId, ...amounts] = rest as [string, ...string[]];
    const receipt: ReceiptFigures = { setlId };
    for (const [i, f] of RECEIPT_FIELDS.entries()) {
      const fen = amountOf(amounts[i]!);
      if (typeof fen === 'string') return { retry: `${f.zh} / ${f.en} "${amounts[i]}": ${fen}` };
      receipt[f.key] = fen;
    }
    return { result: { outcome: 'settled', message: '操作员确认结算成功 / the operator saw it settled', receipt } };
  }
  if (action === 'query-balance' && (v === 'b' || v === 'balance')) {
    const fen = rest.length === 1 ? amountOf(rest[0]!) : '应输入一个金额 / one amount, e.g. b 464.00';
    if (typeof fen === 'string') return { retry: `余额 / balance: ${fen}` };
    return { result: { outcome: 'shown', message: `个人账户余额 / balance ${fmtFen(fen)}`, receipt: { balance: fen } } };
  }
  const expected = action === 'settle' ? 's <setl_id> <total> <fund> <account> <cash> <balance>' : 'b <balance>';
  return { retry: `看不懂 "${verb}" / not understood: type ${expected}, or Enter alone for a refusal` };
}

/** Yuan as printed on a receipt → fen, or why not. */
function amountOf(text: string): number | string {
  try { return wireToFen(text); } catch (err) {
    if (err instanceof MoneyError) return `${err.message} / not an amount in yuan, e.g. 84.00`;
    throw err;
  }
}

/** The operator's terminal: lines in, text out. */
interface OperatorTty {
  write(text: string): void;
  nextLine(deadline: number): Promise<string | 'timeout' | 'closed'>;
  /** Forget lines typed while no action was asking (a second Enter, say): they must not answer the next one. */
  dropTypedAhead(): number;
  /** The operator ended the input (Ctrl-D): a new action opens the terminal again. */
  readonly ended: boolean;
}

/** Kept from one action to the next, so that what is typed between two actions is read, and then dropped. */
let kept: OperatorTty | undefined;

/** /dev/tty, or why it cannot be opened. */
function operatorTty(): OperatorTty | string {
  if (kept && !kept.ended) return kept;
  let fdIn: number;
  try { fdIn = fs.openSync('/dev/tty', 'r'); } catch (err) { return `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim(); }
  const fdOut = fs.openSync('/dev/tty', 'w');
  // An async tty stream, not a blocking read: the recorder serves the terminal under test
  // from this same event loop while the operator works. Unref'd: it never keeps the run alive.
  const input = new tty.ReadStream(fdIn);
  input.unref();
  const lines = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  const queue: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  lines.on('line', (l) => { queue.push(l); wake?.(); });
  lines.on('close', () => {
    ended = true;
    input.destroy();
    for (const fd of [fdIn, fdOut]) try { fs.closeSync(fd); } catch { /* already closed with its stream */ }
    wake?.();
  });
  kept = {
    get ended() { return ended; },
    write: (text) => { if (!ended) fs.writeSync(fdOut, text); },
    dropTypedAhead: () => queue.splice(0).length,
    async nextLine(deadline) {
      while (!queue.length && !ended) {
        const left = deadline - Date.now();
        if (left <= 0) return 'timeout';
        await new Promise<void>((resolve) => { const timer = setTimeout(resolve, left); wake = () => { clearTimeout(timer); resolve(); }; });
        wake = undefined;
      }
      return queue.length ? queue.shift()! : 'closed';
    },
  };
  return kept;
}

/** What to do, for the operator's eyes only (it carries the PIN). */
function instruction(t: TerminalFile, r: ActionRequest): string {
  const money = fmtFen(r.totalFen);
  const where = { zh: `（读卡器 ${r.reader}${r.psamReader ? `，PSAM 卡在 ${r.psamReader}` : ''}，平台 ${r.platformUrl}）`, en: ` (reader ${r.reader}${r.psamReader ? `, the PSAM in ${r.psamReader}` : ''}, platform ${r.platformUrl})` };
  const what = r.action === 'query-balance'
    ? { zh: `请在收费窗口为 ${r.person.name} 查询个人账户余额${where.zh}`, en: `At the cashier's terminal, look up the personal account balance of ${r.person.name}${where.en}` }
    : r.kind === 'pharmacy'
      ? { zh: `请在收费窗口为 ${r.person.name} 结算药店购药费用 ${money} 元${where.zh}`, en: `At the cashier's terminal, settle a pharmacy purchase of CNY ${money} for ${r.person.name}${where.en}` }
      : { zh: `请在收费窗口为 ${r.person.name} 结算门诊费用 ${money} 元${where.zh}`, en: `At the cashier's terminal, settle an outpatient visit of CNY ${money} for ${r.person.name}${where.en}` };
  const out = [
    '\x07═══ medcard certify：请操作受测终端 / please operate the terminal under test ═══', what.zh, what.en,
    `  就诊人 / person:       ${r.person.name}${r.person.idNumber ? `，证件号码 / ID ${r.person.idNumber}` : ''}`,
    `  机构 / institution:    ${t.institution.code} ${t.institution.name}`,
    `  业务日期 / date:       ${r.date}`,
  ];
  if (r.action === 'settle') {
    out.push('  费用明细 / items:', ...r.items.map((i, n) => `    ${n + 1}. ${i.code}  ${i.name}  ${fmtFen(i.priceFen)} × ${i.count}`));
    out.push(r.useAccount ? `  个人账户 / account:    使用 / used — 在密码键盘输入密码 / key in the PIN on the PIN pad: ${r.pin ?? '（无 / none）'}` : '  个人账户 / account:    不使用 / not used');
  } else if (r.pin !== undefined) {
    out.push(`  密码 / PIN:            ${r.pin}（在密码键盘输入 / on the PIN pad）`);
  }
  out.push(`完成后输入终端显示的结果（${t.timeoutMs / 1000} 秒内）/ then type what the terminal showed (within ${t.timeoutMs / 1000} s):`);
  out.push(r.action === 'settle'
    ? '  结算成功 settled:  s <结算ID setl_id> <总额 total> <统筹 fund> <个人账户 account> <现金 cash> <余额 balance>\n                     例 e.g. s 5000001 120.00 84.00 36.00 0.00 464.00'
    : '  查到余额 shown:    b <余额 balance>，例 e.g. b 464.00');
  out.push('  被拒绝 refused:    直接回车，再输入终端的提示 / Enter alone, then the message it showed');
  return `${out.join('\n')}\n`;
}

/** Ask the operator to act and wait for what they saw; never throws for what they do. */
export async function askOperator(t: TerminalFile, r: ActionRequest, o: ActOptions = {}): Promise<ActionResult> {
  const t0 = Date.now();
  const term = operatorTty();
  if (typeof term === 'string') return { outcome: 'error', message: `the operator adapter needs a terminal (操作员模式需要终端): /dev/tty cannot be opened (${term}); run medcard certify from a terminal`, output: '', ms: 0 };
  const dropped = term.dropTypedAhead();
  const typed: string[] = [];
  const mask = (s: string) => (r.pin ? s.replaceAll(r.pin, '******') : s);
  const done = (result: Reported): ActionResult => ({
    ...result, message: result.message === undefined ? undefined : mask(result.message),
    output: mask(`操作员输入 / the operator typed:\n${typed.map((l) => `  > ${l}`).join('\n')}`), ms: Date.now() - t0,
  });
  let prompt = '> ';
  let seen = o.platformRequests?.() ?? 0;
  const progress = o.platformRequests && setInterval(() => {
    const now = o.platformRequests!();
    // On a line of its own, then the prompt again: what the operator has typed so far stays in the tty's line buffer.
    if (now !== seen) term.write(`\n  · 平台已收到 ${now} 条请求 / the platform has seen ${now} request(s)\n${prompt}`);
    seen = now;
  }, PROGRESS_EVERY_MS);
  const deadline = t0 + t.timeoutMs;
  const read = async (ask: string): Promise<string | ActionResult> => {
    prompt = ask;
    term.write(ask);
    const line = await term.nextLine(deadline);
    if (line === 'timeout') {
      term.write(`\n超时：未在 ${t.timeoutMs / 1000} 秒内确认 / timed out\n`);
      return done({ outcome: 'error', message: `the operator did not confirm within ${t.timeoutMs / 1000} s` });
    }
    if (line === 'closed') return done({ outcome: 'error', message: 'the operator\'s terminal closed (end of input) before they confirmed' });
    typed.push(line);
    return line;
  };
  try {
    term.write(instruction(t, r));
    if (dropped) term.write(`  （已忽略提示出现前输入的 ${dropped} 行 / ignored ${dropped} line(s) typed before these instructions）\n`);
    for (;;) {
      const line = await read('> ');
      if (typeof line !== 'string') return line;
      const answer = parseAnswer(r.action, line);
      if ('result' in answer) return done(answer.result);
      if ('retry' in answer) { term.write(`  ✗ ${answer.retry}\n`); continue; }
      const message = await read('终端显示的提示 / the message it showed: ');
      if (typeof message !== 'string') return message;
      return done({ outcome: 'refused', message: message.trim() || undefined });
    }
  } finally {
    if (progress) clearInterval(progress);
  }
}
