// Shared by the engine tests: engines on PGlite or on a fresh PostgreSQL database, and a
// small world built through the control API only (domain.md §1), institutions signed in.
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../../engine';
import { ControlClient, PlatformClient, type FeeLine } from '../../platform';
import { makeIdNumber } from '../../spec';

export const PG_ADMIN = process.env.MEDCARD_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function pgAvailable(): Promise<boolean> {
  const c = new Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
}

/** A fresh database; returns its URL and a function that drops it. */
export async function tempDatabase(tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `medcard_${tag}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const a = new Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface Backend { name: 'pglite' | 'postgres'; start: () => Promise<{ engine: Engine; stop: () => Promise<void> }> }

export function backends(): Backend[] {
  return [
    { name: 'pglite', start: async () => { const engine = await createEngine({ world: 'empty' }); return { engine, stop: () => engine.close() }; } },
    {
      name: 'postgres', start: async () => {
        const db = await tempDatabase('api');
        const engine = await createEngine({ databaseUrl: db.url, world: 'empty' });
        return { engine, stop: async () => { await engine.close(); await db.drop(); } };
      },
    },
  ];
}

export const CQ = '500000';
export const BJ = '110000';
export const AGENCY = 'AGENCY0000001';

/** The test signing key of an institution (baseWorld registers each with its own). */
export const testKey = (code: string) => `test-key-${code}`;

/** The control API of an engine, in-process or over HTTP, its clock at `time`. */
export function controlOf(engine: Engine, time: string, url?: string): ControlClient {
  const c = url ? new ControlClient({ url, token: engine.controlToken }) : new ControlClient({ handle: engine.control, token: engine.controlToken });
  c.clock.set(time);
  return c;
}

/** An institution's platform client (its test key, its clock at `time`), not signed in yet: signIn() before business. */
export function institutionClient(transport: { url: string } | { handle: Engine['handle'] }, code: string, region: string, time: string): PlatformClient {
  const c = new PlatformClient({ ...transport, fixmedinsCode: code, regionCode: region, key: testKey(code) });
  c.clock.set(time);
  return c;
}

/** The clients, in-process, or over HTTP when `url` is the engine's (engine.listen). */
export function clients(engine: Engine, today: string, url?: string) {
  const agency = controlOf(engine, today, url);
  const h = (code: string, region: string) => institutionClient(url ? { url } : { handle: engine.handle }, code, region, today);
  const h3 = h('H50000000003', CQ);
  const h1 = h('H50000000001', CQ);
  const bj = h('H11000000003', BJ);
  const bj1 = h('H11000000001', BJ);
  return { agency, h3, h1, bj, bj1, all: [h3, h1, bj, bj1] };
}

/** An empty-world engine served on 127.0.0.1, its base world made, its hospitals signed in over HTTP. */
export async function servedBaseWorld(today: string) {
  const engine = await createEngine({ world: 'empty' });
  const { url } = await engine.listen(0, '127.0.0.1');
  const c = clients(engine, today, url);
  await baseWorld(c.agency, c.all);
  return { engine, url, c };
}

let serial = 0;
export const uniq = (p: string) => `${p}${process.pid % 1000}${String(++serial).padStart(5, '0')}`;

const BASE_INSTITUTIONS = ['H50000000003', 'H50000000001', 'H50000000009', 'H11000000003', 'H11000000001'];

/**
 * Institutions (each with its test key, its business clock at the agency's time) and the
 * catalogue for both regions; then `hospitals` sign in (9001), as their software would.
 */
export async function baseWorld(agency: ControlClient, hospitals: PlatformClient[] = []): Promise<void> {
  await agency.createEmployer({ emp_no: 'E500001', emp_name: '重庆山城机械有限公司', insuplc_admdvs: CQ });
  await agency.createEmployer({ emp_no: 'E500002', emp_name: '重庆江北物流有限公司', insuplc_admdvs: CQ });
  await agency.createEmployer({ emp_no: 'E110001', emp_name: '北京京华科技有限公司', insuplc_admdvs: BJ });
  await agency.createInstitution({ fixmedins_code: 'H50000000003', fixmedins_name: '重庆市第一人民医院', admvs: CQ, hosp_lv: 3, fixmedins_type: 'hospital', designated: true, key: testKey('H50000000003') });
  await agency.createInstitution({ fixmedins_code: 'H50000000001', fixmedins_name: '渝中区社区卫生服务中心', admvs: CQ, hosp_lv: 1, fixmedins_type: 'clinic', designated: true, key: testKey('H50000000001') });
  await agency.createInstitution({ fixmedins_code: 'H50000000009', fixmedins_name: '某非定点诊所', admvs: CQ, hosp_lv: 1, fixmedins_type: 'clinic', designated: false, key: testKey('H50000000009') });
  await agency.createInstitution({ fixmedins_code: 'H11000000003', fixmedins_name: '北京朝阳医院', admvs: BJ, hosp_lv: 3, fixmedins_type: 'hospital', designated: true, key: testKey('H11000000003') });
  await agency.createInstitution({ fixmedins_code: 'H11000000001', fixmedins_name: '朝阳区社区卫生服务中心', admvs: BJ, hosp_lv: 1, fixmedins_type: 'clinic', designated: true, key: testKey('H11000000001') });
  await agency.createCatalogueItem({ med_list_codg: 'A001', name: '普通门诊诊查费', cls: 'A' });
  await agency.createCatalogueItem({ med_list_codg: 'A002', name: '阿莫西林胶囊', cls: 'A', pric_uplmt_amt: '30.00' });
  await agency.createCatalogueItem({ med_list_codg: 'B001', name: '头孢克洛缓释片', cls: 'B' });
  await agency.createCatalogueItem({ med_list_codg: 'B002', name: '核磁共振检查', cls: 'B', selfpay_prop: '0.20' });
  await agency.createCatalogueItem({ med_list_codg: 'S001', name: '保健品', cls: 'self' });
  await agency.setClock(BASE_INSTITUTIONS, agency.clock.text());
  for (const h of hospitals) await h.signIn();
}

let idSerial = 0;
/** 18-digit ID number with a valid check character. */
export function certno(region: string, birth: string): string {
  return makeIdNumber(region, birth, (process.pid * 7 + ++idSerial) % 1000);
}

let cardSerial = 0;
export async function person(agency: ControlClient, o: { region?: string; birth?: string; base?: string; emp?: string | null; opening?: string; card?: boolean; insutype?: '310' | '390'; insuDate?: string; retired?: boolean; pension?: string }) {
  const region = o.region ?? CQ;
  const psn = uniq('P');
  const birth = o.birth ?? '1990-01-01';
  await agency.createPerson({
    psn_no: psn, psn_name: '测试人员', certno: certno(region, birth), gend: '1', brdy: birth, insutype: o.insutype ?? '310', insuplc_admdvs: region,
    psn_insu_date: o.insuDate ?? '2015-07-01', emp_no: o.emp === undefined ? (region === CQ ? 'E500001' : 'E110001') : o.emp,
    contribution_base: o.base ?? '2700.00', ...(o.retired ? { retired: true, pension: o.pension } : {}),
  });
  if (o.opening) await agency.openingBalance(psn, o.opening);
  let card: string | null = null;
  if (o.card !== false) {
    card = `C${String(process.pid % 1000).padStart(3, '0')}${String(++cardSerial).padStart(5, '0')}`;
    await agency.issueCard({ card_no: card, card_sn: `${region}D156${String(cardSerial).padStart(22, '0')}`, psn_no: psn, issue_date: '2015-07-01', expiry_date: '2035-07-01', admvs: region });
    await agency.activateCard(card);
  }
  return { psn, card: card!, certno: '' };
}

export const line = (sn: string, code: string, amount: string, o: { cnt?: string | number; pric?: string; time?: string } = {}): Omit<FeeLine, 'mdtrt_id' | 'psn_no'> => ({
  feedetl_sn: sn, med_list_codg: code, det_item_fee_sumamt: amount, cnt: o.cnt ?? 1, pric: o.pric ?? amount, fee_ocur_time: o.time ?? '2024-03-15 09:10:00',
});

/** Register, upload, settle an outpatient visit with the card; returns setlinfo. */
export async function visit(c: PlatformClient, p: { psn: string; card: string }, lines: Array<Omit<FeeLine, 'mdtrt_id' | 'psn_no'>>, o: { acct?: '0' | '1'; begntime?: string; pre?: boolean } = {}) {
  const begntime = o.begntime ?? c.clock.text();
  const reg = await c.register({ psn_no: p.psn, insutype: '310', begntime, mdtrt_cert_type: '03', mdtrt_cert_no: p.card, ipt_otp_no: uniq('MZ') });
  const id = reg.data.mdtrt_id;
  await c.uploadFees(lines.map((l) => ({ ...l, mdtrt_id: id, psn_no: p.psn })));
  const total = lines.reduce((s, l) => s + toFenLoose(l.det_item_fee_sumamt), 0);
  const input = { psn_no: p.psn, mdtrt_cert_type: '03' as const, mdtrt_cert_no: p.card, med_type: '11' as const, medfee_sumamt: fen2y(total), mdtrt_id: id, acct_used_flag: o.acct ?? '1' as const };
  const pre = await c.preSettle(input);
  if (o.pre) return { ...pre, mdtrt_id: id };
  const out = await c.settle(input);
  return { ...out, mdtrt_id: id, pre };
}

function toFenLoose(v: string | number): number {
  const [y, f = ''] = String(v).split('.');
  return Number(y) * 100 + Number(f.padEnd(2, '0'));
}
export const fen2y = (f: number) => `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;

export type Clients = ReturnType<typeof clients>;

/**
 * Inside a describe: `backend` started before its tests with the base world (its institutions
 * signed in: `signedIn`, default all), stopped after; `ready` hears the engine and clients.
 * Returns `it`: a test that is skipped, saying why, when PostgreSQL is not reachable.
 */
export function backendSuite(backend: Backend, today: string, ready: (x: { engine: Engine; c: Clients }) => void | Promise<void>,
  o: { signedIn?: (c: Clients) => PlatformClient[] } = {}): (name: string, fn: () => Promise<void>) => void {
  let stop: (() => Promise<void>) | undefined;
  let skip: string | false = false;
  before(async () => {
    if (backend.name === 'postgres' && !(await pgAvailable())) { skip = 'PostgreSQL on 127.0.0.1:5432 is not reachable'; return; }
    const started = await backend.start();
    stop = started.stop;
    const c = clients(started.engine, today);
    await baseWorld(c.agency, o.signedIn ? o.signedIn(c) : c.all);
    await ready({ engine: started.engine, c });
  });
  after(async () => { await stop?.(); });
  return (name, fn) => test(name, async (t) => { if (skip) { t.skip(skip); return; } await fn(); });
}
