// `medcard rig check <name>`: is the reader there, is a card in it, does it answer SELECT SSSE,
// is the engine reachable — one verdict per check, and what to do when one fails.
import { loadCardProfile, type CardProfile } from '../emulator';
import { describeEngine, loadRigFile, openRig, rigKind, type CardChannel, type Check, type EngineSpec, type ReachableCard, type RigFile } from '../rigs';
import { CardSession } from '../terminal';
import { SSSE_AID } from '../spec';
import { parseOptions, UsageError } from './args';
import type { Said } from './lang';

const HELP = `usage: medcard rig check <name or rig file> [--insert-timeout <s>]

Checks one rig, each step with a verdict (ok / FAIL / info):
  rig file   it parses and validates
  reader     the reader (or serial line) is there
  card       a card is in it (pcsc: waits up to --insert-timeout seconds, default 5)
  SSSE       the card answers SELECT of the SSSE application (9000)
  data       its EF05/EF06 records read, and it is the rig file's card
  card i/n   a rig's own cards (pcsc \`cards:\`, a serial robot's slots): each checked as
             above, one verdict line per card
  engine     the rig's engine is reachable
Exit code 0 when nothing failed, 1 otherwise.`;

const SELECT_SSSE = Uint8Array.from([0x00, 0xa4, 0x04, 0x00, SSSE_AID.length, ...SSSE_AID]);

/**
 * Is a platform engine (ours or a vendor's) answering at this URL? An empty message must get
 * the platform's envelope back (an `infcode`, a refusal being fine); a refused connection, or
 * a server that answers something else (a web page, a proxy's error), is no engine.
 */
/** Is a platform engine answering at this URL? `detail` is English; `said` the same in both languages (medcard run says it in the chosen one). */
export async function probeEngineUrl(url: string, timeoutMs = 3000): Promise<{ ok: boolean; detail: string; said: Said }> {
  const r = await probe(url, timeoutMs);
  return { ...r, detail: r.said.en };
}

async function probe(url: string, timeoutMs: number): Promise<{ ok: boolean; said: Said }> {
  const endpoint = url.includes('/fsi/') ? url : url.replace(/\/+$/, '') + '/fsi/api/rsfComIfsService/callService';
  try {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let envelope: unknown;
    try { envelope = JSON.parse(text); } catch { envelope = undefined; }
    if (envelope && typeof envelope === 'object' && 'infcode' in envelope) return { ok: true, said: { zh: `${endpoint} 回答 HTTP ${res.status}，是医保平台的应答`, en: `HTTP ${res.status} from ${endpoint}, a platform answer` } };
    const got = JSON.stringify(text.slice(0, 60));
    return { ok: false, said: {
      zh: `${url} 有应答，但不是 medcard 或医保平台的结算引擎：POST ${endpoint} 得到 HTTP ${res.status}，没有 infcode（${got}）：这是结算引擎的地址和端口吗？`,
      en: `${url} answers, but not as a medcard or platform engine: POST ${endpoint} got HTTP ${res.status} without an infcode (${got}): is this the engine's address and port?`,
    } };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const timedOut = (err as Error).name === 'TimeoutError';
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    return { ok: false, said: {
      zh: `无法连接 ${url} 的结算引擎（${timedOut ? `${timeoutMs} 毫秒内没有应答` : why}）：请启动它（我们的引擎用 \`npx medcard engine --port …\`），或改正读卡环境文件中的 engine.url / --engine-url`,
      en: `engine at ${url} is unreachable (${timedOut ? `no answer within ${timeoutMs} ms` : why}): start it (\`npx medcard engine --port …\` for ours) or fix engine.url in the rig file / --engine-url`,
    } };
  }
}

export async function probePostgres(url: string): Promise<{ ok: boolean; detail: string }> {
  const { Client } = require('pg') as typeof import('pg');
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return { ok: true, detail: `SELECT 1 answered at ${url.replace(/\/\/[^@/]*@/, '//…@')}` };
  } catch (err) {
    return { ok: false, detail: `PostgreSQL at ${url.replace(/\/\/[^@/]*@/, '//…@')} is unreachable (${(err as Error).message}): start it (pg_ctlcluster … start) or fix engine.url` };
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function checkEngine(e: EngineSpec): Promise<Check> {
  switch (e.kind) {
    case 'embedded':
      if (process.env.DATABASE_URL) { const r = await probePostgres(process.env.DATABASE_URL); return { what: 'engine', verdict: r.ok ? 'ok' : 'FAIL', detail: `embedded on DATABASE_URL: ${r.detail}` }; }
      return { what: 'engine', verdict: 'ok', detail: 'embedded (PGlite, in-process): nothing to reach' };
    case 'postgres': { const r = await probePostgres(e.url); return { what: 'engine', verdict: r.ok ? 'ok' : 'FAIL', detail: r.detail }; }
    case 'url': { const r = await probeEngineUrl(e.url); return { what: 'engine', verdict: r.ok ? 'ok' : 'FAIL', detail: r.detail }; }
    case 'container':
      return { what: 'engine', verdict: 'info', detail: `${describeEngine(e)}: started by \`medcard run\` (images: \`npx medcard images build\`), not probed here` };
  }
}

/** Does the card answer SELECT SSSE, and read (EF05, EF06) as the rig file's card? Its verdicts; it powers the card off after. */
async function checkCardAnswers(channel: CardChannel, known: CardProfile | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    await channel.powerOn();
    const res = await channel.transmit(SELECT_SSSE);
    const sw = Buffer.from(res.subarray(res.length - 2)).toString('hex').toUpperCase();
    if (!(sw === '9000' || sw.startsWith('61'))) {
      checks.push({ what: 'SSSE', verdict: 'FAIL', detail: `SELECT SSSE → ${sw}: this card has no SSSE application (is it a social security card?)` });
      return checks;
    }
    checks.push({ what: 'SSSE', verdict: 'ok', detail: `SELECT SSSE → ${sw}` });
  } catch (err) {
    checks.push({ what: 'SSSE', verdict: 'FAIL', detail: (err as Error).message });
    return checks;
  }
  try {
    const d = await new CardSession(channel).read();
    const read = `card ${d.cardNumber} (${d.name}), valid ${d.issueDate} – ${d.expiryDate}`;
    checks.push(!known || d.cardNumber === known.card.number
      ? { what: 'data', verdict: 'ok', detail: `EF05/EF06 read: ${read}${known ? ', the rig file\'s card' : ''}` }
      : { what: 'data', verdict: 'FAIL', detail: `EF05/EF06 read: ${read}, but the rig file's card is ${known.card.number} (${known.holder.name}): insert that card, or point the rig file at this card's profile` });
  } catch (err) {
    checks.push({ what: 'data', verdict: 'FAIL', detail: `reading EF05/EF06: ${(err as Error).message}` });
  } finally {
    await channel.powerOff().catch(() => undefined);
  }
  return checks;
}

