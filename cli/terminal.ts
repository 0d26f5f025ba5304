// `medcard terminal <action>`: the reference terminal as a program of its own, as a vendor's
// terminal is one: it reads the card in a PC/SC reader, talks to the platform at a URL as
// its institution (signed with its key, signed in), takes the PIN from stdin as from a PIN
// pad, and prints what it did as one JSON line (compliance/README.md "What the terminal
// reports"). `terminals/reference.yaml` drives it for the certification's self-test.
import type { CardChannel } from '../rigs';
import { EvoucherClient, fmtFen, parseYuan, PlatformClient, PlatformError } from '../platform';
import { Terminal, type Certificate, type PlatformCaller, type TerminalOptions, type VisitOutcome, type VisitRequest } from '../terminal';
import { parseOptions, UsageError } from './args';

const HELP = `usage: medcard terminal settle --reader <name> --platform <url> --institution <code> --key <key> --date <YYYY-MM-DD> --items <json> [options]
       medcard terminal settle --certificate evoucher|id-card [--id-number <n>] --platform <url> --institution <code> --key <key> --date <YYYY-MM-DD> --items <json>
       medcard terminal query-balance --reader <name> --platform <url> --institution <code> --key <key> --date <YYYY-MM-DD>

The reference terminal as a separate program. The PIN is read from stdin (one line), as from a PIN pad.

  --reader <name>            the PC/SC reader holding the card, e.g. "Virtual PCD 00 00"
  --psam-reader <name>       the reader holding the terminal's PSAM, for third-generation cards
                             (e.g. "Virtual PCD 00 01"); empty or absent: no PSAM
  --platform <url>           the platform (engine) base URL, e.g. http://127.0.0.1:8080
  --institution <code>       the institution's fixmedins_code; --institution-name, --region (default 500000)
  --key <key>                the institution's signing key; --sign-type SM3 | SHA256 (default SM3)
  --date <YYYY-MM-DD>        the business date
  --kind outpatient|pharmacy the visit (default outpatient)
  --items <json>             [{"code":"…","name":"…","price":"12.00","count":1}, …]
  --presented-name, --presented-id   the person at the counter (checked against the card's holder)
  --account 1|0              let the personal account pay (default 1; the PIN is then verified)
  --certificate card|evoucher|id-card   what the person shows (default card): the e-voucher is read by the
                             local e-voucher component at --evoucher-url (default the --platform URL), the ID
                             card's number is typed (--id-number); neither needs --reader or a PIN

Prints one JSON line: {"outcome":"settled"|"refused"|"shown","message":…,"receipt":{setl_id, mdtrt_cert_type, medfee_sumamt, hifp_pay, acct_pay, psn_cash_pay, balc}}`;

/** Where a test puts a decorator over the terminal's seams (test/compliance/mutant-terminal.ts). */
export interface TerminalSeams {
  channel?(c: CardChannel): CardChannel;
  platform?(p: PlatformCaller): PlatformCaller;
  terminal?(o: TerminalOptions): Terminal;
  report?(r: Report, outcome?: VisitOutcome): Report;
}

export interface Report { outcome: 'settled' | 'refused' | 'shown'; message?: string; receipt?: Record<string, string>; person?: Record<string, string> }

export function run(argv: string[]): Promise<number> { return runTerminal(argv); }

