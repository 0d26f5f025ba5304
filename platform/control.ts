// The client of the harness's own control API (engine/README.md "Control API"): set-up of
// people, cards, institutions, employers and balances, the business clock, claims and
// queries. Not the platform interface: its own path, a bearer token only the harness
// holds, and an id per call so a retried call changes nothing twice.
import { randomUUID } from 'node:crypto';
import { BizClock } from './clock';
import { postJson, PlatformError } from './client';
import type { ControlClientOptions, ControlInputOf, ControlOp, ControlOutputOf, Response } from './types';

/** Where the control API listens: POST CONTROL_PATH + '/' + op. */
export const CONTROL_PATH = '/medcard/control';

/** What a control call carries besides its input. */
export interface ControlBody<I = unknown> {
  /** Unique per call: the engine answers a repeated id with its first answer. */
  id: string;
  /** Business time 'yyyy-MM-dd HH:mm:ss' the call happens at (dates of credits, cards, claims). */
  time: string;
  input: I;
}

export class ControlClient {
  readonly clock: BizClock;
  private readonly base: URL | undefined;

  constructor(readonly opts: ControlClientOptions) {
    if (!opts.url && !opts.handle) throw new Error('ControlClient needs url or handle');
    this.clock = opts.clock ?? new BizClock();
    if (opts.url) this.base = new URL(opts.url.replace(/\/fsi\/.*$/, '').replace(/\/+$/, ''));
  }

  /** One control call; resolves to its output, rejects with PlatformError (infno = op) when refused. */
  async call<O extends ControlOp>(op: O, input: ControlInputOf<O>, time = this.clock.text()): Promise<ControlOutputOf<O>> {
    const body: ControlBody<ControlInputOf<O>> = { id: randomUUID(), time, input };
    const res = await this.raw(op, body);
    if (res.infcode !== 0) throw new PlatformError(res.infcode, res.err_msg ?? '', op, res);
    return res.output as ControlOutputOf<O>;
  }

  /** Send any body to an op, with this client's token (or `token`), and return the answer as is. */
  raw(op: string, body: unknown, token: string | undefined = this.opts.token): Promise<Response> {
    if (this.opts.handle) return this.opts.handle(op, body, token);
    const url = new URL(`${CONTROL_PATH}/${encodeURIComponent(op)}`, this.base);
    return postJson(url, typeof body === 'string' ? body : JSON.stringify(body), this.opts.timeoutMs ?? 30_000, token === undefined ? {} : { authorization: `Bearer ${token}` });
  }

  // ---------------------------------------------------------------- helpers, one per op

  setClock(fixmedinsCodes: string[], time: string) { return this.call('clock', { fixmedins_code: fixmedinsCodes, time }); }
  issueEvoucher(psnNo: string, fixmedinsCode: string) { return this.call('ec-issue', { psn_no: psnNo, fixmedins_code: fixmedinsCode }); }
  showEvoucher(psnNo: string, fixmedinsCode: string) { return this.call('ec-show', { psn_no: psnNo, fixmedins_code: fixmedinsCode }); }
  createPerson(p: ControlInputOf<'person'>) { return this.call('person', p); }
  createEmployer(e: ControlInputOf<'employer'>) { return this.call('employer', e); }
  createInstitution(i: ControlInputOf<'institution'>) { return this.call('institution', i); }
  createCatalogueItem(c: ControlInputOf<'catalogue-item'>) { return this.call('catalogue-item', c); }
  issueCard(c: ControlInputOf<'card'>) { return this.call('card', c); }
  activateCard(cardNo: string) { return this.call('card-activation', { card_no: cardNo }); }
  reportCardLoss(cardNo: string, channel?: 'phone' | 'web' | 'counter') { return this.call('card-loss', channel ? { card_no: cardNo, channel } : { card_no: cardNo }); }
  replaceCard(input: ControlInputOf<'card-replacement'>) { return this.call('card-replacement', input); }
  openingBalance(psnNo: string, amount: string, bucket: 'carried' | 'current' = 'carried') { return this.call('opening-balance', { psn_no: psnNo, amount, bucket }); }
  monthlyCredit(input: ControlInputOf<'monthly-credit'>) { return this.call('monthly-credit', input); }
  yearEndRollover(input: ControlInputOf<'year-end-close'>) { return this.call('year-end-close', input); }
  setEmployerArrears(empNo: string) { return this.call('employer-arrears', { emp_no: empNo }); }
  payEmployerArrears(empNo: string) { return this.call('arrears-paid', { emp_no: empNo }); }
  fileCrossRegion(input: ControlInputOf<'cross-region-filing'>) { return this.call('cross-region-filing', input); }
  claimReimbursement(input: ControlInputOf<'cash-claim'>) { return this.call('cash-claim', input); }
  queryClaim(claimId: string) { return this.call('claim', { claim_id: claimId }); }
  balance(psnNo: string, year?: number) { return this.call('balance', year === undefined ? { psn_no: psnNo } : { psn_no: psnNo, year }); }
  history(psnNo: string, limit?: number) { return this.call('history', limit === undefined ? { psn_no: psnNo } : { psn_no: psnNo, limit }); }
  receipts(q: ControlInputOf<'receipts'>) { return this.call('receipts', q); }
  ledgerCheck() { return this.call('ledger-check', {}); }
  findPerson(q: ControlInputOf<'person-query'>) { return this.call('person-query', q); }
}
