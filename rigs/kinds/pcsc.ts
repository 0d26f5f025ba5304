// The pcsc rig: a real PC/SC reader with a real test card in it. The harness cannot change,
// swap or remove that card, so it has none of the capabilities; a scenario that needs one is
// skipped with the reason. The rig file names the reader (exact, or /regex/) and the card
// profile that holds the physical card's data (fixtures/cards/…).
import { z } from 'zod';
import { loadCardProfile, type CardProfile } from '../../emulator';
import { ruled, Refusal } from '../../schema';
import { cardProfilePath } from '../files';
import { readHeldCard } from '../held-cards';
import { listReaderNames, PCSCD_GONE, PcscChannel, readerGoneMessage, type ReaderStatus } from '../pcsc';
import { TracingChannel } from '../tracing';
import { CapabilityMissingError, CardAbsentError, ReaderError, type CardSlot, type Check, type Rig, type RigCapability, type RigFile, type RigKindDriver, type RigOptions, type HeldCard, type ReadCard, type ReachableCard } from '../types';

/**
 * pcsc-lite names a reader "<name the driver gives> [<interface>] <reader index> <slot>", e.g.
 * "ACS ACR39U ICC Reader 00 00", "Alcor Micro AU9560 [CCID Interface] 00 00"; the index changes
 * with the USB port and the order of plugging. So a name in a rig file may leave that tail out.
 */
const PCSC_LITE_TAIL = /^(?: \[[^\]]*\]| \([^)]*\))* \d\d \d\d$/;

/** Does `name` match the rig file's `reader`: a /regex/; the exact name; or the name without pcsc-lite's tail (PCSC_LITE_TAIL)? */
export function readerMatches(spec: string | RegExp, name: string, all: readonly string[]): boolean {
  if (typeof spec !== 'string') return spec.test(name);
  if (all.includes(spec)) return name === spec;
  return name.startsWith(`${spec} `) && PCSC_LITE_TAIL.test(name.slice(spec.length));
}

/** The reader names matching the rig file's `reader` (exact name, name without pcsc-lite's tail, or RegExp), or a ReaderError saying what is there. */
export function matchReaders(spec: string | RegExp, known = listReaderNames()): string[] {
  const matches = known.filter((n) => readerMatches(spec, n, known));
  if (matches.length === 0) {
    const want = typeof spec === 'string' ? `"${spec}"` : `matching ${spec}`;
    throw new ReaderError(`no PC/SC reader ${want}; readers pcscd knows: ${known.map((n) => `"${n}"`).join(', ') || 'none'} — plug the reader in, or fix \`reader:\` in the rig file`, 'ENOREADER');
  }
  return matches;
}

const DEFAULT_INSERT_TIMEOUT_MS = 60_000;

/** `reader:` an exact reader name, or a /regular expression/ matching the reader(s). */
const readerSpec = (r: unknown): string | RegExp => {
  if (typeof r !== 'string' || !r.trim()) throw new Refusal('a reader name, or a /regular expression/ matching one');
  const m = /^\/(.*)\/([a-z]*)$/.exec(r);
  if (!m) return r;
  try { return new RegExp(m[1]!, m[2]); } catch (e) { throw new Refusal(`bad regular expression: ${(e as Error).message}`); }
};
const READER_DESCRIPTION = 'the PC/SC reader\'s name (exact, or without pcsc-lite\'s "[interface] 00 00" tail: the first match), or a /regular expression/';
const READER_FIELD = ruled(z.string().describe(READER_DESCRIPTION), (r): string | RegExp | undefined => (r === undefined ? undefined : readerSpec(r)));
const CARDS_FIELD = z.array(z.strictObject({
  reader: ruled(z.string().describe(READER_DESCRIPTION), (r) => readerSpec(r)),
  card: z.string({ error: 'a path to a card profile, e.g. fixtures/cards/zhang-san.yaml' }).describe('the profile of the card in that reader (fixtures/cards/…)'),
}, { error: 'a mapping { reader, card }' }), { error: 'a list of { reader, card }, one per physical card' }).min(1, { error: 'at least one { reader, card }' })
  .describe('several physical cards, one reader each (instead of reader + card)');

/** One of the rig's cards: its reader, and the rig file's profile of it. */
interface CardPlace {
  reader: PcscChannel; known: CardProfile; channel: TracingChannel;
  /** What the operator has been told to do for this card (once each): insert it, plug the reader back in, start pcscd. */
  told: Set<ReaderStatus['reader'] | 'card'>;
  /** When a wait for this card last ran out: until the card is back, later scenarios fail at once instead of each waiting the whole timeout again. */
  gaveUpAt?: Date;
}

