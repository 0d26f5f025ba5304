// The pcsc rig: a real PC/SC reader with a real test card in it. The harness cannot change,
// swap or remove that card, so it has none of the capabilities; a scenario that needs one is
// skipped with the reason. The rig file names the reader (exact, or /regex/) and the card
// profile that holds the physical card's data (fixtures/cards/…).
import { z } from 'zod';
import { loadCardProfile, type CardProfile } from '../../emulator';
import { ruled, Refusal } from '../../schema';
import { listReaderNames, PcscChannel } from '../pcsc';
import { TracingChannel } from '../tracing';
import { CapabilityMissingError, CardAbsentError, ReaderError, type CardSlot, type Check, type Rig, type RigCapability, type RigFile, type RigKindDriver, type RigOptions } from '../types';

/** The reader names matching the rig file's `reader` (exact name or RegExp), or a ReaderError saying what is there. */
export function matchReaders(spec: string | RegExp, known = listReaderNames()): string[] {
  const matches = known.filter((n) => (typeof spec === 'string' ? n === spec : spec.test(n)));
  if (matches.length === 0) {
    const want = typeof spec === 'string' ? `"${spec}"` : `matching ${spec}`;
    throw new ReaderError(`no PC/SC reader ${want}; readers pcscd knows: ${known.map((n) => `"${n}"`).join(', ') || 'none'} — plug the reader in, or fix \`reader:\` in the rig file`, 'ENOREADER');
  }
  return matches;
}

const DEFAULT_INSERT_TIMEOUT_MS = 60_000;

/** `reader:` an exact reader name, or a /regular expression/ matching the reader(s). */
const READER_FIELD = ruled(z.string().describe('the PC/SC reader\'s exact name, or a /regular expression/'), (r): string | RegExp => {
  if (r === undefined || r === null) throw new Refusal('missing: the PC/SC reader\'s exact name, or a /regular expression/ (`pcsc_scan` or `npx medcard doctor` lists them)');
  if (typeof r !== 'string' || !r.trim()) throw new Refusal('a reader name, or a /regular expression/ matching one');
  const m = /^\/(.*)\/([a-z]*)$/.exec(r);
  if (!m) return r;
  try { return new RegExp(m[1]!, m[2]); } catch (e) { throw new Refusal(`bad regular expression: ${(e as Error).message}`); }
});

export class PcscRig implements Rig {
  readonly capabilities: ReadonlySet<RigCapability>;
  private waitedOnce = false;

  private constructor(readonly name: string, readonly physical: CardProfile, private readonly reader: PcscChannel,
    private readonly channel: TracingChannel, caps: RigCapability[], private readonly insertTimeoutMs: number) {
    this.capabilities = new Set(caps);
  }

  static open(rig: RigFile, options: RigOptions = {}): PcscRig {
    const physical = loadCardProfile(rig.card!);
    const matches = matchReaders(rig.settings.reader as string | RegExp);
    const workerId = options.workerId ?? 0;
    // Exclusive rigs share one reader between workers (scenarios never overlap); others take one each.
    const readerName = rig.exclusive ? matches[workerId % matches.length] : matches[workerId];
    if (readerName === undefined) {
      throw new ReaderError(`rig "${rig.name}" matches ${matches.length} reader(s) (${matches.join(', ')}) but worker ${workerId} needs its own: run with --parallel ${matches.length} or fewer, or set \`exclusive:\` in the rig file`);
    }
    const reader = new PcscChannel(readerName);
    const timeout = options.insertTimeoutMs ?? (Number(process.env.MEDCARD_INSERT_TIMEOUT_MS) || DEFAULT_INSERT_TIMEOUT_MS);
    return new PcscRig(rig.name, physical, reader, new TracingChannel(reader), rig.capabilities, timeout);
  }

  get readerName(): string { return this.reader.name; }

  /** Wait for the physical card; tells the operator what to do once, then waits up to the timeout. */
  async waitForCard(timeoutMs = this.insertTimeoutMs): Promise<void> {
    if (this.reader.isCardPresent()) return;
    const who = `${this.physical.card.number} (${this.physical.holder.name})`;
    if (!this.waitedOnce) {
      console.error(`medcard: insert the test card ${who} into reader "${this.reader.name}" — waiting up to ${Math.round(timeoutMs / 1000)} s`);
      this.waitedOnce = true;
    }
    if (!(await this.reader.waitForCard(timeoutMs))) {
      const err = new CardAbsentError(this.reader.name);
      err.message = `no card in reader "${this.reader.name}" after ${Math.round(timeoutMs / 1000)} s: insert the test card ${who} (the rig file's card), or raise MEDCARD_INSERT_TIMEOUT_MS`;
      throw err;
    }
  }

  async insertCard(profile: CardProfile): Promise<CardSlot> {
    if (profile.card.number !== this.physical.card.number) {
      throw new CapabilityMissingError('card-swap', `rig "${this.name}" holds only the physical card ${this.physical.card.number} (${this.physical.holder.name}) in "${this.reader.name}"; the scenario needs card ${profile.card.number} (${profile.holder.name})`);
    }
    await this.waitForCard();
    this.channel.clearTrace();
    // No `card`: the harness cannot reach inside a real card (no card-state).
    return { channel: this.channel, trace: () => this.channel.trace(), clearTrace: () => this.channel.clearTrace() };
  }

  /** The harness cannot pull a real card: it powers it off and leaves it in. */
  async removeCard(): Promise<void> { await this.channel.powerOff(); }

  async close(): Promise<void> { await this.channel.close(); }
}

export const driver: RigKindDriver = {
  summary: 'a real PC/SC reader with the physical test card in it',
  fields: { reader: READER_FIELD },
  check: (rig) => (rig.card === undefined ? [{ field: 'card', message: 'missing: the card profile (fixtures/cards/…) holding the physical test card\'s data' }] : []),
  capabilities: () => ({ max: [], why: 'a real card in a real reader cannot be changed, swapped or removed by the harness' }),
  open: (rig, options) => PcscRig.open(rig, options),
  readers(rig, workers) {
    let matches: string[];
    try { matches = matchReaders(rig.settings.reader as string | RegExp); } catch { return []; } // the workers say what is missing
    return rig.exclusive ? matches.slice(0, 1) : matches.slice(0, workers);
  },
  describe: (rig) => `reader ${String(rig.settings.reader)}`,
  async reachCard(rig, insertTimeoutMs) {
    const checks: Check[] = [];
    const profile = rig.card ? loadCardProfile(rig.card) : undefined;
    let names: string[];
    try { names = matchReaders(rig.settings.reader as string | RegExp); } catch (err) {
      return { checks: [{ what: 'reader', verdict: 'FAIL', detail: (err as Error).message }], close: async () => undefined };
    }
    checks.push({ what: 'reader', verdict: 'ok', detail: `"${names[0]}"${names.length > 1 ? ` (and ${names.length - 1} more matching)` : ''}` });
    const ch = new PcscChannel(names[0]!);
    const close = () => ch.close();
    if (!(await ch.waitForCard(insertTimeoutMs))) {
      checks.push({ what: 'card', verdict: 'FAIL', detail: `no card in "${names[0]}" after ${insertTimeoutMs / 1000} s: insert the test card ${profile ? `${profile.card.number} (${profile.holder.name})` : ''}` });
      return { checks, close };
    }
    checks.push({ what: 'card', verdict: 'ok', detail: `a card is in "${names[0]}"` });
    return { checks, channel: ch, close };
  },
};
