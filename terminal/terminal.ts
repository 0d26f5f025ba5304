// The reference terminal: reads the card over a CardChannel, drives the platform API,
// refuses what a real terminal must refuse, and prints the receipt (domain.md §2, §4–§7).
import { fmtFen, makeMsgid, type CertType, type EcQueryData, type EnvelopeOverrides, type Infno, type InputOf, type OutputOf, type ReverseOutput } from '../platform';
import { MED_TYPE_OF_VISIT } from '../spec';
import { CardSession, checkExpiry, checkHolder, vendorLine } from './card';
import { PsamSession } from './psam';
import { failureText, isPlatformFailure, parsePerson, parseSetlinfo } from './platform';
import { renderReceiptHtml, renderReceiptText } from './receipt';
import { TerminalRefusal, type RefusalCode } from './refusal';
import type { CardData, CardPresentation, Certificate, Institution, PersonInfo, Receipt, Settlement, TerminalOptions, VisitOutcome, VisitRequest } from './types';

/** Decision: the issuing default PIN the terminal recognises, as reader code does ("初始密码不能交易"). */
export const DEFAULT_INITIAL_PINS = ['123456'] as const;

/** Platform refusals mapped to the terminal's reasons by the err_msg they carry. */
const PLATFORM_REASONS: [RegExp, RefusalCode][] = [
  [/电子凭证[^，：]*已过期/, 'evoucher-expired'],
  [/挂失|注销|作废|失效|lost/i, 'card-blocked'],
  [/欠费|arrears/i, 'employer-arrears'],
  [/备案|filing/i, 'cross-region-unfiled'],
  [/定点|designated/i, 'not-designated'],
  [/未启用|未激活|activat/i, 'card-not-activated'],
  [/暂停|终止|未参保|参保状态|suspend|not insured/i, 'not-insured'],
  [/提现|现金|转账|withdraw/i, 'cash-withdrawal'],
];
export function refusalFromPlatform(err: unknown): TerminalRefusal {
  const text = failureText(err);
  for (const [re, code] of PLATFORM_REASONS) if (re.test(text)) return new TerminalRefusal(code, text);
  return new TerminalRefusal('platform-refused', text);
}

let msgSeq = 0;

/** The certificate fields of 1101, 2201/2401 and 2206/2207. */
interface CertFields { mdtrt_cert_type: CertType; mdtrt_cert_no: string; card_sn?: string }

const feeDetail = (req: VisitRequest, mdtrtId: string, psnNo: string, begntime: string) => req.items.map((it, n) => ({
  feedetl_sn: `${n + 1}`, mdtrt_id: mdtrtId, psn_no: psnNo, med_list_codg: it.code, medins_list_codg: it.code,
  det_item_fee_sumamt: fmtFen(it.priceFen * it.count), cnt: it.count, pric: fmtFen(it.priceFen), fee_ocur_time: begntime,
}));

export class Terminal {
  readonly institution: Institution;
  /** The terminal number the PSAM gave, after a third-generation card was read. */
  private psamTerminalNo: string | undefined;
  constructor(private readonly opts: TerminalOptions) { this.institution = opts.institution; }

  private env(date: string, region?: string): EnvelopeOverrides {
    const inf_time = `${date} ${this.opts.clockTime ?? '10:00:00'}`;
    return { mdtrtarea_admvs: this.institution.region, insuplc_admdvs: region, fixmedins_code: this.institution.code, fixmedins_name: this.institution.name, inf_time };
  }

  private async call<I extends Infno>(infno: I, input: InputOf<I>, date: string, region?: string): Promise<OutputOf<I>> {
    try {
      return await this.opts.platform.call(infno, input, this.env(date, region));
    } catch (err) {
      if (isPlatformFailure(err)) throw refusalFromPlatform(err);
      throw err;
    }
  }

