// The card: its profile (fresh numbers per scenario), its life at the agency (issued and
// activated, reported lost, replaced: the control API's card ops), the card in the rig's reader, and
// the steps that change its state, which need a rig that controls the card (card-state).
// The steps that issue, lose and replace a card are phrased among the people steps (people.ts),
// where `medcard steps` lists them; their code is here.
import * as path from 'node:path';
import { DEFAULT_MASTER_KEY, EmulatedPsam, encodeGbk, loadPsamProfile, toHex, contactlessDefaultAtr, type CardInterface, type CardProfile, type EmulatedCard } from '../emulator';
import { EmulatedChannel, TracingChannel, type CardChannel, type CardContents, type CardSlot } from '../rigs';
import { fixturesDir } from './fixtures';
import { CardSession } from '../terminal';
import { cardNumber, cardSn } from './ids';
import { stepsOf } from './registry';
import { fail } from './said';
import type { PersonCtx, Said } from './types';
import type { MedWorld } from './world';

const step = stepsOf('cards');

const ATR = '3B08' + Buffer.from('MEDCARD1').toString('hex').toUpperCase();

/** The GBK bytes record 09 holds (card-spec §3); a third-generation card keeps the rest of a longer name in 4E. */
const NAME_RECORD_BYTES = 30;

/** A name split where record 09 ends: [record 09, the extension 4E]. */
export function splitName(name: string): [string, string] {
  let head = '';
  for (const ch of name) {
    if (encodeGbk(head + ch).length > NAME_RECORD_BYTES) break;
    head += ch;
  }
  return [head, name.slice(head.length)];
}

/**
 * A fresh card for the person. Generation 3 (card-spec §7): version 3.00, EF06 behind
 * EXTERNAL AUTHENTICATE with the test master key (the test PSAM's), a longer name's rest in
 * record 4E, a contactless side and a bank application. A second-generation card keeps only
 * what record 09 holds of a longer name, as such cards do.
 */
export function newProfile(p: PersonCtx, issueDate: string, expiryDate: string, generation: 2 | 3 = 2): CardProfile {
  const [name, extension] = splitName(p.name);
  const id = `${p.name}-${p.psnNo}`;
  const number = cardNumber();
  return {
    id,
    holder: { name, idNumber: p.certno, sex: p.sex, nation: '01', birthplace: p.region, birthDate: p.birthDate },
    card: {
      number, identificationCode: cardSn(p.region), type: '01', specVersion: generation === 3 ? '3.00' : '2.00',
      issuerCode: `${p.region}D15600000000000000`.slice(0, 24), issueDate, expiryDate, region: p.region,
    },
    pin: { value: '246810', tries: 3, isInitial: false },
    atr: ATR, activated: true,
    auth: { algorithm: 'SM4', key: '0123456789ABCDEFFEDCBA9876543210' },
    ...(generation === 3 ? {
      generation: 3 as const,
      gen3: {
        nameExtension: extension, algorithm: '04', externalAuth: 'required' as const, masterKey: DEFAULT_MASTER_KEY,
        externalAuthTries: 3, contactlessAtr: toHex(contactlessDefaultAtr('MEDCARD3')), bankNumber: `6217${number.replace(/\D/g, '').padStart(15, '0')}`,
      },
    } : {}),
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
export async function issueCard(w: MedWorld, name: string, issueDate?: string, expiry?: string, generation: 2 | 3 = 2): Promise<void> {
  const p = w.person(name);
  if (w.dealer) return registerCard(w, p, w.dealer.cardFor(p));
  const issued = issueDate ?? `${Number(w.today.slice(0, 4)) - 2}-01-10`;
  await registerCard(w, p, newProfile(p, issued, expiry ?? plusYears(issued, 10), generation));
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

/** Puts the card into the rig's reader (contact, or a third-generation card's contactless side), unless it is there already so. */
export async function insertCard(w: MedWorld, profile: CardProfile, how: { interface?: CardInterface } = {}): Promise<CardSlot> {
  const side = how.interface ?? 'contact';
  if (w.inserted && w.inserted.cardNo === profile.card.number && w.inserted.side === side) return w.inserted.slot;
  if (side === 'contactless' && !profile.gen3) throw fail({ zh: `${profile.holder.name} 的卡是第二代社保卡，只有接触式接口：先给他一张第三代社保卡`, en: `${profile.holder.name}'s card is a second-generation card, contact only: give them a third-generation card first` });
  const slot = await w.shared.rig.insertCard(profile, { interface: side });
  w.inserted = { owner: profile.holder.name, cardNo: profile.card.number, side, slot };
  return slot;
}

/** The test PSAM (fixtures/psam/test-psam.yaml): it holds the master key generated third-generation cards are made with. */
const TEST_PSAM = 'psam/test-psam.yaml';

/**
 * The reference terminal's PSAM slot, in-process on every rig (our decision: the reference
 * terminal's secure module is software; a lab's PSAM in a reader is not wired yet), traced
 * like the card. None after "终端未安装PSAM卡" / "the terminal has no PSAM".
 */
export function terminalPsam(w: MedWorld): TracingChannel | undefined {
  if (!w.psam.installed) return undefined;
  if (!w.psam.channel) {
    const slot = new EmulatedChannel('PSAM slot (emulated)');
    slot.insert(new EmulatedPsam(loadPsamProfile(path.join(fixturesDir(), TEST_PSAM))));
    w.psam.channel = new TracingChannel(slot);
  }
  return w.psam.channel;
}

/** The person's card itself, in the reader, to change its state (a rig with card-state). */
async function liveCard(w: MedWorld, name: string): Promise<EmulatedCard> {
  const p = w.person(name);
  if (!p.profile) throw fail(holdsNoCard(name));
  const slot = await insertCard(w, p.profile);
  if (!slot.card) throw fail({ zh: `读卡环境 "${w.shared.rig.name}" 不能改变卡的状态：给场景加上 @needs-card-state 标签，没有这种能力的读卡环境就会跳过它`, en: `rig "${w.shared.rig.name}" cannot change card state: tag the scenario @needs-card-state so rigs without it skip it` });
  return slot.card;
}

step('Given', '终端未安装PSAM卡', 'the terminal has no PSAM', async function () {
  this.psam.installed = false;
}, { example: { zh: '终端未安装PSAM卡', en: 'the terminal has no PSAM' } });

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