export async function runTerminal(argv: string[], seams: TerminalSeams = {}): Promise<number> {
  const parsed = parseOptions(argv, {
    reader: { type: 'string' }, 'psam-reader': { type: 'string', default: '' }, platform: { type: 'string' }, institution: { type: 'string' }, 'institution-name': { type: 'string', default: '' },
    region: { type: 'string', default: '500000' }, key: { type: 'string' }, 'sign-type': { type: 'string', default: 'SM3' }, date: { type: 'string' },
    kind: { type: 'string', default: 'outpatient' }, items: { type: 'string', default: '[]' }, 'presented-name': { type: 'string' }, 'presented-id': { type: 'string' },
    account: { type: 'string', default: '1' }, certificate: { type: 'string', default: 'card' }, 'id-number': { type: 'string' }, 'evoucher-url': { type: 'string' },
  }, HELP, 1);
  if (!parsed) return 0;
  const v = parsed.values;
  const [action] = parsed.positionals;
  if (action !== 'settle' && action !== 'query-balance') throw new UsageError({ zh: `请说明要做什么：settle 或 query-balance${action ? `（而不是 "${action}"）` : ''}`, en: `say what to do: settle or query-balance${action ? ` (not "${action}")` : ''}` }, HELP);
  const byCard = v.certificate === 'card' || action === 'query-balance';
  if (!['card', 'evoucher', 'id-card'].includes(String(v.certificate))) throw new UsageError({ zh: `--certificate 只能是 card、evoucher 或 id-card，而不是 "${v.certificate}"`, en: `--certificate is card, evoucher or id-card, not "${v.certificate}"` });
  if (v.certificate === 'id-card' && !v['id-number']) throw new UsageError({ zh: '--certificate id-card 需要 --id-number', en: '--certificate id-card needs --id-number' }, HELP);
  for (const k of [...(byCard ? ['reader'] as const : []), 'platform', 'institution', 'key', 'date'] as const) if (!v[k]) throw new UsageError({ zh: `必须给出 --${k}`, en: `--${k} is required` }, HELP);
  if (v['sign-type'] !== 'SM3' && v['sign-type'] !== 'SHA256') throw new UsageError({ zh: `--sign-type 只能是 SM3 或 SHA256，而不是 "${v['sign-type']}"`, en: `--sign-type is SM3 or SHA256, not "${v['sign-type']}"` });
  if (v.kind !== 'outpatient' && v.kind !== 'pharmacy') throw new UsageError({ zh: `--kind 只能是 outpatient 或 pharmacy，而不是 "${v.kind}"`, en: `--kind is outpatient or pharmacy, not "${v.kind}"` });
  const items = parseItems(String(v.items));
  const date = String(v.date);
  const { PcscChannel } = require('../rigs') as typeof import('../rigs');
  const reader = byCard ? new PcscChannel(String(v.reader)) : undefined;
  const channel = reader && (seams.channel ? seams.channel(reader) : reader);
  const psamReader = byCard && v['psam-reader'] ? new PcscChannel(String(v['psam-reader'])) : undefined;
  const client = new PlatformClient({ url: String(v.platform), fixmedinsCode: String(v.institution), fixmedinsName: String(v['institution-name']), regionCode: String(v.region), key: String(v.key), signType: v['sign-type'], resendOnReset: false });
  client.clock.set(`${date} 10:00:00`);
  const platform: PlatformCaller = seams.platform ? seams.platform(client) : client;
  const opts: TerminalOptions = {
    platform, institution: { code: String(v.institution), name: String(v['institution-name']), region: String(v.region) },
    evoucher: new EvoucherClient({ url: String(v['evoucher-url'] ?? v.platform), orgId: String(v.institution) }),
    ...(psamReader ? { psam: psamReader } : {}),
  };
  const terminal = seams.terminal ? seams.terminal(opts) : new Terminal(opts);
  const say = (r: Report, o?: VisitOutcome) => { console.log(JSON.stringify(seams.report ? seams.report(r, o) : r)); return 0; };
  try {
    try {
      await platform.call('9001', {}).then((out) => { client.signNo = out.signinoutb.sign_no; });
    } catch (err) {
      if (err instanceof PlatformError) return say({ outcome: 'refused', message: `签到失败 / sign-in refused: ${err.errMsg}` });
      throw err;
    }
    if (action === 'query-balance') {
      const { person } = await terminal.queryBalance({ channel: channel! }, date);
      return say({ outcome: 'shown', message: `个人账户余额 / balance ${fmtFen(person.balanceFen ?? 0)}`, person: { psn_no: person.psnNo, balc: fmtFen(person.balanceFen ?? 0) } });
    }
    let shown: Pick<VisitRequest, 'card' | 'certificate'>;
    if (channel) {
      const pin = (await readStdin()).split('\n')[0]?.trim() || undefined;
      const presented = v['presented-id'] || v['presented-name'] ? { idNumber: v['presented-id'], name: v['presented-name'] } : undefined;
      shown = { card: { channel, pin, presented } };
    } else {
      const certificate: Certificate = v.certificate === 'evoucher' ? { type: 'evoucher' } : { type: 'id-card', idNumber: String(v['id-number']) };
      shown = { certificate };
    }
    const outcome = await terminal.visit({ kind: v.kind, date, items, ...shown, useAccount: v.account !== '0' });
    if (outcome.refusal || !outcome.settlement) return say({ outcome: 'refused', message: outcome.refusal?.message ?? '未结算 / not settled' }, outcome);
    const s = outcome.settlement;
    return say({ outcome: 'settled', message: '结算成功 / settled', receipt: { setl_id: s.setlId, mdtrt_cert_type: outcome.receipt.certificate ?? '', medfee_sumamt: fmtFen(s.total), hifp_pay: fmtFen(s.fund), acct_pay: fmtFen(s.account), psn_cash_pay: fmtFen(s.cash), balc: fmtFen(s.balance) } }, outcome);
  } finally {
    await reader?.close().catch(() => undefined);
    await psamReader?.close().catch(() => undefined);
  }
}

function parseItems(text: string) {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new UsageError({ zh: `--items 不是 JSON：${text.slice(0, 80)}`, en: `--items is not JSON: ${text.slice(0, 80)}` }); }
  if (!Array.isArray(raw)) throw new UsageError({ zh: '--items 应为 JSON 列表，每项 {code, name, price, count}', en: '--items is a JSON list of {code, name, price, count}' });
  return raw.map((i: { code?: unknown; name?: unknown; price?: unknown; count?: unknown }, n) => {
    if (typeof i?.code !== 'string' || typeof i.price !== 'string') throw new UsageError({ zh: `--items[${n}] 需要 "code" 和 "price"（以元为单位的小数字符串）`, en: `--items[${n}] needs "code" and "price" (a decimal yuan string)` });
    return { code: i.code, name: typeof i.name === 'string' ? i.name : i.code, priceFen: parseYuan(i.price), count: Number(i.count ?? 1) };
  });
}

function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => { s += c; });
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', () => resolve(s));
  });
}