  /**
   * Power the card, read it (a third-generation card through the PSAM), check expiry and
   * holder; verify the PIN when given.
   */
  async readCard(p: CardPresentation, today: string, needPin: boolean): Promise<CardData> {
    const session = new CardSession(p.channel);
    const psam = this.opts.psam ? new PsamSession(this.opts.psam) : undefined;
    try {
      const card = await session.read(psam && {
        cryptogram: async (id, challenge) => {
          this.psamTerminalNo = await psam.open();
          return psam.cryptogram(id, challenge);
        },
      });
      checkExpiry(card, today);
      if (p.presented) checkHolder(card, p.presented);
      if (needPin) {
        if (p.pin === undefined) throw new TerminalRefusal('pin-wrong', '未输入密码 / no PIN entered');
        await session.verifyPin(p.pin);
        if ((this.opts.initialPins ?? DEFAULT_INITIAL_PINS).includes(p.pin)) throw new TerminalRefusal('pin-initial');
      }
      return card;
    } finally {
      await session.powerOff().catch(() => undefined);
      await psam?.close();
    }
  }

  /** The reader line (card-spec §6); field 10 is the PSAM's terminal number once a PSAM was used. */
  vendorLine(card: CardData): string {
    return vendorLine(card, { terminalNo: this.opts.terminalNo ?? this.psamTerminalNo ?? this.institution.code, deviceNo: this.opts.deviceNo ?? 'MEDCARD-REF-01' });
  }

  /** 1101 person lookup by card (mdtrt_cert_type 03). */
  async lookupPerson(card: CardData, date: string): Promise<PersonInfo> {
    const out = await this.call('1101', { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNumber, card_sn: card.identificationCode, certno: card.idNumber, psn_name: card.name, begntime: `${date} 10:00:00` }, date);
    return parsePerson(out);
  }

  /**
   * Scan the e-voucher the person holds up: the local component answers its token (and who it
   * is). Nothing shown, or the component refusing, is the terminal's refusal.
   */
  async scanEvoucher(): Promise<EcQueryData> {
    if (!this.opts.evoucher) throw new TerminalRefusal('evoucher-unreadable', '本终端未配置电子凭证组件 / no e-voucher component configured');
    try {
      return await this.opts.evoucher.query();
    } catch (err) {
      const e = err as { code?: unknown; errMsg?: string; message?: string };
      if (typeof e.code === 'number') throw new TerminalRefusal('evoucher-unreadable', e.errMsg ?? e.message ?? '');
      throw err;
    }
  }

  /** Balance query at the terminal: read the card, look the person up, show the balance. */
  async queryBalance(p: CardPresentation, date: string): Promise<{ card: CardData; person: PersonInfo }> {
    const card = await this.readCard(p, date, false);
    return { card, person: await this.lookupPerson(card, date) };
  }

  /** A whole visit: card → lookup → registration/admission → fees → pre-settlement → settlement. */
  async visit(req: VisitRequest): Promise<VisitOutcome> {
    const total = req.items.reduce((s, i) => s + i.priceFen * i.count, 0);
    const cashOutcome = (refusal?: TerminalRefusal, card?: CardData, person?: PersonInfo): VisitOutcome => ({
      cashPaidFen: total, totalFen: total, refusal, cashAdvance: true, card, person,
      receipt: this.receipt(req, total, undefined, refusal?.zh ?? req.cashReason ?? '未持卡'),
    });
    if (req.certificate) return this.visitWithCertificate(req, req.certificate, cashOutcome);
    if (!req.card) {
      if (!req.emergency || !req.idNumber) return cashOutcome();
      try {
        return { ...cashOutcome(), mdtrtId: await this.registerEmergency(req, req.idNumber) };
      } catch (err) {
        if (err instanceof TerminalRefusal) return cashOutcome(err);
        throw err;
      }
    }
    const useAccount = req.useAccount ?? true;
    let card: CardData;
    try {
      card = await this.readCard(req.card, req.date, useAccount && (this.opts.pinForAccount ?? true));
    } catch (err) {
      if (err instanceof TerminalRefusal) return cashOutcome(err);
      throw err;
    }
    let person: PersonInfo | undefined;
    try {
      person = await this.lookupPerson(card, req.date);
      const cert = { mdtrt_cert_type: '03', mdtrt_cert_no: card.cardNumber, card_sn: card.identificationCode } as const;
      const settlement = await this.settle(req, cert, person, useAccount);
      return { settlement, cashPaidFen: settlement.cash, totalFen: settlement.total, cashAdvance: false, card, person,
        vendorLine: this.vendorLine(card), receipt: this.receipt(req, settlement.total, settlement, undefined, '03', card.name) };
    } catch (err) {
      if (err instanceof TerminalRefusal) return cashOutcome(err, card, person);
      throw err;
    }
  }

