// The engine: envelope checks, msgid replay, one database transaction per request,
// dispatch to the transaction tables; served over HTTP by http.ts.
import path from 'node:path';
import { createHash } from 'node:crypto';
import { openDb } from './db';
import { isMsgidTaken, replay, store } from './messages';
import { loadPolicies } from './policy';
import { loadWorld } from './world';
import { PLATFORM, type Handler } from './platform';
import { AGENCY } from './agency';
import { BizError, check, req, str, id, en, dt, any, CODE, type Spec } from './validate';
import { REGION_CODE } from '../spec';
import { RuleError } from './rules';
import { type Ctx, type Env, type InstRow, checkInstitution, show } from './context';
import { formatBizTime } from '../platform';
import { listenHttp, platformRoutes, MAX_BODY, type Front } from './http';
import type { Response } from '../platform';
import type { Engine, EngineOptions } from './types';

const ENVELOPE: Spec = {
  infno: req(str('交易编号', 4, { re: /^[0-9]{4}$/, what: '4 位数字' })),
  msgid: req(str('报文ID', 40, { re: /^[A-Za-z0-9]{10,40}$/, what: '10–40 位字母数字（机构编号+时间+序号）' })),
  mdtrtarea_admvs: req(id('就医地医保区划', REGION_CODE)),
  insuplc_admdvs: id('参保地医保区划', REGION_CODE),
  recer_sys_code: str('接收方系统代码', 20, { re: /^[A-Za-z0-9_]*$/ }),
  dev_no: str('设备编号', 100), dev_safe_info: str('设备安全信息', 500), cainfo: str('数字签名信息', 1024), signtype: str('签名类型', 20),
  infver: str('接口版本号', 10, { re: /^[A-Za-z0-9.]*$/ }), opter_type: en('经办人类别', ['1', '2', '3']), opter: str('经办人', 30), opter_name: str('经办人姓名', 50),
  inf_time: dt('交易时间', true), fixmedins_code: req(str('定点医药机构编号', 30, { re: CODE, what: '字母数字' })), fixmedins_name: str('定点医药机构名称', 100),
  sign_no: str('签到编号', 30, { re: /^[A-Za-z0-9]*$/ }), fixmedins_soft_fcty: str('定点医药机构软件厂商', 100), input: any('交易输入'),
};

const HANDLERS: Record<string, Handler> = { ...PLATFORM, ...AGENCY };

