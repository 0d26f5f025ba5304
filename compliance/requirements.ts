// The judge: the requirements a terminal under test must meet, each with its id, one line
// in Chinese and English, its source, and the rule that decides it from the evidence of
// one action (the card's traffic, the platform's traffic, what the terminal reported, the
// ledger). A requirement the action did not exercise is not-applicable, never passed.
import type { TraceEntry } from '../emulator';
import { INPUT_NESTS, wireToFen } from '../platform';
import { SSSE_AID } from '../spec';
import type { Evidence, PlatformExchange, Requirement, VerdictValue } from './types';

type Judged = { verdict: VerdictValue; evidence: string[] };
const pass = (...evidence: string[]): Judged => ({ verdict: 'passed', evidence });
const fail = (...evidence: string[]): Judged => ({ verdict: 'failed', evidence });
const na = (why: string): Judged => ({ verdict: 'not-applicable', evidence: [why] });

const SSSE_SELECT = `00A40400${SSSE_AID.length.toString(16).padStart(2, '0')}${Buffer.from(SSSE_AID).toString('hex')}`.toUpperCase();
const ins = (e: TraceEntry) => e.command.slice(2, 4);
const ok = (e: TraceEntry) => e.sw === '9000';
const card = (e: TraceEntry, i: number) => `card #${i + 1} ${e.command.slice(0, 40)} → ${e.sw} (${e.name} ${e.detail})`;
const SESSION = new Set(['9001', '9002']);
const infno = (x: PlatformExchange) => String(x.request?.infno ?? '?');
const NESTS: ReadonlySet<string> = new Set(INPUT_NESTS);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A message's input, flat or in the platform's nested form: the judge reads both as the engine does. */
function input(x: PlatformExchange): Record<string, unknown> {
  const raw = x.request?.input;
  if (!isObject(raw)) return {};
  const keys = Object.keys(raw);
  const nest = keys.find((k) => NESTS.has(k) && isObject(raw[k]));
  return nest && keys.every((k) => k === nest || k === 'diseinfo') ? { ...(raw[nest] as Record<string, unknown>), ...(raw.diseinfo ? { diseinfo: raw.diseinfo } : {}) } : raw;
}
const business = (e: Evidence) => e.platform.filter((x) => !SESSION.has(infno(x)));
const line = (x: PlatformExchange) => {
  const r = x.response;
  const answer = r ? `infcode ${String(r.infcode)}${r.err_msg ? ` ${String(r.err_msg).slice(0, 80)}` : ''}` : x.fault === 'lost' ? 'answer lost (cut by the harness)' : 'no answer';
  return `platform +${x.at} ms ${infno(x)} msgid ${String(x.request?.msgid ?? '')} → ${answer}`;
};
const succeeded = (x: PlatformExchange) => x.response?.infcode === 0;
/** The settlement answers the terminal received (2207 / 2304 with infcode 0). */
const settledAnswers = (e: Evidence) => e.platform.filter((x) => (infno(x) === '2207' || infno(x) === '2304') && succeeded(x));

/** Records each flow reads: EF05 01 (card identification code), 07 (card number); EF06 08 (social security number), 09 (name). */
const NEEDED_RECORDS: Array<{ file: string; tag: string; what: string }> = [
  { file: 'EF05', tag: '01', what: 'EF05/01 卡识别码 card identification code' }, { file: 'EF05', tag: '07', what: 'EF05/07 卡号 card number' },
  { file: 'EF06', tag: '08', what: 'EF06/08 社会保障号码 social security number' }, { file: 'EF06', tag: '09', what: 'EF06/09 姓名 name' },
];

/** The records read successfully, as `EF05/07`, following the SELECTs of the trace. */
function recordsRead(trace: readonly TraceEntry[]): Set<string> {
  const read = new Set<string>();
  let file = '';
  for (const e of trace) {
    if (ins(e) === 'A4' && ok(e) && e.command.length >= 14) {
      const fid = e.command.slice(10, 14);
      if (fid === 'EF05' || fid === 'EF06') file = fid;
    }
    if (ins(e) === 'B2' && ok(e)) read.add(`${file}/${e.command.slice(4, 6)}`);
  }
  return read;
}