  /**
   * A visit with the e-voucher (01: its token, scanned now unless it was earlier) or the ID card
   * (02): no card is read and no PIN asked — the holder confirms an e-voucher on the phone, and
   * the cashier checks the face against the ID card — so the account pays as with the card.
   * 1101 names the person by the certificate; the same certificate goes with every message.
   */
  private async visitWithCertificate(req: VisitRequest, c: Certificate, cashOutcome: (r?: TerminalRefusal, card?: CardData, p?: PersonInfo) => VisitOutcome): Promise<VisitOutcome> {
    const certType: CertType = c.type === 'evoucher' ? '01' : '02';
    const refused = (r: TerminalRefusal, person?: PersonInfo): VisitOutcome => {
      const out = cashOutcome(r, undefined, person);
      return { ...out, receipt: this.receipt(req, out.totalFen, undefined, r.zh, certType) };
    };
    let person: PersonInfo | undefined;
    try {
      let cert: CertFields;
      let lookup: InputOf<'1101'>;
      if (c.type === 'evoucher') {
        const ec = c.scanned ?? await this.scanEvoucher();
        cert = { mdtrt_cert_type: '01', mdtrt_cert_no: ec.ecToken };
        lookup = { ...cert, certno: ec.idNo, psn_name: ec.userName, begntime: `${req.date} 10:00:00` };
      } else {
        cert = { mdtrt_cert_type: '02', mdtrt_cert_no: c.idNumber };
        lookup = { ...cert, certno: c.idNumber, psn_cert_type: '01', begntime: `${req.date} 10:00:00` };
      }
      person = parsePerson(await this.call('1101', lookup, req.date));
      const settlement = await this.settle(req, cert, person, req.useAccount ?? true);
      return { settlement, cashPaidFen: settlement.cash, totalFen: settlement.total, cashAdvance: false, person,
        receipt: this.receipt(req, settlement.total, settlement, undefined, certType) };
    } catch (err) {
      if (err instanceof TerminalRefusal) return refused(err, person);
      throw err;
    }
  }

  /**
   * An emergency without the card (domain.md §5) is paid in full in cash, but registered as an
   * emergency with the ID card (02) and its fees uploaded: the record the later claim is matched to.
   */
  private async registerEmergency(req: VisitRequest, idNumber: string): Promise<string> {
    const person = parsePerson(await this.call('1101', { mdtrt_cert_type: '02', mdtrt_cert_no: idNumber, certno: idNumber }, req.date));
    const begntime = `${req.date} 09:00:00`;
    const reg = await this.call('2201', { psn_no: person.psnNo, insutype: person.insutype, begntime, ipt_otp_no: `OTP${Date.now()}${++msgSeq}`, mdtrt_cert_type: '02', mdtrt_cert_no: idNumber, emergency_flag: '1' }, req.date, person.region);
    const mdtrtId = reg.data.mdtrt_id;
    await this.call('2203', { mdtrt_id: mdtrtId, psn_no: person.psnNo, med_type: MED_TYPE_OF_VISIT[req.kind], begntime }, req.date, person.region);
    await this.call('2204', { feedetail: feeDetail(req, mdtrtId, person.psnNo, begntime) }, req.date, person.region);
    return mdtrtId;
  }

