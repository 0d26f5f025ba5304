// The card: its profile (fresh numbers per scenario), its life at the agency (issued and
// activated, reported lost, replaced: the control API's card ops), the card in the rig's reader, and
// the steps that change its state, which need a rig that controls the card (card-state).
// The steps that issue, lose and replace a card are phrased among the people steps (people.ts),
// where `medcard steps` lists them; their code is here.
import type { CardProfile, EmulatedCard } from '../emulator';
import type { CardChannel, CardContents, CardSlot } from '../rigs';
import { CardSession } from '../terminal';
import { cardNumber, cardSn } from './ids';
import { stepsOf } from './registry';
import { fail } from './said';
import type { Said } from './types';
import type { MedWorld } from './world';
import type { PersonCtx } from './types';

const step = stepsOf('cards');

const ATR = '3B08' + Buffer.from('MEDCARD1').toString('hex').toUpperCase();

export function newProfile(p: PersonCtx, issueDate: string, expiryDate: string): CardProfile {
  return {
    id: `${p.name}-${p.psnNo}`,
    holder: { name: p.name, idNumber: p.certno, sex: p.sex, nation: '01', birthplace: p.region, birthDate: p.birthDate },
    card: {
      number: cardNumber(), identificationCode: cardSn(p.region), type: '01', specVersion: '3.00',
      issuerCode: `${p.region}D15600000000000000`.slice(0, 24), issueDate, expiryDate, region: p.region,
    },
    pin: { value: '246810', tries: 3, isInitial: false },
    atr: ATR, activated: true,
    auth: { algorithm: 'SM4', key: '0123456789ABCDEFFEDCBA9876543210' },
  };
}

export function plusYears(date: string, years: number): string { return `${Number(date.slice(0, 4)) + years}${date.slice(4)}`; }

/** The agency issues this card to the person (and activates it, reports it lost, as the profile says); it becomes the card they hold. */
export async function registerCard(w: MedWorld, p: PersonCtx, profile: CardProfile): Promise<void> {
  await w.control('card', { card_no: profile.card.number, card_sn: profile.card.identificationCode, psn_no: p.psnNo, issue_date: profile.card.issueDate, expiry_date: profile.card.expiryDate, admvs: p.region });
  if (profile.activated) await w.control('card-activation', { card_no: profile.card.number });
  if (p.profile) p.oldProfiles.push(p.profile);
  p.profile = profile;
  if (profile.reportedLost) {
    await w.control('card-loss', { card_no: profile.card.number, channel: 'counter' });
    p.oldProfiles.push(profile);
    p.profile = undefined;
  }
}

/** A card's own data, read the reference terminal's way: how a rig's own card is known (rigs/held-cards.ts). */
export async function readCardContents(channel: CardChannel): Promise<CardContents> {
  const d = await new CardSession(channel).read();
  return {
    holder: { name: d.name, idNumber: d.idNumber, sex: d.sex === '2' ? '2' : '1', nation: d.nation, birthplace: d.birthplace, birthDate: d.birthDate },
    card: { number: d.cardNumber, identificationCode: d.identificationCode, type: d.cardType, specVersion: d.specVersion, issuerCode: d.issuerCode, issueDate: d.issueDate, expiryDate: d.expiryDate, region: d.region },
  };
}

/** A new, activated card for the person: issued two years before today (or on issueDate), valid ten years (or until expiry); on a rig whose own cards stand in, the person's card there. */
export async function issueCard(w: MedWorld, name: string, issueDate?: string, expiry?: string): Promise<void> {
  const p = w.person(name);
  if (w.dealer) return registerCard(w, p, w.dealer.cardFor(p));
  const issued = issueDate ?? `${Number(w.today.slice(0, 4)) - 2}-01-10`;
  await registerCard(w, p, newProfile(p, issued, expiry ?? plusYears(issued, 10)));
}

/** A card valid until `expiry`: issued ten years before it, or, when that is not before today, on 01-10 of last year. */
export async function issueCardValidUntil(w: MedWorld, name: string, expiry: string): Promise<void> {
  const issued = plusYears(expiry, -10);
  await issueCard(w, name, issued < w.today ? issued : `${Number(w.today.slice(0, 4)) - 1}-01-10`, expiry);
}

