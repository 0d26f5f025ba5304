// The client of the local e-voucher component (医保电子凭证本地组件): what an HIS's
// `NationEcTrans(url, inJson, out)` posts, `transType` `ec.query`, and its answer. Public HIS
// code posts it to `…/localcfc/api/hsecfc/localQrCodeQuery` (engine/README.md "The e-voucher").
import { postJson } from './client';
import type { EcAnswer, EcQueryData, EcQueryRequest } from './types';

/** The component's path, as public HIS code calls it. */
export const EC_QUERY_PATH = '/localcfc/api/hsecfc/localQrCodeQuery';

export interface EvoucherClientOptions {
  /** Base URL of the service (the engine's, e.g. http://127.0.0.1:8080). */
  url?: string;
  /** In-process transport instead of HTTP, e.g. `engine.ecQuery`. */
  handle?: (body: unknown) => Promise<EcAnswer>;
  /** The institution the component is installed at (`orgId`). */
  orgId: string;
  operatorId?: string;
  operatorName?: string;
  officeId?: string;
  officeName?: string;
  timeoutMs?: number;
}

/** The component refused (no e-voucher shown, unknown institution, …): its code and message. */
export class EvoucherError extends Error {
  constructor(readonly code: number, readonly errMsg: string) {
    super(`电子凭证组件返回 ${code}：${errMsg}`);
    this.name = 'EvoucherError';
  }
}

export class EvoucherClient {
  constructor(readonly opts: EvoucherClientOptions) {
    if (!opts.url && !opts.handle) throw new Error('EvoucherClient needs url or handle');
  }

  /** The request as public HIS code builds it: orgId outside and inside data; businessType 01101 (outpatient registration). */
  request(businessType = '01101'): EcQueryRequest {
    const o = this.opts;
    return {
      orgId: o.orgId, transType: 'ec.query',
      data: { orgId: o.orgId, businessType, operatorId: o.operatorId ?? '001', operatorName: o.operatorName ?? '收费员', officeId: o.officeId ?? '01', officeName: o.officeName ?? '门诊收费处', deviceType: '' },
    };
  }

  /** ec.query: the token of the e-voucher shown at the counter; rejects with EvoucherError when refused. */
  async query(businessType?: string): Promise<EcQueryData> {
    const res = await this.raw(this.request(businessType));
    // Something else at the address (the engine's 404 envelope, a proxy's page): no e-voucher read.
    if (typeof res?.code !== 'number') throw new EvoucherError(-1, `${this.opts.url ?? ''}${EC_QUERY_PATH} 不是电子凭证组件：${JSON.stringify(res).slice(0, 120)}`);
    if (res.code !== 0 || !res.data) throw new EvoucherError(res.code, res.message);
    return res.data;
  }

  /** Send any body and return the answer as is. */
  async raw(body: unknown): Promise<EcAnswer> {
    if (this.opts.handle) return this.opts.handle(body);
    const url = new URL(EC_QUERY_PATH, this.opts.url!.replace(/\/fsi\/.*$/, '').replace(/\/+$/, ''));
    return (await postJson(url, typeof body === 'string' ? body : JSON.stringify(body), this.opts.timeoutMs ?? 30_000)) as unknown as EcAnswer;
  }
}
