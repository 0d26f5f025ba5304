// Driving the terminal under test. The command adapter runs the terminal file's command for
// the action, with its {placeholders} filled, the PIN written to its stdin as a PIN pad
// would give it, and reads what the terminal reports from the last JSON line of its
// output; the http adapter posts the same request to the terminal's automation endpoint;
// the operator adapter asks a person at the controlling terminal (compliance/operator.ts).
// What a terminal reports (compliance/README.md "What the terminal reports"):
//   {"outcome": "settled" | "refused" | "shown", "message": "...",
//    "receipt": {"setl_id", "medfee_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay", "balc"}}
import { spawn } from 'node:child_process';
import { fmtFen, wireToFen } from '../platform';
import { askOperator } from './operator';
import { ROOT } from './terminals';
import type { ActionRequest, ActionResult, ActOptions, ReceiptFigures, TerminalFile } from './types';

/** Every placeholder a command template may use, and its value for one request. */
export function placeholders(t: TerminalFile, r: ActionRequest): Record<string, string> {
  return {
    reader: r.reader, psam_reader: r.psamReader ?? '', platform_url: r.platformUrl, date: r.date, kind: r.kind,
    items: JSON.stringify(r.items.map((i) => ({ code: i.code, name: i.name, price: fmtFen(i.priceFen), count: i.count }))),
    total: fmtFen(r.totalFen), 'person.name': r.person.name, 'person.id': r.person.idNumber,
    'institution.code': t.institution.code, 'institution.name': t.institution.name, 'institution.region': t.institution.region,
    key: t.institution.key, sign_type: t.institution.signType, use_account: r.useAccount ? '1' : '0',
  };
}

export function fill(template: readonly string[], values: Record<string, string>): string[] {
  return template.map((word) => word.replace(/\{([a-z_.]+)\}/g, (m, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`unknown placeholder ${m} in a terminal command: known are ${Object.keys(values).map((k) => `{${k}}`).join(' ')}`);
    return values[name]!;
  }));
}

/** Ask the terminal under test to act; never throws for what the terminal does. */
export async function act(t: TerminalFile, r: ActionRequest, o: ActOptions = {}): Promise<ActionResult> {
  if (t.adapter === 'command') return runCommand(t, r);
  if (t.adapter === 'http') return postAction(t, r);
  return askOperator(t, r, o);
}

function runCommand(t: TerminalFile, r: ActionRequest): Promise<ActionResult> {
  const template = t.actions[r.action];
  if (!template) return Promise.resolve({ outcome: 'error', message: `terminal file ${t.name} has no actions.${r.action}`, output: '', ms: 0 });
  const [cmd, ...args] = fill(template, placeholders(t, r));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stdin.on('error', () => undefined); // a terminal that reads no PIN closes its stdin
    child.stdin.end(r.pin === undefined ? '' : `${r.pin}\n`);
    const timer = setTimeout(() => child.kill('SIGKILL'), t.timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); resolve({ outcome: 'error', message: `could not start ${cmd}: ${err.message}`, output: out, ms: Date.now() - t0 }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      if (signal) return resolve({ outcome: 'error', message: `the terminal gave no result within ${t.timeoutMs / 1000} s (killed)`, output: out, exitCode: code ?? undefined, ms });
      resolve({ ...reported(out), output: out, exitCode: code ?? undefined, ms });
    });
  });
}

async function postAction(t: TerminalFile, r: ActionRequest): Promise<ActionResult> {
  const t0 = Date.now();
  try {
    const res = await fetch(t.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: r.action, ...placeholders(t, r), pin: r.pin }), signal: AbortSignal.timeout(t.timeoutMs) });
    const text = await res.text();
    return { ...reported(text), output: text, ms: Date.now() - t0 };
  } catch (err) {
    return { outcome: 'error', message: `the terminal's endpoint ${t.url} did not answer: ${(err as Error).message}`, output: '', ms: Date.now() - t0 };
  }
}

/** The terminal's report: the last line of its output that is a JSON object. */
export function reported(output: string): Pick<ActionResult, 'outcome' | 'message' | 'receipt'> {
  const lines = output.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.trim().startsWith('{')) continue;
    let v: Record<string, unknown>;
    try { v = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
    const outcome = v.outcome;
    if (outcome !== 'settled' && outcome !== 'refused' && outcome !== 'shown') return { outcome: 'error', message: `the terminal reported outcome ${JSON.stringify(outcome)}: expected settled, refused or shown` };
    return { outcome, message: typeof v.message === 'string' ? v.message : undefined, receipt: receiptOf(v.receipt) };
  }
  return { outcome: 'error', message: 'the terminal reported nothing: no JSON line in its output' };
}

function receiptOf(r: unknown): ReceiptFigures | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const o = r as Record<string, unknown>;
  const fen = (k: string) => {
    const v = o[k];
    if (v === undefined || v === null || v === '') return undefined;
    try { return wireToFen(v as string); } catch { return Number.NaN; }
  };
  return { setlId: typeof o.setl_id === 'string' ? o.setl_id : undefined, total: fen('medfee_sumamt'), fund: fen('hifp_pay'), account: fen('acct_pay'), cash: fen('psn_cash_pay'), balance: fen('balc') };
}
