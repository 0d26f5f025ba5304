// The card strategy (labgrid's word) of rigs whose cards the harness cannot make: a physical
// test card, or a card another process serves. A scenario still says "张三 holds a card"; here
// the rig's own card stands in for it, so the scenario's person is that card's holder (ID
// number, name on the card) and the card registered at the agency is that card (its number,
// identification code, dates). Balances, policies and visits stay the scenario's. Steps ask
// one HeldCardDealer per scenario and decide nothing themselves.
import type { CardProfile } from '../emulator';
import { CapabilityMissingError, ReaderError, type CardChannel, type HeldCard, type ReadCard } from './types';

/** Read the card in `reader` and make its held-card profile; `known` is the rig file's profile of it (its PIN, and the card number to expect). */
export async function readHeldCard(reader: string, channel: CardChannel, known: CardProfile, read: ReadCard): Promise<HeldCard> {
  let contents;
  try {
    contents = await read(channel);
  } finally {
    await channel.powerOff().catch(() => undefined);
  }
  if (contents.card.number !== known.card.number) {
    // The PIN the scenarios type is the rig file's: with another card in, every PIN would be wrong.
    throw new ReaderError(`reader "${reader}" holds card ${contents.card.number} (${contents.holder.name}), but the rig file's card is ${known.card.number} (${known.holder.name}): insert that card, or point the rig file at this card's profile`, 'EWRONGCARD');
  }
  // The agency's side (activated, reported lost) is the scenario's to say, not the rig file's.
  const { reportedLost: _agencys, ...card } = known;
  return { reader, profile: { ...card, id: `${known.id}@${reader}`, holder: contents.holder, card: contents.card, activated: true } };
}

/** Which of the rig's cards each person of one scenario gets. */
export class HeldCardDealer {
  /** Card numbers given to a person in this scenario. */
  private readonly given = new Set<string>();
  /** ID numbers a person of this scenario has become. */
  private readonly taken = new Set<string>();

  constructor(private readonly rigName: string, private readonly cards: readonly HeldCard[]) {}

  /** The holder a new person becomes: the first card's holder no person has become yet; undefined when every holder is taken (that person can hold no card). */
  holderForNewPerson(): CardProfile['holder'] | undefined {
    const card = this.cards.find((c) => !this.taken.has(c.profile.holder.idNumber));
    if (!card) return undefined;
    this.taken.add(card.profile.holder.idNumber);
    return card.profile.holder;
  }

  /** The next card of this holder not given yet (a first card, or the card that replaces a lost one). */
  cardFor(person: { name: string; certno: string }): CardProfile {
    const card = this.cards.find((c) => c.profile.holder.idNumber === person.certno && !this.given.has(c.profile.card.number));
    if (!card) {
      const ofHolder = this.cards.filter((c) => c.profile.holder.idNumber === person.certno);
      const have = this.cards.map((c) => `${c.profile.card.number} (${c.profile.holder.name}) in "${c.reader}"`).join(', ');
      throw new CapabilityMissingError('card-swap', ofHolder.length
        ? `"${person.name}" (the holder of ${ofHolder.map((c) => c.profile.card.number).join(', ')}, ${ofHolder[0]!.profile.holder.name} on the card) needs another card of that holder (a replacement); rig "${this.rigName}" holds only ${have}`
        : `rig "${this.rigName}" has no card left for "${person.name}" (its cards, one per person: ${have})`);
    }
    this.given.add(card.profile.card.number);
    return card.profile;
  }
}