export const REQUIREMENTS: readonly Requirement[] = [
  {
    id: 'CARD-01', source: 'card-spec.md §2, §4',
    zh: '读卡前先选择社会保障应用（SELECT SSSE），再读记录', en: 'the card is read only after SELECT SSSE',
    judge(e) {
      // The first command that reaches a file: SELECT of an EF by FID, READ RECORD, READ BINARY.
      const fileCommand = (x: TraceEntry) => ins(x) === 'B2' || ins(x) === 'B0' || (ins(x) === 'A4' && x.command.slice(4, 6) !== '04');
      const first = e.card.findIndex(fileCommand);
      if (first < 0) return na('the terminal reached no file on the card');
      // 61xx: selected, the FCI waiting for GET RESPONSE (T=0).
      const select = e.card.findIndex((x) => x.command.startsWith(SSSE_SELECT) && (ok(x) || x.sw.startsWith('61')));
      if (select < 0 || select > first) return fail(`${card(e.card[first]!, first)} without SELECT SSSE before it`);
      return pass(card(e.card[select]!, select), card(e.card[first]!, first));
    },
  },
  {
    id: 'CARD-02', source: 'card-spec.md §3',
    zh: '读取业务所需的记录（卡识别码、卡号、社会保障号码、姓名）后再查询人员', en: 'the records the flow needs are read before the person is looked up',
    judge(e) {
      const lookup = e.platform.find((x) => infno(x) === '1101' && input(x).mdtrt_cert_type === '03');
      if (!lookup) return na('no 1101 by social security card');
      const read = recordsRead(e.card);
      const missing = NEEDED_RECORDS.filter((r) => !read.has(`${r.file}/${r.tag}`));
      return missing.length ? fail(`1101 sent, but not read: ${missing.map((m) => m.what).join('; ')}`) : pass(`read ${NEEDED_RECORDS.map((r) => `${r.file}/${r.tag}`).join(', ')} before ${line(lookup)}`);
    },
  },
  {
    id: 'CARD-03', source: 'card-spec.md §4; terminal/README.md (PIN for the account)',
    zh: '使用个人账户支付前须校验密码（VERIFY 成功）', en: 'the PIN is verified on the card before the personal account pays',
    judge(e) {
      const settle = e.platform.find((x) => (infno(x) === '2207' || infno(x) === '2304') && input(x).acct_used_flag === '1');
      const verifies = e.card.map((x, i) => [x, i] as const).filter(([x]) => ins(x) === '20' && x.command.length > 10);
      if (!settle) {
        const failed = verifies.find(([x]) => !ok(x));
        return e.setup.pinRequired && failed ? pass(`${card(failed[0], failed[1])}: no settlement with the account followed`) : na('no settlement with the personal account');
      }
      const good = verifies.find(([x]) => ok(x));
      return good ? pass(card(good[0], good[1]), line(settle)) : fail(`${line(settle)} with acct_used_flag 1, but no successful VERIFY on the card${verifies.length ? ` (${verifies.map(([x, i]) => card(x, i)).join('; ')})` : ''}`);
    },
  },
  {
    id: 'CARD-04', source: 'domain.md §7; card-spec.md §3 (EF05/06 expiry)',
    zh: '过期的卡在任何业务交易之前被拒绝', en: 'an expired card is refused before any business transaction',
    judge(e) {
      if (e.setup.cardExpiry >= e.request.date) return na(`the card is valid until ${e.setup.cardExpiry}`);
      const sent = business(e);
      if (sent.length) return fail(`the card expired on ${e.setup.cardExpiry}, yet: ${line(sent[0]!)}`);
      return e.result.outcome === 'refused' ? pass(`no business transaction; the terminal refused: ${e.result.message ?? ''}`) : fail(`no business transaction, but the terminal reported ${e.result.outcome}`);
    },
  },
  {
    id: 'CARD-05', source: 'domain.md §7 (the card is the holder\'s only)',
    zh: '持卡人与就诊人不符（借用他人的卡）时在结算前拒绝', en: 'a card presented by someone other than its holder is refused before any settlement',
    judge(e) {
      if (e.setup.cardHolder.idNumber === e.request.person.idNumber) return na('the card\'s holder is the person at the counter');
      const settling = e.platform.filter((x) => ['2201', '2206', '2207', '2401', '2303', '2304'].includes(infno(x)));
      if (settling.length) return fail(`${e.setup.cardHolder.name}'s card presented by ${e.request.person.name}, yet: ${line(settling[0]!)}`);
      return e.result.outcome === 'refused' ? pass(`no registration or settlement; refused: ${e.result.message ?? ''}`) : fail(`no settlement sent, but the terminal reported ${e.result.outcome}`);
    },
  },
  {
    id: 'CARD-06', source: 'domain.md §7 (a lost card is refused); platform-api.md §2 (1101)',
    zh: '已挂失的卡不能结算，并告知操作员卡已挂失', en: 'a card reported lost settles nothing, and the operator is told it is lost',
    judge(e) {
      if (!e.setup.cardLost) return na('the card is not reported lost');
      const settled = settledAnswers(e).filter((x) => input(x).mdtrt_cert_type === '03');
      if (settled.length || e.ledger.after > e.ledger.before) return fail(`the card is reported lost, yet it settled: ${settled.map(line).join('; ') || `${e.ledger.after - e.ledger.before} new settlement(s) in force`}`);
      // Only the platform knows the card is lost: a terminal it never told cannot say so.
      const told = e.platform.find((x) => x.response && x.response.infcode !== 0 && /挂失/.test(String(x.response.err_msg ?? '')));
      if (!told) return na('the platform never answered that the card is lost: the terminal did not get that far');
      if (e.result.outcome !== 'refused') return fail(`nothing settled, but the terminal reported ${e.result.outcome}${e.result.message ? `: ${e.result.message}` : ''}`);
      return /挂失|lost/i.test(e.result.message ?? '') ? pass(`${line(told)}; refused: ${e.result.message}`) : fail(`${line(told)}, but the operator is not told the card is lost: "${e.result.message ?? ''}"`);
    },
  },
  {
    id: 'CARD-07', source: 'card-spec.md §4 (a command to an absent card fails); domain.md §8',
    zh: '读卡途中卡被拔出时不结算，并告知操作员', en: 'when the card is pulled while it is read, nothing is settled and the operator is told',
    judge(e) {
      if (!e.setup.cardPulled) return na('the card stayed in the reader (or the terminal read no record, after which it would have been pulled)');
      const settled = settledAnswers(e);
      if (settled.length || e.ledger.after > e.ledger.before) return fail(`the card was pulled after ${card(e.card.at(-1)!, e.card.length - 1)}, yet: ${settled.map(line).join('; ') || 'a new settlement is in force'}`);
      if (e.result.outcome !== 'refused') return fail(`nothing settled, but the terminal ${e.result.outcome === 'error' ? `reported nothing the operator could read (${e.result.message ?? ''})` : `reported ${e.result.outcome}`}`);
      return pass(`pulled after ${card(e.card.at(-1)!, e.card.length - 1)}; no settlement; the terminal showed: ${e.result.message ?? ''}`);
    },
  },
  {
    id: 'CARD-08', source: 'card-spec.md §6, §7 (a 3.x card is read after external authentication through the PSAM)',
    zh: '第三代社保卡：经PSAM外部认证成功后才读取持卡人信息（EF06）', en: 'a third-generation card: the holder data (EF06) is read only after a successful external authentication through the PSAM',
    judge(e) {
      if (e.setup.cardGeneration !== 3) return na('a second-generation card: no external authentication');
      const auth = e.card.findIndex((x) => ins(x) === '82' && ok(x));
      const holder = e.card.findIndex((x) => ins(x) === 'B2' && x.detail.startsWith('EF06'));
      const tries = e.card.map((x, i) => [x, i] as const).filter(([x]) => ins(x) === '82');
      if (holder >= 0 && (auth < 0 || holder < auth)) return fail(`${card(e.card[holder]!, holder)} before a successful EXTERNAL AUTHENTICATE`);
      // Only a terminal that read EF05 knew the card is 3.x: one that stopped before is judged by CARD-01.
      const knew = e.card.some((x) => ins(x) === 'B2' && ok(x) && x.detail.startsWith('EF05'));
      if (auth < 0 && !tries.length && !knew) return na('the terminal read nothing of EF05, so it never learned the card is a 3.x card');
      if (auth < 0) return fail(`no successful EXTERNAL AUTHENTICATE${tries.length ? ` (${tries.map(([x, i]) => card(x, i)).join('; ')})` : ''}: the card's holder data stayed closed`);
      return pass(card(e.card[auth]!, auth), ...(holder >= 0 ? [card(e.card[holder]!, holder)] : []));
    },
  },
  {
    id: 'PLAT-01', source: 'platform-api.md §1, §2 (9001)',
    zh: '业务交易前已签到（9001），并携带签到编号', en: 'sign-in (9001) precedes business, whose messages carry its sign_no',
    judge(e) {
      const sent = business(e);
      if (!sent.length) return na('no business transaction');
      const unsigned = sent.find((x) => !x.signedIn);
      return unsigned ? fail(`${line(unsigned)} carries sign_no ${JSON.stringify(unsigned.request?.sign_no ?? null)}, which no 9001 answered`) : pass(`${sent.length} business messages, each with a sign_no from 9001`);
    },
  },
  {
    id: 'PLAT-02', source: 'platform-api.md §2',
    zh: '门诊结算按 1101 → 2201 → 2204 → 2206 → 2207 的顺序进行，就诊ID、人员编号一致', en: '1101 → 2201 → 2204 → 2206 → 2207 in order, with consistent mdtrt_id and psn_no',
    judge(e) {
      const sent = e.platform.filter((x) => !SESSION.has(infno(x)) && infno(x) !== '2601');
      const last = sent.findIndex((x) => infno(x) === '2207');
      if (last < 0) return na('no outpatient settlement (2207)');
      let at = 0;
      for (const want of ['1101', '2201', '2204', '2206', '2207']) {
        const i = sent.slice(at, last + 1).findIndex((x) => infno(x) === want);
        if (i < 0) return fail(`no ${want} before ${line(sent[last]!)}: sent ${sent.slice(0, last + 1).map(infno).join(' → ')}`);
        at += i + 1;
      }
      const psn = ((sent.find((x) => infno(x) === '1101')?.response?.output as { baseinfo?: { psn_no?: string } } | undefined)?.baseinfo?.psn_no);
      const mdtrt = ((sent.find((x) => infno(x) === '2201' && succeeded(x))?.response?.output as { data?: { mdtrt_id?: string } } | undefined)?.data?.mdtrt_id);
      for (const x of sent.slice(0, last + 1)) {
        const i = input(x);
        const lines = Array.isArray(i.feedetail) ? i.feedetail as Array<Record<string, unknown>> : [i];
        for (const l of lines) {
          if (psn && l.psn_no !== undefined && l.psn_no !== psn) return fail(`${line(x)}: psn_no ${String(l.psn_no)}, but 1101 answered ${psn}`);
          if (mdtrt && l.mdtrt_id !== undefined && l.mdtrt_id !== mdtrt) return fail(`${line(x)}: mdtrt_id ${String(l.mdtrt_id)}, but 2201 answered ${mdtrt}`);
        }
      }
      return pass(`${sent.slice(0, last + 1).map(infno).join(' → ')}; psn_no ${psn ?? '?'}, mdtrt_id ${mdtrt ?? '?'}`);
    },
  },
  {
    id: 'PLAT-03', source: 'platform-api.md §2 (2204, 2206/2207 medfee_sumamt)',
    zh: '费用明细逐行金额 = 单价 × 数量，合计等于结算的医疗费总额', en: 'each fee line is price × count, and the lines sum to medfee_sumamt',
    judge(e) {
      const settles = e.platform.filter((x) => ['2206', '2207', '2303', '2304'].includes(infno(x)));
      if (!settles.length) return na('no pre-settlement or settlement');
      const byVisit = new Map<string, number>();
      for (const x of e.platform.filter((y) => infno(y) === '2204' || infno(y) === '2301')) {
        for (const l of (input(x).feedetail ?? []) as Array<Record<string, unknown>>) {
          const amount = wireToFen(l.det_item_fee_sumamt);
          const priced = Math.round(wireToFen(l.pric) * Number(l.cnt));
          if (amount !== priced) return fail(`${line(x)}: line ${String(l.feedetl_sn)} is ${String(l.det_item_fee_sumamt)}, but ${String(l.pric)} × ${String(l.cnt)}`);
          byVisit.set(String(l.mdtrt_id), (byVisit.get(String(l.mdtrt_id)) ?? 0) + amount);
        }
      }
      for (const x of settles) {
        const i = input(x);
        const lines = byVisit.get(String(i.mdtrt_id)) ?? 0;
        if (wireToFen(i.medfee_sumamt) !== lines) return fail(`${line(x)}: medfee_sumamt ${String(i.medfee_sumamt)}, but its fee lines sum to ${(lines / 100).toFixed(2)}`);
      }
      return pass(`${settles.length} (pre-)settlements, each equal to its fee lines`);
    },
  },
  {
    id: 'PLAT-04', source: 'platform-api.md §1 (msgid)',
    zh: '报文ID（msgid）不重复用于不同内容', en: 'a msgid is never reused for different content',
    judge(e) {
      if (!e.platform.length) return na('no platform message');
      const reused = e.platform.find((x) => x.msgidReusedFrom);
      return reused ? fail(`${line(reused)} reuses the msgid of an earlier ${reused.msgidReusedFrom} with other content`) : pass(`${e.platform.length} messages, no msgid reused for other content`);
    },
  },
  {
    id: 'PLAT-05', source: 'platform-api.md §3a (2601 冲正)',
    zh: '应答丢失后在规定时间内发送 2601 冲正原交易', en: 'after a lost answer the terminal sends 2601 for that msgid in time',
    judge(e) {
      const lost = e.platform.filter((x) => x.fault === 'lost');
      if (!lost.length) return na('no answer was lost');
      for (const x of lost) {
        const undo = e.platform.find((y) => infno(y) === '2601' && input(y).omsgid === x.request?.msgid && input(y).oinfno === infno(x) && y.at >= x.at);
        if (!undo) return fail(`${line(x)}: no 2601 with omsgid ${String(x.request?.msgid)} and oinfno ${infno(x)} followed`);
        if (undo.at - x.at > e.reversalWithinMs) return fail(`${line(undo)} came ${undo.at - x.at} ms after the lost answer (allowed ${e.reversalWithinMs} ms)`);
      }
      return pass(...lost.map((x) => `${line(x)} → 2601 sent`));
    },
  },
  {
    id: 'PLAT-06', source: 'platform-api.md §3a; domain.md §4',
    zh: '一次就诊只结算一次（不重复扣款）', en: 'one visit is settled once, never twice',
    judge(e) {
      const attempts = e.platform.filter((x) => infno(x) === '2207' || infno(x) === '2304');
      if (!attempts.length) return na('no settlement sent');
      const added = e.ledger.after - e.ledger.before;
      if (added > 1) return fail(`the ledger holds ${added} new settlements in force for one visit (${attempts.map(line).join('; ')})`);
      return pass(`the ledger holds ${added} new settlement in force after ${attempts.length} settlement message(s)`);
    },
  },
  {
    id: 'PLAT-07', source: 'domain.md §5, §7; terminal/refusal.ts',
    zh: '医保平台拒绝的交易如实告知操作员，不当作成功', en: 'a platform refusal is shown to the operator, not turned into a success',
    judge(e) {
      const got = settledAnswers(e);
      const refused = e.platform.filter((x) => x.response && x.response.infcode !== 0 && !SESSION.has(infno(x)));
      if (got.length) return refused.length ? pass(`refused first (${line(refused[0]!)}), then settled`) : na('nothing was refused');
      if (e.result.outcome === 'settled') return fail(`no settlement was answered${refused.length ? ` (${line(refused[0]!)})` : ''}, yet the terminal reported it settled`);
      if (!refused.length && !e.platform.some((x) => x.fault)) return na('nothing was refused');
      return e.result.message ? pass(`${refused.length ? line(refused[0]!) : 'the platform did not answer'}; the terminal showed: ${e.result.message}`) : fail('the terminal reported a refusal without saying why');
    },
  },
  {
    id: 'PLAT-08', source: 'domain.md §8; platform-api.md §2 (setlinfo)',
    zh: '终端的结算单与平台返回的结算信息（setlinfo）一致；已记账的结算不报告为失败', en: 'the terminal\'s receipt equals the platform\'s setlinfo, and a settlement the ledger holds is never reported as failed',
    judge(e) {
      const last = settledAnswers(e).at(-1);
      if (!last) {
        // Answer lost, never reversed: the ledger holds a settlement the operator was told failed.
        const added = e.ledger.after - e.ledger.before;
        if (added > 0 && e.result.outcome !== 'settled') return fail(`the ledger holds ${added} new settlement(s) in force, yet the terminal reported ${e.result.outcome}: ${e.result.message ?? ''}`);
        return na('no settlement was answered');
      }
      const s = (last.response!.output as { setlinfo: Record<string, unknown> }).setlinfo;
      if (e.result.outcome !== 'settled') return fail(`${line(last)}, yet the terminal reported ${e.result.outcome}: ${e.result.message ?? ''}`);
      const r = e.result.receipt ?? {};
      const want: Array<[string, unknown, unknown]> = [
        ['setl_id', s.setl_id, r.setlId], ['medfee_sumamt', wireToFen(s.medfee_sumamt), r.total], ['hifp_pay', wireToFen(s.hifp_pay), r.fund],
        ['acct_pay', wireToFen(s.acct_pay), r.account], ['psn_cash_pay', wireToFen(s.psn_cash_pay), r.cash], ['balc', wireToFen(s.balc), r.balance],
      ];
      const wrong = want.filter(([, a, b]) => a !== b);
      const show = (k: string, v: unknown) => typeof v === 'number' && k !== 'setl_id' ? (v / 100).toFixed(2) : String(v);
      return wrong.length ? fail(...wrong.map(([k, a, b]) => `receipt ${k} ${b === undefined ? 'missing' : show(k, b)}, setlinfo ${show(k, a)}`)) : pass(`receipt = setlinfo of ${String(s.setl_id)} (${want.map(([k, a]) => `${k} ${show(k, a)}`).join(', ')})`);
    },
  },
  {
    id: 'PLAT-09', source: 'card-spec.md §4; guide "PIN digits never appear"',
    zh: '密码只在卡上校验，从不发给医保平台', en: 'the PIN is verified on the card and never sent to the platform',
    judge(e) {
      const pin = e.request.pin;
      if (!pin || !e.platform.length) return na('no PIN typed, or no platform message');
      const re = new RegExp(`(^|\\D)${pin}(\\D|$)`);
      const leak = e.platform.find((x) => strings(x.request).some((v) => re.test(v)));
      return leak ? fail(`${line(leak)} carries the PIN`) : pass(`${e.platform.length} messages, none carrying the PIN`);
    },
  },
];

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

export function requirement(id: string): Requirement {
  const r = REQUIREMENTS.find((x) => x.id === id);
  if (!r) throw new Error(`unknown requirement ${id}: the catalogue has ${REQUIREMENTS.map((x) => x.id).join(', ')} (compliance/requirements.ts)`);
  return r;
}

/** The requirement ids a scenario's tags name (`@req-PLAT-07`). */
export function taggedRequirements(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith('@req-')).map((t) => t.slice(5));
}
