// The typed client of the settlement interface (shared/platform-api.md).
// The reference terminal and the steps use it against our engine or a vendor's: over HTTP
// (`url`) or in-process (`handle`, e.g. `engine.handle` from createEngine()).
import http from 'node:http';
import https from 'node:https';
import { BizClock, makeMsgid } from './clock';
import { signature, SIGN_TYPES } from './signature';
import type { Envelope, EnvelopeOverrides, FeeLine, Infno, InputOf, OutputOf, PlatformClientOptions, Response, SettleInput, SettleOutput, SignType } from './types';

/** The platform's endpoint path (platform-api.md §1, Decision). */
export const ENDPOINT = '/fsi/api/rsfComIfsService/callService';

/**
 * The per-service paths some HIS post to instead of the gateway (platform-api.md §3a), each
 * with the infnos it takes; as public HIS integrations spell them (engine/README.md).
 */
/** The nodes public HIS code nests a transaction's input in (`{"data": {...}}`, `{"mdtrtinfo": {...}, "diseinfo": [...]}`); the flat form is accepted as well. */
export const INPUT_NESTS = ['data', 'mdtrtinfo', 'dscginfo', 'adminfo', 'signIn', 'signOut', 'invinfo', 'purcinfo', 'selinfo', 'fsUploadIn', 'fsDownloadIn'] as const;
export type InputNest = typeof INPUT_NESTS[number];

export const SERVICE_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/fsi/api/signInSignOutService/signIn': ['9001'],
  '/fsi/api/signInSignOutService/signOut': ['9002'],
  '/fsi/api/fsiPsnInfoService/queryPsnInfo': ['1101'],
  '/fsi/api/outpatientDocInfoService/outpatientRregistration': ['2201'],
  '/fsi/api/outpatientDocInfoService/outpatientRegistrationCancel': ['2202'],
  '/fsi/api/outpatientDocInfoService/outpatientMdtrtinfoUp': ['2203'],
  '/fsi/api/outpatientDocInfoService/outpatientFeeListUp': ['2204'],
  '/fsi/api/outpatientDocInfoService/outpatientFeeListUpCancel': ['2205'],
  '/fsi/api/outpatientSettleService/preSettletment': ['2206'],
  '/fsi/api/outpatientSettleService/saveSettletment': ['2207'],
  '/fsi/api/outpatientSettleService/saveSettletmentV2': ['2207'],
  '/fsi/api/outpatientSettleService/cancleSettletment': ['2208'],
  '/fsi/api/hospFeeDtlService/feeDtlUp': ['2301'],
  '/fsi/api/hospFeeDtlService/feeDtlCl': ['2302'],
  '/fsi/api/hospSettService/preSett': ['2303'],
  '/fsi/api/hospSettService/sett': ['2304'],
  '/fsi/api/hospSettService/settV2': ['2304'],
  '/fsi/api/hospSettService/settCl': ['2305'],
  '/fsi/api/hospitalRegisterService/hospitalRegisterSave': ['2401'],
  '/fsi/api/dscgService/dischargeProcess': ['2402'],
  '/fsi/api/reverseService/revsMethod': ['2601'],
  '/fsi/api/fsiIntegratedQueryService/querySetlInfo': ['5203'],
  // 2001, 2403–2405, 5204, 5206, 3501–3507 (the paths public HIS code posts them to)
  '/fsi/api/fsiPsnPriorityInfoService/queryPsnPriorityInfo': ['2001'],
  '/fsi/api/hospitalRegisterService/hospitalRegisterEdit': ['2403'],
  '/fsi/api/hospitalRegisterService/hospitalRegisterCancel': ['2404'],
  '/fsi/api/dscgService/dischargeUndo': ['2405'],
  '/fsi/api/fsiIntegratedQueryService/queryFeeList': ['5204'],
  '/fsi/api/fsiIntegratedQueryService/queryFixmedinsPracPsnSum': ['5206'],
  '/fsi/api/goodsService/goodsUpload': ['3501'],
  '/fsi/api/goodsService/goodsUpdate': ['3502'],
  '/fsi/api/goodsService/goodsBuy': ['3503'],
  '/fsi/api/goodsService/goodsBuyReturn': ['3504'],
  '/fsi/api/goodsService/goodsSell': ['3505'],
  '/fsi/api/goodsService/goodsSellReturn': ['3506'],
  '/fsi/api/goodsService/goodsInfoDelete': ['3507'],
};