  private async settle(req: VisitRequest, cert: CertFields, person: PersonInfo, useAccount: boolean): Promise<Settlement> {
    const medType = MED_TYPE_OF_VISIT[req.kind];
    const region = person.region;
    const begntime = `${req.date} 09:00:00`;
    const otpNo = `OTP${Date.now()}${++msgSeq}`;
    let mdtrtId: string;
    const inpatient = req.kind === 'inpatient';
    if (inpatient) {
      const adm = await this.call('2401', { psn_no: person.psnNo, insutype: person.insutype, begntime, med_type: '21', ipt_no: otpNo, ...cert, ...(req.diagnosis ? { dise_name: req.diagnosis } : {}) }, req.date, region);
      mdtrtId = adm.result.mdtrt_id;
    } else {
      const reg = await this.call('2201', { psn_no: person.psnNo, insutype: person.insutype, begntime, ipt_otp_no: otpNo, ...cert, emergency_flag: req.emergency ? '1' : '0' }, req.date, region);
      mdtrtId = reg.data.mdtrt_id;
      await this.call('2203', { mdtrt_id: mdtrtId, psn_no: person.psnNo, med_type: medType, begntime, ...(req.diagnosis ? { dise_name: req.diagnosis } : {}) }, req.date, region);
    }
    await this.call(inpatient ? '2301' : '2204', { feedetail: feeDetail(req, mdtrtId, person.psnNo, begntime) }, req.date, region);
    if (inpatient) await this.call('2402', { mdtrt_id: mdtrtId, psn_no: person.psnNo, endtime: `${req.date} 17:00:00` }, req.date, region);
    const total = req.items.reduce((s, i) => s + i.priceFen * i.count, 0);
    const setl = { psn_no: person.psnNo, ...cert, med_type: medType, medfee_sumamt: fmtFen(total), mdtrt_id: mdtrtId, acct_used_flag: useAccount ? '1' : '0', insutype: person.insutype } as const;
    await this.call(inpatient ? '2303' : '2206', setl, req.date, region);
    const out = await this.settleOnce(inpatient ? '2304' : '2207', setl, person.psnNo, req.date, region);
    return parseSetlinfo(out.setlinfo);
  }

  /**
   * The settlement call, safe against a lost answer (platform-api.md §3a): when the answer
   * does not come (the engine may have booked it), 2601 undoes whatever that msgid booked,
   * and the settlement is sent once more under a new msgid. Never two settlements.
   */
  private async settleOnce(infno: '2207' | '2304', setl: InputOf<'2207'>, psnNo: string, date: string, region: string): Promise<OutputOf<'2207'>> {
    const msgid = makeMsgid(this.institution.code);
    try {
      return await this.opts.platform.call(infno, setl, { ...this.env(date, region), msgid });
    } catch (err) {
      if (isPlatformFailure(err)) throw refusalFromPlatform(err);
      await this.call('2601', { psn_no: psnNo, omsgid: msgid, oinfno: infno }, date, region);
      return this.call(infno, setl, date, region);
    }
  }

  /** 2208 / 2305 settlement reversal. */
  async reverse(s: Settlement, date: string, inpatient = false): Promise<ReverseOutput> {
    return this.call(inpatient ? '2305' : '2208', { setl_id: s.setlId, mdtrt_id: s.mdtrtId, psn_no: s.psnNo }, date);
  }

  /** Pharmacies sell drugs; they never pay money out of the account (domain.md §7). */
  refuseCashWithdrawal(): never {
    throw new TerminalRefusal('cash-withdrawal');
  }

  receipt(req: VisitRequest, totalFen: number, s?: Settlement, cashReason?: string, certificate?: CertType, holder?: string): Receipt {
    const r: Receipt = {
      institution: this.institution.name, institutionCode: this.institution.code, date: req.date,
      visitType: req.kind, totalFen, settlement: s, cashAdvance: !s, cashReason: s ? undefined : cashReason,
      items: req.items, certificate, ...(holder ? { holder } : {}),
    };
    return { ...r, text: renderReceiptText(r), html: renderReceiptHtml(r) };
  }
}