/** The rig's own cards (a real reader, a card robot): each reached in turn, checked, and given a verdict line of its own. */
async function checkReachedCards(cards: ReachableCard[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [i, c] of cards.entries()) {
    let got: Check[];
    try {
      const reached = await c.reach();
      got = [...reached.checks, ...(reached.channel ? await checkCardAnswers(reached.channel, c.known) : [])];
    } catch (err) {
      got = [{ what: 'card', verdict: 'FAIL', detail: (err as Error).message }];
    }
    checks.push(...got);
    const failed = got.find((x) => x.verdict === 'FAIL');
    const who = c.known ? `${c.known.card.number} (${c.known.holder.name})` : 'the card';
    checks.push(failed
      ? { what: `card ${i + 1}/${cards.length}`, verdict: 'FAIL', detail: `${who} in ${c.where}: ${failed.what} failed` }
      : { what: `card ${i + 1}/${cards.length}`, verdict: 'ok', detail: `${who} in ${c.where}: present, answers SELECT SSSE, reads as the rig file's card` });
  }
  return checks;
}

async function checkCard(rig: RigFile, insertTimeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  const profile: CardProfile | undefined = rig.card ? loadCardProfile(rig.card) : undefined;
  const fail = (what: string, err: unknown) => checks.push({ what, verdict: 'FAIL', detail: (err as Error).message });
  let cleanup: () => Promise<void> = async () => undefined;
  try {
    const driver = rigKind(rig.kind)!;
    const reached = await driver.reachCard?.(rig, insertTimeoutMs);
    if (reached) {
      // Cards the harness does not serve: the kind's driver knows how to reach each.
      cleanup = reached.close;
      checks.push(...reached.checks);
      const cards = reached.cards ?? (reached.channel ? [{ where: reached.channel.name, known: profile, reach: async () => ({ checks: [], channel: reached.channel }) }] : []);
      checks.push(...await checkReachedCards(cards));
      return checks;
    }
    // The harness serves the card itself: open the rig and insert the rig's default card.
    let r;
    try { r = await openRig(rig); } catch (err) { fail('reader', err); return checks; }
    cleanup = () => r.close();
    checks.push({ what: 'reader', verdict: 'ok', detail: driver.describe?.(rig) ?? driver.summary });
    if (!profile) { checks.push({ what: 'card', verdict: 'FAIL', detail: 'the rig file names no card: add `card: fixtures/cards/…`' }); return checks; }
    let channel: CardChannel;
    try { channel = (await r.insertCard(profile)).channel; } catch (err) { fail('card', err); return checks; }
    checks.push({ what: 'card', verdict: 'ok', detail: `inserted ${profile.card.number} (${profile.holder.name})` });
    checks.push(...await checkCardAnswers(channel, profile));
  } finally {
    await cleanup().catch(() => undefined);
  }
  return checks;
}

export async function checkRig(nameOrPath: string, insertTimeoutMs = 5000): Promise<Check[]> {
  let rig: RigFile;
  try { rig = loadRigFile(nameOrPath); } catch (err) { return [{ what: 'rig file', verdict: 'FAIL', detail: (err as Error).message }]; }
  const checks: Check[] = [{ what: 'rig file', verdict: 'ok', detail: `${rig.file} (${rig.kind})` }];
  checks.push(...await checkCard(rig, insertTimeoutMs));
  checks.push(await checkEngine(rig.engine));
  return checks;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { 'insert-timeout': { type: 'string', default: '5' } }, HELP, 2);
  if (!parsed) return 0;
  const [sub, name] = parsed.positionals;
  if (sub !== 'check' || !name) throw new UsageError({ zh: '用法应为 `medcard rig check <名称>`', en: 'expected `medcard rig check <name>`' }, HELP);
  const seconds = Number(parsed.values['insert-timeout']);
  if (!(seconds >= 0)) throw new UsageError({ zh: `--insert-timeout 应为秒数，而不是 "${parsed.values['insert-timeout']}"`, en: `--insert-timeout wants seconds, not "${parsed.values['insert-timeout']}"` });
  const checks = await checkRig(name, seconds * 1000);
  for (const c of checks) console.log(`${c.verdict.padEnd(4)}  ${c.what.padEnd(8)}  ${c.detail.replace(/\n/g, '\n                ')}`);
  const failed = checks.filter((c) => c.verdict === 'FAIL');
  console.log(failed.length ? `rig "${name}": ${failed.length} check(s) failed` : `rig "${name}": ready`);
  return failed.length ? 1 : 0;
}
