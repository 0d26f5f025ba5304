// The engine: envelope checks, msgid replay, one database transaction per request,
// dispatch to the platform's transactions and, apart, to the harness's control API;
// served over HTTP by http.ts.
import path from 'node:path';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { num, openDb } from './db';
import { CONTROL_SENDER, isMsgidTaken, replay, store } from './messages';
import { loadPolicies } from './policy';
import { loadWorld } from './world';
import { PLATFORM } from './platform';
import { CONTROL } from './agency';
import { BizError, check, req, str, id, en, dt, any, CODE, type Spec } from './validate';
import { REGION_CODE } from '../spec';
import { RuleError } from './rules';
import { type Ctx, type Env, type Handler, type InstRow, type Security, SenderRefusal, checkInstitution, show } from './context';
import { ENDPOINT, formatBizTime, formatStamp, msgidProblem, signature, SIGN_TYPES, type Response, type SignType } from '../platform';
import { controlRoutes, listenHttp, platformRoutes, MAX_BODY, type Front } from './http';
import type { Engine, EngineOptions, Route } from './types';

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
  recer_admdvs: id('接收方医保区划', REGION_CODE),
};

/** Platform transactions public HIS code sends that this engine does not implement, by name (the answer says which). */
const NOT_IMPLEMENTED: Record<string, string> = {
  '1162': '电子凭证解码', '1201': '医药机构信息获取', '3101': '事前明细审核', '3102': '事中明细审核', '4101': '结算清单信息上传',
};

