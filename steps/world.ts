// The World: one per scenario, small and typed. Worker-wide things (rig, engine client)
// come from shared.ts; everything a scenario creates is remembered here by the names the
// scenario uses ("张三", "市人民医院").
import { World, type IWorldOptions } from '@cucumber/cucumber';
import type { ClaimOutput, CreditOutput, RolloverOutput, BalanceOutput, PlatformClient } from '../platform';
import type { CardProfile } from '../emulator/types';
import type { CardSlot } from '../rigs';
import type { Institution, LineItem, VisitOutcome, VisitRequest } from '../terminal';
import { TerminalRefusal } from '../terminal';
import type { Shared } from './shared';

export interface PersonCtx {
  name: string;
  psnNo: string;
  certno: string;
  region: string;
  insutype: '310' | '390';
  birthDate: string;
  sex: '1' | '2';
  empNo?: string;
  /** The card the person holds now (absent: no card issued, or lost with no new one yet). */
  profile?: CardProfile;
  /** Cards that no longer work (lost, replaced), by card number. */
  oldProfiles: CardProfile[];
  /** The PIN the person types at the terminal (default: the card's PIN). */
  typedPin?: string;
  /** Monthly contribution base, fen, when the scenario sets one. */
  base?: number;
  /** Visits paid fully in cash, waiting for a claim. */
  cashVisits: CashVisit[];
}

export interface CashVisit { request: VisitRequest; institution: Institution; reason: string; mdtrtId?: string; outcome: VisitOutcome }

export interface InstitutionCtx extends Institution { level: 1 | 2 | 3; designated: boolean; kind: 'hospital' | 'pharmacy' | 'clinic' }

export interface WorldParameters { rig?: string }

export class MedWorld extends World<WorldParameters> {
  shared!: Shared;
  today = '2024-03-15';
  readonly people = new Map<string, PersonCtx>();
  readonly institutions = new Map<string, InstitutionCtx>();
  /** Catalogue item name → code; defaults per class are created by the hooks. */
  readonly catalogue = new Map<string, { code: string; cls: 'A' | 'B' | 'self' }>();
  inserted?: { owner: string; cardNo: string; slot: CardSlot };
  last?: VisitOutcome;
  lastPerson?: string;
  lastClaim?: ClaimOutput;
  lastCredit?: CreditOutput;
  lastRollover?: RolloverOutput;
  lastBalance?: BalanceOutput;
  lastRefusal?: TerminalRefusal;
  lastVendorLine?: string;

  constructor(options: IWorldOptions<WorldParameters>) { super(options); }

  get client(): PlatformClient { return this.shared.client; }

  person(name: string): PersonCtx {
    const p = this.people.get(name);
    if (!p) throw new Error(`no person called "${name}" in this scenario: add a step like 参保人 "${name}" 在重庆参加职工医保 / "${name}" is insured in Chongqing under employee insurance`);
    return p;
  }

  institution(name: string): InstitutionCtx {
    const i = this.institutions.get(name);
    if (!i) throw new Error(`no institution called "${name}" in this scenario: add a step like 定点医院 "${name}" 位于重庆 / a designated hospital "${name}" in Chongqing`);
    return i;
  }

  item(name: string): { code: string; cls: 'A' | 'B' | 'self' } {
    const c = this.catalogue.get(name);
    if (!c) throw new Error(`no catalogue item "${name}": list it under 医保目录： / the catalogue: first, or use 甲类 / 乙类 / 自费 (class A / class B / self-pay)`);
    return c;
  }

  lastOutcome(): VisitOutcome {
    if (!this.last) throw new Error('no visit yet in this scenario: a Then step about a payment needs a visit step before it');
    return this.last;
  }

  items(list: LineItem[]): LineItem[] { return list; }
}
