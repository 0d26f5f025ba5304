// The World: one per scenario, small and typed. Worker-wide things (rig, engine client)
// come from shared.ts; everything a scenario creates is remembered here by the names the
// scenario uses ("张三", "市人民医院"), and what the last step of each kind produced is in
// `latest`, for the Then steps after it.
import { World, type IWorldOptions } from '@cucumber/cucumber';
import type { ControlInputOf, ControlOp, ControlOutputOf, EcQueryData, PlatformClient } from '../platform';
import type { CardSlot, HeldCardDealer, TracingChannel } from '../rigs';
import type { CardInterface } from '../emulator';
import { fail } from './said';
import type { CatalogueItem, HisRecords, InstitutionCtx, Latest, PersonCtx, Said, Shared, WorldParameters } from './types';


/** What a Then step says when the step it follows never ran. */
const NONE_YET: { [K in Exclude<keyof Latest, 'refusal'>]: Said } = {
  visit: { zh: '本场景还没有就诊：检查支付的 那么 步骤之前要有一个就诊步骤', en: 'no visit yet in this scenario: a Then step about a payment needs a visit step before it' },
  visitor: { zh: '本场景还没有就诊', en: 'no visit yet in this scenario' },
  claim: { zh: '本场景还没有申请报销', en: 'no claim yet in this scenario' },
  claimedVisit: { zh: '本场景还没有申请报销：先要有 "小赵" 向医保经办机构申请报销 这样的步骤', en: 'no claim yet in this scenario: a step like "Xiao Zhao" claims reimbursement at the agency comes first' },
  credit: { zh: '本场景还没有按月划入', en: 'no monthly credit yet in this scenario' },
  rollover: { zh: '本场景还没有年末结息', en: 'no year-end rollover yet in this scenario' },
  balance: { zh: '还没有查询过余额', en: 'no balance query yet' },
  vendorLine: { zh: '终端还没有读过卡', en: 'the terminal has not read a card yet' },
  tutActions: { zh: '本场景中受测终端还没有办理业务：先要有 受测终端为 "张三" 结算门诊费用 120.00 元 这样的步骤', en: 'the terminal under test has not acted yet in this scenario: a step like the terminal under test settles an outpatient visit of CNY 120.00 for "Zhang San" comes first' },
};

export class MedWorld extends World<WorldParameters> {
  shared!: Shared;
  today = '2024-03-15';
  /** The time of day the institutions' terminals and clocks stand at ("过了 31 分钟" moves it). */
  clockTime = '10:00:00';
  /** The person holding up the e-voucher: the next e-voucher scan or visit shows it at its institution's counter. */
  shownEvoucher?: string;
  /** An e-voucher a terminal scanned before the visit that uses it (person and institution by name). */
  scannedEvoucher?: { person: string; institution: string; data: EcQueryData };
  readonly people = new Map<string, PersonCtx>();
  readonly institutions = new Map<string, InstitutionCtx>();
  /** Catalogue item name → code; defaults per class are created by the hooks. */
  readonly catalogue = new Map<string, CatalogueItem>();
  /** The institution the terminal under test is configured as, once a step named it. */
  tutInstitution?: InstitutionCtx;
  /** The harness pulls the card while the terminal under test reads it (a card fault on cue). */
  tutPullsCard = false;
  /** On a rig whose own cards stand in for the scenario's: which card each person gets (rigs/held-cards.ts). */
  dealer?: HeldCardDealer;
  /** The card in the reader now. */
  inserted?: { owner: string; cardNo: string; side: CardInterface; slot: CardSlot };
  /** The reference terminals' PSAM slot (steps/cards.ts terminalPsam): installed unless a step took it out. */
  readonly psam: { installed: boolean; channel?: TracingChannel } = { installed: true };
  readonly latest: Partial<Latest> = {};
  /** The institutions' own records (HIS): their settlements, downloads, mappings, stays, stock. */
  readonly his: HisRecords = { settlements: [], drugCatalogue: new Map(), mappings: new Map(), stays: new Map(), stock: new Map() };

  constructor(options: IWorldOptions<WorldParameters>) { super(options); }

  /** A call of the engine's control API (the agency's work, queries), at 09:00 of the scenario's day. */
  control<O extends ControlOp>(op: O, input: ControlInputOf<O>): Promise<ControlOutputOf<O>> {
    return this.shared.control.call(op, input, `${this.today} 09:00:00`);
  }

  /** The institution's own platform client, for its terminal, at the scenario's time of day (10:00 unless time passed). */
  platformFor(inst: InstitutionCtx): Promise<PlatformClient> {
    return this.shared.platformFor(inst, `${this.today} ${this.clockTime}`);
  }

  /** What the last step of this kind produced; throws, saying what is missing, when none ran. */
  need<K extends keyof typeof NONE_YET>(kind: K): Latest[K] {
    const v = this.latest[kind];
    if (v === undefined) throw fail(NONE_YET[kind]);
    return v;
  }

  person(name: string): PersonCtx {
    const p = this.people.get(name);
    if (!p) throw fail({ zh: `本场景中没有叫 "${name}" 的参保人：加一个步骤，如 参保人 "${name}" 在重庆参加职工医保`, en: `no person called "${name}" in this scenario: add a step like "${name}" is insured in Chongqing under employee insurance` });
    return p;
  }

  institution(name: string): InstitutionCtx {
    const i = this.institutions.get(name);
    if (!i) throw fail({ zh: `本场景中没有叫 "${name}" 的医药机构：加一个步骤，如 定点医院 "${name}" 位于重庆`, en: `no institution called "${name}" in this scenario: add a step like a designated hospital "${name}" in Chongqing` });
    return i;
  }

  item(name: string): CatalogueItem {
    const c = this.catalogue.get(name);
    if (!c) throw fail({ zh: `医保目录中没有 "${name}"：先在 医保目录如下： 中列出它，或用 甲类 / 乙类 / 自费`, en: `no catalogue item "${name}": list it under the catalogue lists: first, or use class A / class B / self-pay` });
    return c;
  }
}