/** What a control call carries: an id (replayed like a msgid), its business time, its input. */
const CONTROL_BODY: Spec = {
  id: req(str('调用ID', 64, { re: /^[A-Za-z0-9-]{8,64}$/, what: '8–64 位字母数字或 -' })),
  time: dt('业务时间', true), input: any('输入'),
};
const SIGNATURES_OFF = '签名校验已关闭（--signatures off），仅供调试首次对接，结果不能作为认证依据 / signatures are off: for debugging only';


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
  const controlToken = opts.controlToken ?? randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(controlToken);
  const security: Security = { signatures: opts.signatures !== 'off', freshnessMs: (opts.freshnessSeconds ?? 300) * 1000 };
  // The receiver's message id as the platform writes it: region (6) + time (14) + sequence (10).
  const refMsgid = (region: string) => `${/^\d{6}$/.test(region) ? region : '000000'}${formatStamp(new Date()).slice(0, 14)}${String(++seq % 1e10).padStart(10, '0')}`;

  /**
   * An answer; signed with the institution's key once the sender is established (`inst`),
   * in the signtype of its request (SM3 if that is not one we know).
   */
  function answer(infcode: number, output: unknown, err: string | null, started: Date, region = '', inst: InstRow | null = null, signtype?: unknown): Response {
    const res: Response = {
      infcode, inf_refmsgid: refMsgid(region), refmsg_time: formatStamp(started), respond_time: formatStamp(new Date()), err_msg: err,
      warn_msg: security.signatures ? null : SIGNATURES_OFF, cainfo: null, signtype: null, output: infcode === 0 ? output ?? {} : null,
    };
    if (!inst?.hmac_key) return res;
    res.signtype = SIGN_TYPES.includes(signtype as SignType) ? signtype as SignType : 'SM3';
    res.cainfo = signature(res as unknown as Record<string, unknown>, inst.hmac_key, res.signtype);
    return res;
  }

  async function handle(body: unknown, route?: Route): Promise<Response> {
    const started = new Date();
    let env: Env;
    let input: Record<string, unknown>;
    let handler: Handler;
    let hash: string;
    let message: Record<string, unknown>;
    let region = '';
    try {
      let parsed = body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const text = body.toString();
        if (text.length > MAX_BODY) throw new BizError('请求报文过大');
        try { parsed = JSON.parse(text); } catch { throw new BizError('请求报文不是合法的 JSON'); }
      }
      hash = createHash('sha256').update(JSON.stringify(parsed) ?? '').digest('hex');
      // Envelope fields the engine does not use (sender_admdvs, enctype, …) are accepted and
      // ignored; the signature still covers them, as it covers the whole message.
      env = check(known(parsed), ENVELOPE, '报文') as unknown as Env;
      message = parsed as Record<string, unknown>;
      region = env.mdtrtarea_admvs;
      const bad = msgidProblem(env.msgid, env.fixmedins_code);
      if (bad) throw new BizError(`报文ID msgid=${show(env.msgid)} 格式不符：${bad}（定点医药机构编号 + yyyyMMddHHmmss + 4 位顺序号）`);
      if (route && !route.infnos.includes(env.infno)) {
        throw new BizError(`交易编号 infno=${env.infno} 不能发到 ${route.path}：该路径只受理 ${route.infnos.join('、')}（或发到 ${ENDPOINT}）`);
      }
      // Only the platform's transactions: the harness's own calls have their own endpoint.
      const h = Object.hasOwn(PLATFORM, env.infno) ? PLATFORM[env.infno] : undefined;
      if (!h) {
        const name = Object.hasOwn(NOT_IMPLEMENTED, env.infno) ? `（${NOT_IMPLEMENTED[env.infno]}）` : '';
        throw new BizError(`本引擎未实现交易 ${env.infno}${name}：已实现的交易见 engine/README.md「Platform transactions」`);
      }
      handler = h;
      let raw = (parsed as { input: unknown }).input;
      if (raw === undefined || raw === null) throw new BizError('缺少必填字段 报文.input（交易输入）');
      raw = unwrap(raw, h.wrap);
      input = check(raw, h.spec, 'input');
    } catch (e) {
      if (e instanceof BizError) return answer(-1, null, e.message, started, region);
      if (opts.log) console.error(e);
      return answer(-1, null, '系统内部错误', started, region);
    }
    return run(env, input, handler, hash, message, started);
  }

  /** One checked request in one database transaction; its answer kept under its sender and msgid. */
  async function run(env: Env, input: Record<string, unknown>, handler: Handler, hash: string, message: Record<string, unknown>, started: Date): Promise<Response> {
    // The institution once established (the last attempt's, if the transaction was retried): it signs the answer.
    let sender: InstRow | null = null;
    const reply = (infcode: number, out: unknown, err: string | null) => answer(infcode, out, err, started, env.mdtrtarea_admvs, sender, message.signtype);
    try {
      const response = await db.tx(async (q) => {
        sender = null;
        const ctx: Ctx = {
          q, env, time: env.inf_time, date: env.inf_time.slice(0, 10), inst: null, message, security, policies, hash, stored: null,
          answer: (out) => { sender = ctx.inst; return reply(0, out, null); },
          refusal: (err) => { sender = ctx.inst; return reply(-1, null, err); },
        };
        if (handler.platform && !handler.ownInstitution) sender = ctx.inst = await institution(ctx, institutions);
        const output = await handler.run(ctx, input);
        if (ctx.stored) return ctx.stored; // the handler kept the answer in its own write
        const res = ctx.answer(output);
        await store(env, hash, res, q);
        return res;
      });
      return response;
    } catch (e) {
      if (isMsgidTaken(e)) return db.tx((q) => replay(env, hash, q));
      if (e instanceof SenderRefusal) return answer(-1, null, e.message, started, env.mdtrtarea_admvs);
      if (e instanceof BizError || e instanceof RuleError) {
        const res = reply(-1, null, e.message);
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
      if (code === '23505') return reply(-1, null, `数据重复，不能重复创建（${(e as { constraint?: string }).constraint ?? '唯一约束'}）`);
      return reply(-1, null, `系统内部错误：${(e as Error).message?.slice(0, 200) ?? ''}`);
    }
  }

  /** A control call: the run's token, a known op, its body; never an institution's request. */
  async function control(op: string, body: unknown, token: string | undefined): Promise<Response> {
    const started = new Date();
    let env: Env;
    let input: Record<string, unknown>;
    let handler: Handler;
    let hash: string;
    try {
      const given = Buffer.from(token ?? '');
      if (given.length !== tokenBytes.length || !timingSafeEqual(given, tokenBytes)) {
        throw new BizError('控制接口需要本次运行的令牌（Authorization: Bearer <token>，由 medcard engine 打印）/ the control API needs this run\'s token');
      }
      const h = Object.hasOwn(CONTROL, op) ? CONTROL[op] : undefined;
      if (!h) throw new BizError(`控制接口 ${show(op)} 不存在；可用：${Object.keys(CONTROL).join(', ')}`);
      handler = h;
      let parsed = body;
      if (typeof body === 'string') { try { parsed = JSON.parse(body); } catch { throw new BizError('请求报文不是合法的 JSON'); } }
      const b = check(parsed, CONTROL_BODY, '控制调用') as { id: string; time: string; input: unknown };
      if (b.input === undefined || b.input === null) throw new BizError('缺少必填字段 控制调用.input（输入）');
      input = check(b.input, h.spec, 'input');
      hash = createHash('sha256').update(op).update('\0').update(JSON.stringify(parsed)).digest('hex');
      env = { infno: op, msgid: b.id, inf_time: b.time, fixmedins_code: CONTROL_SENDER, mdtrtarea_admvs: '' };
    } catch (e) {
      if (e instanceof BizError) return answer(-1, null, e.message, started);
      return answer(-1, null, '系统内部错误', started);
    }
    return run(env, input, handler, hash, {}, started);
  }

  let front: Front | null = null;
  let inProcessRoutes: ReturnType<typeof platformRoutes> | undefined;
  const engine: Engine = {
    backend: db.kind,
    controlToken,
    handle: (b, route) => handle(b, route).catch((e) => answer(-1, null, `系统内部错误：${(e as Error).message}`, new Date())),
    async servePlatform(method, path, b) {
      const route = (inProcessRoutes ??= platformRoutes(engine.handle))[`${method} ${path}`];
      return route ? route({ body: b, headers: {} }) : { status: 404, body: { infcode: -1, err_msg: `请使用 POST ${ENDPOINT} / no such route: use POST ${ENDPOINT}`, output: null } };
    },
    control: (op, b, token) => control(op, b, token).catch((e) => answer(-1, null, `系统内部错误：${(e as Error).message}`, new Date())),
    async listen(port = 0, host = '127.0.0.1') {
      front = await listenHttp({
        port, host, allowedHosts: opts.allowedHosts, signatures: security.signatures,
        // The control API only where this machine alone can reach it, unless asked for.
        routes: (loopback) => ({ ...platformRoutes(engine.handle), ...(loopback || opts.controlOnAllAddresses ? controlRoutes(Object.keys(CONTROL), engine.control) : {}) }),
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

/** The envelope's own fields of a body (an object); the body itself otherwise, for check() to refuse. */
function known(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => Object.hasOwn(ENVELOPE, k)));
}

/** The platform nests most inputs (`{data: {...}}`, `{mdtrtinfo, diseinfo}`, …); we accept both forms. */
function unwrap(raw: unknown, wrap: Handler['wrap']): unknown {
  if (!wrap || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const withDiagnoses = wrap === 'mdtrtinfo' || wrap === 'dscginfo' || wrap === 'adminfo';
  if (!withDiagnoses && keys.length === 1 && keys[0] === wrap && isObj(o[wrap])) return o[wrap];
  if (withDiagnoses && keys.includes(wrap) && keys.every((k) => k === wrap || k === 'diseinfo') && isObj(o[wrap])) {
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
  const [r] = await ctx.q.query<{ signin: string | null; clock_offset: unknown }>(
    `SELECT (SELECT fixmedins_code FROM signins WHERE sign_no = $1) AS signin, (SELECT offset_ms FROM clocks WHERE code = $2) AS clock_offset`, [ctx.env.sign_no ?? null, code]);
  return checkInstitution(ctx, row, r?.signin ?? null, num(r?.clock_offset ?? 0));
}
