// The reference terminal with exactly one rule broken: `node -r ./steps/register.js
// test/compliance/mutant-terminal.ts <mutant> settle …` (the arguments of `medcard terminal`).
// Each mutant is a decorator over one seam of the reference terminal (its card channel, its
// platform caller, the Terminal, or its report), never a change to the terminal itself, so
// the mutants test the judge and nothing else (test/compliance/mutants.test.ts).
import { makeMsgid, PlatformError, fmtFen, wireToFen } from '../../platform';
import type { CardChannel } from '../../rigs';
import { Terminal, type CardPresentation, type PlatformCaller, type VisitRequest } from '../../terminal';
import { runTerminal, type TerminalSeams } from '../../cli/terminal';

const SSSE_BY_NAME = (a: Uint8Array) => a[1] === 0xa4 && a[2] === 0x04 && a.length > 5;
const ok = Uint8Array.from([0x90, 0x00]);

/** A channel that answers some commands itself or rewrites them or their answers. */
function channelWith(c: CardChannel, transmit: (apdu: Uint8Array, send: (a: Uint8Array) => Promise<Uint8Array>) => Promise<Uint8Array>): CardChannel {
  return {
    get name() { return c.name; }, powerOn: () => c.powerOn(), powerOff: () => c.powerOff(), isCardPresent: () => c.isCardPresent(),
    onPresence: (l) => c.onPresence(l), close: () => c.close(), transmit: (apdu) => transmit(apdu, (a) => c.transmit(a)),
  };
}

function platformWith(p: PlatformCaller, call: PlatformCaller['call']): PlatformCaller { return { call: call.bind(p) }; }

let reversed = false;
const refusedByPlatform = new Set(['card-blocked', 'not-insured', 'employer-arrears', 'cross-region-unfiled', 'not-designated', 'platform-refused']);

const MUTANTS: Record<string, TerminalSeams> = {
  // SELECT SSSE is answered here, never sent; EFs are then selected by FID from the MF.
  'skip-select': { channel: (c) => channelWith(c, (a, send) => SSSE_BY_NAME(a) ? Promise.resolve(ok) : send(a[1] === 0xa4 && a[2] === 0x02 ? Uint8Array.from([a[0]!, 0xa4, 0x00, ...a.subarray(3)]) : a)) },
  // EXTERNAL AUTHENTICATE is answered 9000 here: the card never sees it, so EF06 stays closed (69 82).
  'skip-external-auth': { channel: (c) => channelWith(c, (a, send) => a[1] === 0x82 ? Promise.resolve(ok) : send(a)) },
  // VERIFY is answered 9000 here: the card never sees the PIN.
  'skip-pin': { channel: (c) => channelWith(c, (a, send) => a[1] === 0x20 && a.length > 5 ? Promise.resolve(ok) : send(a)) },
  // The expiry date read from EF05/06 becomes 2099-12-31: the terminal never notices expiry.
  'ignore-expiry': { channel: (c) => channelWith(c, async (a, send) => {
    const r = await send(a);
    return a[1] === 0xb2 && a[2] === 0x06 && r[0] === 0x06 ? Uint8Array.from([0x06, 0x04, 0x20, 0x99, 0x12, 0x31, ...r.subarray(6)]) : r;
  }) },
  // The holder is never compared with the person at the counter.
  'lent-card': { terminal: (o) => new (class extends Terminal {
    override readCard(p: CardPresentation, today: string, needPin: boolean) { return super.readCard({ ...p, presented: undefined }, today, needPin); }
  })(o) },
  // 9001 is never sent; a made-up sign_no goes with every message.
  'no-signin': { platform: (p) => platformWith(p, (infno, input, env) => infno === '9001' ? Promise.resolve({ signinoutb: { sign_no: '0000000000', sign_time: '' } } as never) : p.call(infno, input, env)) },
  // 2206 is never sent.
  'skip-presettle': { platform: (p) => platformWith(p, (infno, input, env) => infno === '2206' ? Promise.resolve({} as never) : p.call(infno, input, env)) },
  // The (pre-)settlement's total is one fen more than its fee lines.
  'fee-sum': { platform: (p) => platformWith(p, (infno, input, env) => (infno === '2206' || infno === '2207')
    ? p.call(infno, { ...input, medfee_sumamt: fmtFen(wireToFen((input as { medfee_sumamt: string }).medfee_sumamt) + 1) } as never, env) : p.call(infno, input, env)) },
  // 2203 goes out under the msgid 2201 used.
  'reuse-msgid': (() => {
    let last = '';
    return { platform: (p: PlatformCaller) => platformWith(p, (infno, input, env) => {
      if (infno === '2201') { last = makeMsgid(String(env?.fixmedins_code)); return p.call(infno, input, { ...env, msgid: last }); }
      return p.call(infno, input, infno === '2203' && last ? { ...env, msgid: last } : env);
    }) };
  })(),
  // After a lost answer, no 2601: the terminal reports a network failure instead.
  'no-reversal': { platform: (p) => platformWith(p, (infno, input, env) => infno === '2601' ? Promise.reject(new PlatformError(-1, '网络异常，结算结果未知', '2601')) : p.call(infno, input, env)) },
  // After a reversal and a clean retry, the whole visit is done once more.
  'double-settle': {
    platform: (p) => platformWith(p, (infno, input, env) => { if (infno === '2601') reversed = true; return p.call(infno, input, env); }),
    terminal: (o) => new (class extends Terminal {
      override async visit(req: VisitRequest) { const first = await super.visit(req); return reversed && first.settlement ? super.visit(req) : first; }
    })(o),
  },
  // A platform refusal is reported as a settlement.
  'refusal-as-success': { report: (r, o) => r.outcome === 'refused' && o?.refusal && refusedByPlatform.has(o.refusal.code) ? { outcome: 'settled', message: '结算成功' } : r },
  // A card reported lost is refused with a bare "transaction failed": the operator is not told why.
  'vague-refusal': { report: (r, o) => o?.refusal?.code === 'card-blocked' ? { ...r, message: '交易失败' } : r },
  // A card pulled mid-read (an error, or an answer without a status word) crashes the terminal: it exits telling the operator nothing.
  'crash-on-pull': { channel: (c) => channelWith(c, (a, send) => send(a).then((r) => (r.length < 2 ? process.exit(3) : r), () => process.exit(3))) },
  // The receipt shows one fen more from the account than the platform settled.
  'receipt-differs': { report: (r) => r.receipt ? { ...r, receipt: { ...r.receipt, acct_pay: fmtFen(wireToFen(r.receipt.acct_pay) + 1) } } : r },
};

export const MUTANT_NAMES = Object.keys(MUTANTS);

if (require.main === module) {
  const [mutant, ...argv] = process.argv.slice(2);
  const seams = MUTANTS[mutant ?? ''];
  if (!seams) {
    console.error(`mutant-terminal: say which mutant: ${MUTANT_NAMES.join(', ')}`);
    process.exit(2);
  }
  runTerminal(argv, seams).then((code) => { process.exitCode = code; }, (err: Error) => { console.error(`mutant-terminal: ${err.message}`); process.exitCode = 2; });
}