export async function reportCardLost(w: MedWorld, name: string): Promise<void> {
  const p = w.person(name);
  if (!p.profile) throw fail({ zh: `"${name}" 没有社保卡可挂失`, en: `"${name}" holds no card to report lost` });
  await w.control('card-loss', { card_no: p.profile.card.number, channel: 'phone' });
  p.oldProfiles.push(p.profile);
  p.profile = undefined;
}

/** The new card for the last card the person lost: issued today, valid ten years, activated (a rig's own card: its dates). */
export async function replaceLostCard(w: MedWorld, name: string): Promise<void> {
  const p = w.person(name);
  const old = p.oldProfiles[p.oldProfiles.length - 1];
  if (!old) throw fail({ zh: `"${name}" 没有挂失的社保卡可补换：先要有 "${name}" 挂失了社保卡`, en: `"${name}" has no lost card to replace: "${name}" reports the card lost comes first` });
  const profile = w.dealer ? w.dealer.cardFor(p) : newProfile(p, w.today, plusYears(w.today, 10));
  await w.control('card-replacement', { old_card_no: old.card.number, card_no: profile.card.number, card_sn: profile.card.identificationCode, issue_date: profile.card.issueDate, expiry_date: profile.card.expiryDate });
  await w.control('card-activation', { card_no: profile.card.number });
  p.profile = profile;
}

/** What a step says when the person holds no card (the step that gives one). */
export function holdsNoCard(name: string): Said {
  return { zh: `"${name}" 没有社保卡：先要有 "${name}" 持有社保卡`, en: `"${name}" holds no card: "${name}" holds a card comes first` };
}

/** Puts the card into the rig's reader, unless it is there already. */
export async function insertCard(w: MedWorld, profile: CardProfile): Promise<CardSlot> {
  if (w.inserted && w.inserted.cardNo === profile.card.number) return w.inserted.slot;
  const slot = await w.shared.rig.insertCard(profile);
  w.inserted = { owner: profile.holder.name, cardNo: profile.card.number, slot };
  return slot;
}

/** The person's card itself, in the reader, to change its state (a rig with card-state). */
async function liveCard(w: MedWorld, name: string): Promise<EmulatedCard> {
  const p = w.person(name);
  if (!p.profile) throw fail(holdsNoCard(name));
  const slot = await insertCard(w, p.profile);
  if (!slot.card) throw fail({ zh: `读卡环境 "${w.shared.rig.name}" 不能改变卡的状态：给场景加上 @needs-card-state 标签，没有这种能力的读卡环境就会跳过它`, en: `rig "${w.shared.rig.name}" cannot change card state: tag the scenario @needs-card-state so rigs without it skip it` });
  return slot.card;
}

// ------------------------------------------------------------------ Given: card state (needs a rig that controls the card)

step('Given', '{string} 的社保卡密码只剩 {int} 次重试机会', '{string}\'s card has {int} PIN tries left', async function (name: string, n: number) {
  (await liveCard(this, name)).setPinTriesLeft(n);
}, { example: { zh: '"张三" 的社保卡密码只剩 2 次重试机会', en: '"Zhang San"\'s card has 2 PIN tries left' }, needs: 'card-state' });

step('Given', '{string} 的社保卡密码已锁定', '{string}\'s card PIN is locked', async function (name: string) {
  (await liveCard(this, name)).lockPin();
}, { example: { zh: '"张三" 的社保卡密码已锁定', en: '"Zhang San"\'s card PIN is locked' }, needs: 'card-state' });

step('Given', '{string} 的社保卡仍是初始密码', '{string}\'s card still has the issuing default PIN', async function (name: string) {
  const p = this.person(name);
  (await liveCard(this, name)).setPin('123456', true);
  p.profile!.pin = { ...p.profile!.pin, value: '123456', isInitial: true };
}, { example: { zh: '"赵六" 的社保卡仍是初始密码', en: '"Zhao Liu"\'s card still has the issuing default PIN' }, needs: 'card-state' });

step('Given', '{string} 的社保卡尚未启用', '{string}\'s card is not activated', async function (name: string) {
  (await liveCard(this, name)).setActivated(false);
}, { example: { zh: '"孙八" 的社保卡尚未启用', en: '"Sun Ba"\'s card is not activated' }, needs: 'card-state' });

step('Given', '{string} 输入密码 {string}', '{string} types the PIN {string}', async function (name: string, pin: string) {
  this.person(name).typedPin = pin;
}, { example: { zh: '"张三" 输入密码 "000000"', en: '"Zhang San" types the PIN "000000"' } });