export class PcscRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private held: Promise<HeldCard[]> | undefined;
  /** The card the last insertCard put to use. */
  private current: CardPlace;

  private constructor(readonly name: string, private readonly places: CardPlace[], caps: RigCapability[], private readonly insertTimeoutMs: number) {
    this.capabilities = new Set(caps);
    this.current = places[0]!;
  }

  static open(rig: RigFile, options: RigOptions = {}): PcscRig {
    const timeout = options.insertTimeoutMs ?? (Number(process.env.MEDCARD_INSERT_TIMEOUT_MS) || DEFAULT_INSERT_TIMEOUT_MS);
    const place = (readerName: string, card: string): CardPlace => {
      const reader = new PcscChannel(readerName);
      return { reader, known: loadCardProfile(card), channel: new TracingChannel(reader), told: new Set() };
    };
    const listed = rig.settings.cards as ListedCard[] | undefined;
    if (listed) {
      // Every worker reaches every card; scenarios take turns (the rig file's `exclusive:`).
      const known = listReaderNames();
      return new PcscRig(rig.name, listed.map((c) => place(matchReaders(c.reader, known)[0]!, cardProfilePath(rig.file, c.card))), rig.capabilities, timeout);
    }
    const matches = matchReaders(rig.settings.reader as string | RegExp);
    const workerId = options.workerId ?? 0;
    // Exclusive rigs share one reader between workers (scenarios never overlap); others take one each.
    const readerName = rig.exclusive ? matches[workerId % matches.length] : matches[workerId];
    if (readerName === undefined) {
      throw new ReaderError(`rig "${rig.name}" matches ${matches.length} reader(s) (${matches.join(', ')}) but worker ${workerId} needs its own: run with --parallel ${matches.length} or fewer, or set \`exclusive:\` in the rig file`);
    }
    return new PcscRig(rig.name, [place(readerName, rig.card!)], rig.capabilities, timeout);
  }

  get readerName(): string { return this.current.reader.name; }

  /**
   * Wait for the card of this place: the card out, its reader gone from pcscd's list
   * (unplugged, or pcscd restarted without it) and pcscd not running are each told to the
   * operator once, with what to do, then waited for up to the timeout. Once a wait has run
   * out, later scenarios fail at once with the reason until the card is back (a run of many
   * scenarios goes on, each failing, instead of waiting the timeout each).
   */
  async waitForCard(timeoutMs = this.insertTimeoutMs, place = this.current): Promise<void> {
    let status = place.reader.status();
    const ready = (s: ReaderStatus) => s.reader === 'listed' && s.card;
    if (ready(status)) { place.gaveUpAt = undefined; return; }
    const secs = Math.round(timeoutMs / 1000);
    if (place.gaveUpAt) throw this.missing(place, status, { since: place.gaveUpAt, secs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const kind = status.reader === 'listed' ? 'card' : status.reader;
      if (!place.told.has(kind)) {
        place.told.add(kind);
        console.error(`medcard: ${this.missing(place, status).message} — waiting up to ${secs} s`);
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
      status = place.reader.status();
      if (ready(status)) return;
    }
    place.gaveUpAt = new Date();
    throw this.missing(place, status, { secs });
  }

  /**
   * Why the card of `place` cannot be had, and what to do: the wait not begun (`waited`
   * absent), just run out (`secs`), or run out earlier (`since`: this scenario fails at once).
   */
  private missing(place: CardPlace, status: ReaderStatus, waited?: { secs: number; since?: Date }): Error {
    const name = place.reader.name;
    const who = `${place.known.card.number} (${place.known.holder.name})`;
    const since = waited?.since ? ` since ${waited.since.toISOString()} (waited ${waited.secs} s for it then)` : '';
    const after = waited && !waited.since ? ` (waited ${waited.secs} s; MEDCARD_INSERT_TIMEOUT_MS sets how long)` : '';
    const atOnce = waited?.since ? ' to go on; until then every scenario needing it fails at once' : '';
    if (status.reader === 'gone') return new ReaderError(`${readerGoneMessage(name, status.known, since)}${atOnce}${after}`, 'ENOREADER');
    if (status.reader === 'no-pcscd') return new ReaderError(`reader "${name}" unreachable${since}: ${PCSCD_GONE}${atOnce}${after}`, '0x8010001d');
    const absent = (message: string) => Object.assign(new CardAbsentError(name), { message });
    if (waited?.since) return absent(`no card in reader "${name}"${since}: insert the test card ${who}${atOnce}`);
    if (waited) return absent(`no card in reader "${name}" after ${waited.secs} s: insert the test card ${who} (the rig file's card), or raise MEDCARD_INSERT_TIMEOUT_MS`);
    return absent(`insert the test card ${who} into reader "${name}"`);
  }

  /** The cards in the readers, read once (rigs/held-cards.ts). */
  heldCards(read: ReadCard): Promise<HeldCard[]> {
    this.held ??= (async () => {
      const cards: HeldCard[] = [];
      for (const p of this.places) {
        await this.waitForCard(this.insertTimeoutMs, p);
        cards.push(await readHeldCard(p.reader.name, p.reader, p.known, read));
      }
      return cards;
    })();
    this.held.catch(() => { this.held = undefined; });
    return this.held;
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    const place = this.places.find((p) => p.known.card.number === profile.card.number);
    if (!place) {
      const have = this.places.map((p) => `${p.known.card.number} (${p.known.holder.name}) in "${p.reader.name}"`).join(', ');
      throw new CapabilityMissingError('card-swap', `rig "${this.name}" holds only the physical card${this.places.length > 1 ? 's' : ''} ${have}; the scenario needs card ${profile.card.number} (${profile.holder.name})`);
    }
    if (place !== this.current) await this.current.channel.powerOff();
    this.current = place;
    await this.waitForCard();
    place.channel.clearTrace();
    // No `card`: the harness cannot reach inside a real card (no card-state).
    return { channel: place.channel, trace: () => place.channel.trace(), clearTrace: () => place.channel.clearTrace() };
  }

  /** The harness cannot pull a real card: it powers it off and leaves it in. */
  async removeCard(): Promise<void> { await this.current.channel.powerOff(); }

  async close(): Promise<void> { for (const p of this.places) await p.channel.close(); }
}

/** `cards:` — the rig's physical cards, one reader each (a scenario with two people, or a card and its replacement). */
interface ListedCard { reader: string | RegExp; card: string }

export const driver: RigKindDriver = {
  summary: 'a real PC/SC reader with the physical test card in it (or several, one reader each)',
  fields: { reader: READER_FIELD.optional(), cards: CARDS_FIELD.optional() },
  check(rig) {
    const listed = rig.settings.cards as ListedCard[] | undefined;
    if (!listed) {
      const missing = [];
      if (rig.settings.reader === undefined) missing.push({ field: 'reader', message: 'missing: the PC/SC reader\'s exact name, or a /regular expression/ (`pcsc_scan` or `npx medcard doctor` lists them); or list `cards:` with a reader each' });
      if (rig.card === undefined) missing.push({ field: 'card', message: 'missing: the card profile (fixtures/cards/…) holding the physical test card\'s data' });
      return missing;
    }
    const issues: Array<{ field: string; message: string }> = [];
    if (rig.settings.reader !== undefined) issues.push({ field: 'reader', message: 'give either reader + card or cards:, not both' });
    listed.forEach((c, i) => {
      try { if (rig.file) cardProfilePath(rig.file, c.card); } catch (e) { issues.push({ field: `cards.${i}.card`, message: (e as Error).message }); }
    });
    return issues;
  },
  capabilities: () => ({ max: [], why: 'a real card in a real reader cannot be changed, swapped or removed by the harness' }),
  open: (rig, options) => PcscRig.open(rig, options),
  readers(rig, workers) {
    let known: string[];
    try { known = listReaderNames(); } catch { return []; } // the workers say what is missing
    const listed = rig.settings.cards as ListedCard[] | undefined;
    const matching = (spec: string | RegExp) => known.filter((n) => readerMatches(spec, n, known));
    if (listed) return [...new Set(listed.flatMap((c) => matching(c.reader).slice(0, 1)))];
    const matches = matching(rig.settings.reader as string | RegExp);
    return rig.exclusive ? matches.slice(0, 1) : matches.slice(0, workers);
  },
  describe: (rig) => {
    const listed = rig.settings.cards as ListedCard[] | undefined;
    return listed ? `${listed.length} cards: ${listed.map((c) => `reader ${String(c.reader)}`).join(', ')}` : `reader ${String(rig.settings.reader)}`;
  },
  async reachCard(rig, insertTimeoutMs) {
    // Every card of the rig, one reader each: is the reader there, is its card in.
    const listed = (rig.settings.cards as ListedCard[] | undefined)?.map((c) => ({ spec: c.reader, card: cardProfilePath(rig.file, c.card) }))
      ?? [{ spec: rig.settings.reader as string | RegExp, card: rig.card }];
    const channels: PcscChannel[] = [];
    const cards = listed.map(({ spec, card }): ReachableCard => {
      const known = card ? loadCardProfile(card) : undefined;
      return {
        where: `reader ${typeof spec === 'string' ? `"${spec}"` : String(spec)}`,
        known,
        async reach() {
          const checks: Check[] = [];
          let names: string[];
          try { names = matchReaders(spec); } catch (err) {
            return { checks: [{ what: 'reader', verdict: 'FAIL', detail: (err as Error).message }] };
          }
          checks.push({ what: 'reader', verdict: 'ok', detail: `"${names[0]}"${names.length > 1 ? ` (and ${names.length - 1} more matching)` : ''}` });
          const ch = new PcscChannel(names[0]!);
          channels.push(ch);
          if (!(await ch.waitForCard(insertTimeoutMs))) {
            checks.push({ what: 'card', verdict: 'FAIL', detail: `no card in "${names[0]}" after ${insertTimeoutMs / 1000} s: insert the test card ${known ? `${known.card.number} (${known.holder.name})` : ''}` });
            return { checks };
          }
          checks.push({ what: 'card', verdict: 'ok', detail: `a card is in "${names[0]}"` });
          return { checks, channel: ch };
        },
      };
    });
    return { checks: [], cards, close: async () => { for (const ch of channels) await ch.close(); } };
  },
};