/** A failed transaction: infcode ≠ 0. err_msg is the engine's Chinese message. */
export class PlatformError extends Error {
  constructor(readonly infcode: number, readonly errMsg: string, readonly infno: string, readonly response?: Response) {
    super(`[${infno}] infcode ${infcode}: ${errMsg}`);
    this.name = 'PlatformError';
  }
}

// ------------------------------------------------------------------ HTTP

// node:http with kept-alive connections: a call costs about 0.3 ms here, fetch() about 1.2 ms.
const AGENTS = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * POST one JSON body and read the JSON answer. A kept-alive connection the server closed
 * meanwhile is retried once on a new one: safe, as a platform request is idempotent by msgid.
 */
export function postJson(url: URL, body: string, timeoutMs: number, headers: Record<string, string> = {}, retried = false): Promise<Response> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const req = mod.request(url, {
      method: 'POST', agent: AGENTS[url.protocol as 'http:' | 'https:'], timeout: timeoutMs,
      headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(JSON.parse(text) as Response);
        } catch {
          reject(new Error(`the engine at ${url.href} answered HTTP ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && !retried && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        resolve(postJson(url, body, timeoutMs, headers, true));
        return;
      }
      reject(new Error(`the engine at ${url.href} did not answer (${err.code ?? err.message})`, { cause: err }));
    });
    req.end(body);
  });
}

// ------------------------------------------------------------------ client

export class PlatformClient {
  readonly clock: BizClock;
  signNo: string | undefined;
  insuplcAdmdvs: string | undefined;
  private readonly endpoint: URL | undefined;

  constructor(readonly opts: PlatformClientOptions) {
    if (!opts.url && !opts.handle) throw new Error('PlatformClient needs url or handle');
    this.clock = opts.clock ?? new BizClock();
    this.signNo = opts.signNo;
    this.insuplcAdmdvs = opts.insuplcAdmdvs;
    if (opts.url) this.endpoint = new URL(opts.url.includes('/fsi/') ? opts.url : opts.url.replace(/\/+$/, '') + ENDPOINT);
  }

  /** A fresh msgid for this client's institution. */
  msgid(): string { return makeMsgid(this.opts.fixmedinsCode); }

  /** The envelope that `call` would send (for tests that tamper with it). */
  envelope<I extends Infno>(infno: I, input: InputOf<I>, overrides: EnvelopeOverrides = {}): Envelope<InputOf<I>> {
    const env: Envelope<InputOf<I>> = {
      infno,
      msgid: overrides.msgid ?? this.msgid(),
      mdtrtarea_admvs: this.opts.regionCode,
      recer_sys_code: 'MEDCARD',
      dev_no: '',
      dev_safe_info: '',
      cainfo: '',
      signtype: '',
      infver: 'V1.0',
      opter_type: this.opts.opterType ?? '1',
      opter: this.opts.operator ?? '0001',
      opter_name: this.opts.operatorName ?? '测试操作员',
      inf_time: this.clock.text(),
      fixmedins_code: this.opts.fixmedinsCode,
      fixmedins_name: this.opts.fixmedinsName ?? '',
      input,
    };
    if (this.insuplcAdmdvs) env.insuplc_admdvs = this.insuplcAdmdvs;
    if (this.signNo) env.sign_no = this.signNo;
    Object.assign(env, overrides, { infno, input });
    if (this.opts.key && overrides.cainfo === undefined) {
      env.signtype = overrides.signtype ?? this.opts.signType ?? 'SM3';
      // A test may ask for a type the platform does not know: sent unsigned, to be refused.
      if (SIGN_TYPES.includes(env.signtype as SignType)) env.cainfo = signature(env as unknown as Record<string, unknown>, this.opts.key, env.signtype as SignType);
    }
    return env;
  }

  /** Send one transaction; resolves to its output, rejects with PlatformError when infcode ≠ 0. */
  async call<I extends Infno>(infno: I, input: InputOf<I>, overrides: EnvelopeOverrides = {}): Promise<OutputOf<I>> {
    const res = await this.raw(this.envelope(infno, input, overrides));
    if (res.infcode !== 0) throw new PlatformError(res.infcode, res.err_msg ?? '', infno, res);
    return res.output as OutputOf<I>;
  }

  /** Send any body (even a malformed one) and return the response envelope as is. */
  async raw(body: unknown): Promise<Response> {
    const t0 = Date.now();
    let res: Response;
    if (this.opts.handle) {
      res = await this.opts.handle(body);
    } else {
      res = await postJson(this.endpoint!, typeof body === 'string' ? body : JSON.stringify(body), this.opts.timeoutMs ?? 30_000, {}, this.opts.resendOnReset === false);
    }
    this.opts.onExchange?.(body as Envelope, res, Date.now() - t0);
    return res;
  }

  // ---------------------------------------------------------------- platform helpers

  async signIn(input: InputOf<'9001'> = {}) {
    const out = await this.call('9001', input);
    this.signNo = out.signinoutb.sign_no;
    return out;
  }
  /** 1101 by social security card (03), ID card (02) or e-voucher (01). Remembers insuplc_admdvs. */
  async personLookup(input: InputOf<'1101'>, o?: EnvelopeOverrides) {
    const out = await this.call('1101', input, o);
    this.insuplcAdmdvs = out.insuinfo[0]?.insuplc_admdvs ?? this.insuplcAdmdvs;
    return out;
  }
  lookupByCard(cardNo: string, cardSn?: string, o?: EnvelopeOverrides) {
    return this.personLookup({ mdtrt_cert_type: '03', mdtrt_cert_no: cardNo, ...(cardSn ? { card_sn: cardSn } : {}) }, o);
  }
  lookupById(certno: string, o?: EnvelopeOverrides) {
    return this.personLookup({ mdtrt_cert_type: '02', mdtrt_cert_no: certno, certno, psn_cert_type: '01' }, o);
  }
  register(input: InputOf<'2201'>, o?: EnvelopeOverrides) { return this.call('2201', input, o); }
  cancelRegistration(input: InputOf<'2202'>, o?: EnvelopeOverrides) { return this.call('2202', input, o); }
  uploadVisitInfo(input: InputOf<'2203'>, o?: EnvelopeOverrides) { return this.call('2203', input, o); }
  uploadFees(feedetail: FeeLine[], o?: EnvelopeOverrides) { return this.call('2204', { feedetail }, o); }
  cancelFees(input: InputOf<'2205'>, o?: EnvelopeOverrides) { return this.call('2205', input, o); }
  preSettle(input: SettleInput, o?: EnvelopeOverrides): Promise<SettleOutput> { return this.call('2206', input, o); }
  settle(input: SettleInput, o?: EnvelopeOverrides): Promise<SettleOutput> { return this.call('2207', input, o); }
  reverse(input: InputOf<'2208'>, o?: EnvelopeOverrides) { return this.call('2208', input, o); }
  admit(input: InputOf<'2401'>, o?: EnvelopeOverrides) { return this.call('2401', input, o); }
  uploadInpatientFees(feedetail: FeeLine[], o?: EnvelopeOverrides) { return this.call('2301', { feedetail }, o); }
  preSettleInpatient(input: SettleInput, o?: EnvelopeOverrides) { return this.call('2303', input, o); }
  settleInpatient(input: SettleInput, o?: EnvelopeOverrides) { return this.call('2304', input, o); }
  reverseInpatient(input: InputOf<'2305'>, o?: EnvelopeOverrides) { return this.call('2305', input, o); }
  discharge(input: InputOf<'2402'>, o?: EnvelopeOverrides) { return this.call('2402', input, o); }
  querySettlement(input: InputOf<'5203'>, o?: EnvelopeOverrides) { return this.call('5203', input, o); }
}