export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  const root = path.resolve(__dirname, '..');
  const fixturesDir = opts.fixturesDir ?? path.join(root, 'fixtures');
  const policies = loadPolicies(opts.policyDir ?? path.join(fixturesDir, 'policies'));
  const db = await openDb({ databaseUrl: opts.databaseUrl ?? undefined, pgliteDir: opts.pgliteDir, poolSize: opts.poolSize, waitForDatabaseMs: opts.waitForDatabaseMs });
  if ((opts.world ?? 'fixtures') === 'fixtures') {
    try {
      await db.tx((q) => loadWorld(q, path.join(fixturesDir, 'world'), formatBizTime(new Date()).slice(0, 10)));
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  // Institutions are only ever inserted, never changed or deleted, so a row once read stays
  // true: read at most once per engine, not at the start of every transaction.
  const institutions = new Map<string, InstRow>();
  let seq = 0;
  const refMsgid = () => `MEDCARD${formatBizTime(new Date()).replace(/[- :]/g, '')}${String(++seq % 1_000_000).padStart(6, '0')}`;

  function answer(infcode: number, output: unknown, err: string | null, started: Date): Response {
    return { infcode, inf_refmsgid: refMsgid(), refmsg_time: formatBizTime(started), respond_time: formatBizTime(new Date()), err_msg: err, warn_msg: null, output: infcode === 0 ? output ?? {} : null };
  }

  async function handle(body: unknown): Promise<Response> {
    const started = new Date();
    let env: Env;
    let input: Record<string, unknown>;
    let handler: Handler;
    let hash: string;
    try {
      let parsed = body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const text = body.toString();
        if (text.length > MAX_BODY) throw new BizError('请求报文过大');
        try { parsed = JSON.parse(text); } catch { throw new BizError('请求报文不是合法的 JSON'); }
      }
      hash = createHash('sha256').update(JSON.stringify(parsed) ?? '').digest('hex');
      env = check(parsed, ENVELOPE, '报文') as unknown as Env;
      const h = HANDLERS[env.infno];
      if (!h) throw new BizError(`交易编号 infno=${show(env.infno)} 不存在或本引擎不支持`);
      handler = h;
      let raw = (parsed as { input: unknown }).input;
      if (raw === undefined || raw === null) throw new BizError('缺少必填字段 报文.input（交易输入）');
      raw = unwrap(raw, h.wrap);
      input = check(raw, h.spec, 'input');
    } catch (e) {
      if (e instanceof BizError) return answer(-1, null, e.message, started);
      if (opts.log) console.error(e);
      return answer(-1, null, '系统内部错误', started);
    }
    try {
      const response = await db.tx(async (q) => {
        const ctx: Ctx = { q, env, time: env.inf_time, date: env.inf_time.slice(0, 10), inst: null, policies, hash, answer: (out) => answer(0, out, null, started), stored: null };
        if (handler.platform && !handler.ownInstitution) ctx.inst = await institution(ctx, institutions);
        const output = await handler.run(ctx, input);
        if (ctx.stored) return ctx.stored; // the handler kept the answer in its own write
        const res = answer(0, output, null, started);
        await store(env, hash, res, q);
        return res;
      });
      return response;
    } catch (e) {
      if (isMsgidTaken(e)) return db.tx((q) => replay(env, hash, q));
      if (e instanceof BizError || e instanceof RuleError) {
        const res = answer(-1, null, e.message, started);
        try {
          await db.tx((q) => store(env, hash, res, q));
          return res;
        } catch (e2) {
          if (isMsgidTaken(e2)) return db.tx((q) => replay(env, hash, q));
          throw e2;
        }
      }
      if (opts.log) console.error(e);
      const code = (e as { code?: string }).code;
      if (code === '23505') return answer(-1, null, `数据重复，不能重复创建（${(e as { constraint?: string }).constraint ?? '唯一约束'}）`, started);
      return answer(-1, null, `系统内部错误：${(e as Error).message?.slice(0, 200) ?? ''}`, started);
    }
  }

  let front: Front | null = null;
  const engine: Engine = {
    backend: db.kind,
    handle: (b) => handle(b).catch((e) => answer(-1, null, `系统内部错误：${(e as Error).message}`, new Date())),
    async listen(port = 0, host = '127.0.0.1') {
      front = await listenHttp({
        port, host, routes: () => platformRoutes(engine.handle), allowedHosts: opts.allowedHosts,
        headersTimeoutMs: opts.headersTimeoutMs, bodyTimeoutMs: opts.bodyTimeoutMs, log: opts.log ? (line) => console.error(line) : undefined,
      });
      return { url: front.url, port: front.port };
    },
    async close() {
      await front?.close();
      front = null;
      await db.close();
    },
  };
  return engine;
}

/** The platform nests most inputs (`{data: {...}}`, `{mdtrtinfo, diseinfo}`, …); we accept both forms. */
function unwrap(raw: unknown, wrap: Handler['wrap']): unknown {
  if (!wrap || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if ((wrap === 'data' || wrap === 'signIn') && keys.length === 1 && keys[0] === wrap && isObj(o[wrap])) return o[wrap];
  if ((wrap === 'mdtrtinfo' || wrap === 'dscginfo') && keys.includes(wrap) && keys.every((k) => k === wrap || k === 'diseinfo') && isObj(o[wrap])) {
    return o.diseinfo === undefined ? o[wrap] : { ...(o[wrap] as object), diseinfo: o.diseinfo };
  }
  if (wrap === 'mdtrtinfo' && keys.length === 1 && keys[0] === 'data' && isObj(o.data)) return o.data;
  return raw;
}

async function institution(ctx: Ctx, known: Map<string, InstRow>): Promise<InstRow> {
  const code = ctx.env.fixmedins_code;
  let row = known.get(code);
  if (!row) {
    row = (await ctx.q.query<InstRow & Record<string, unknown>>(`SELECT * FROM institutions WHERE code = $1`, [code]))[0];
    if (row) known.set(code, row); // an unknown code is asked again: it may be registered later
  }
  const signin = ctx.env.sign_no ? await ctx.q.query<{ fixmedins_code: string }>(`SELECT fixmedins_code FROM signins WHERE sign_no = $1`, [ctx.env.sign_no]) : [];
  return checkInstitution(ctx.env, row, signin[0]?.fixmedins_code ?? null);
}
