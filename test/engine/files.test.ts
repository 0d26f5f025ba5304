// The platform's file transactions and what rides on them, on PGlite and on PostgreSQL:
// 9101/9102 (real zip files, confined to their sender, size-limited), the 13xx catalogue
// downloads with versions (from fixtures/world/catalogue.yaml), 1901 dictionaries, 3301/3302
// catalogue mapping, 3201/3202 day-end reconciliation. And the zip files themselves, read
// and written by the system's own zip/unzip as a second opinion.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { createEngine, type Engine } from '../../engine';
import { readZip, writeZip } from '../../engine/zip';
import { INSU_TYPES, MED_TYPES } from '../../spec';
import { ControlClient, PlatformClient, PlatformError, toFen, fmtFen, type Infno, type SetlInfo } from '../../platform';
import { baseWorld, clients, line, person, pgAvailable, tempDatabase, visit, CQ } from './helpers';

const TODAY = '2024-03-15 09:00:00';
const FIXTURES = path.join(__dirname, '../../fixtures/world');
const yaml = <T>(file: string): T => parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as T;
const fixtureKey = (code: string) => yaml<{ institutions: Array<{ fixmedins_code: string; key: string }> }>('institutions.yaml').institutions.find((i) => i.fixmedins_code === code)!.key;
interface FixtureItem { med_list_codg: string; name: string; cls: 'A' | 'B' | 'self'; med_chrgitm_type: string; ver: string }
const FIXTURE_CATALOGUE = yaml<{ catalogue: FixtureItem[] }>('catalogue.yaml').catalogue;

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof PlatformError && e.infcode === -1 && re.test(e.errMsg), String(re));
};

/** Each of a zip's text entries as lines of tab-separated cells. */
const rowsOf = (zip: Buffer) => {
  const entries = readZip(zip, 1 << 22, 'test');
  assert.equal(entries.length, 1);
  return entries[0].data.toString('utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
};

// ------------------------------------------------------------------ zip, no database

test('zip: what writeZip makes, unzip(1) reads; what zip(1) makes, readZip reads; corruption and bombs are refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-zip-'));
  try {
    const text = Buffer.from('XA01\t阿莫西林胶囊\t1\n'.repeat(200), 'utf8');
    const ours = writeZip([{ name: '1301_目录.txt', data: text }, { name: 'empty.txt', data: Buffer.alloc(0) }]);
    fs.writeFileSync(path.join(dir, 'ours.zip'), ours);
    assert.deepEqual(execFileSync('unzip', ['-p', path.join(dir, 'ours.zip'), '1301_目录.txt']), text);
    assert.match(execFileSync('unzip', ['-t', path.join(dir, 'ours.zip')], { encoding: 'utf8' }), /No errors detected/);
    assert.ok(ours.length < text.length / 5, 'deflated');

    fs.writeFileSync(path.join(dir, 'detail.txt'), text);
    execFileSync('zip', ['-q', '-j', path.join(dir, 'theirs.zip'), path.join(dir, 'detail.txt')]);
    execFileSync('zip', ['-q', '-0', '-j', path.join(dir, 'stored.zip'), path.join(dir, 'detail.txt')]);
    for (const f of ['theirs.zip', 'stored.zip']) assert.deepEqual(readZip(fs.readFileSync(path.join(dir, f)), 1 << 20, f), [{ name: 'detail.txt', data: text }]);

    const broken = Buffer.from(ours);
    broken[30 + Buffer.byteLength('1301_目录.txt') + 2] ^= 0xff; // a byte of the first entry's deflated data (after its 30-byte header and name)
    assert.throws(() => readZip(broken, 1 << 20, '坏文件'), /坏文件 不是有效的 zip 文件/);
    assert.throws(() => readZip(Buffer.from('not a zip at all, just text'), 1 << 20, 'x'), /找不到目录结尾/);
    const bomb = writeZip([{ name: 'zeros.txt', data: Buffer.alloc(2 * 1024 * 1024) }]);
    assert.ok(bomb.length < 10_000);
    assert.throws(() => readZip(bomb, 1024 * 1024, '炸弹'), /炸弹 解压后超过 1048576 字节/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ through the engine, both backends

interface Started { engine: Engine; stop: () => Promise<void> }
async function start(backend: 'pglite' | 'postgres', world: 'fixtures' | 'empty'): Promise<Started> {
  if (backend === 'pglite') { const engine = await createEngine({ world }); return { engine, stop: () => engine.close() }; }
  const db = await tempDatabase('files');
  const engine = await createEngine({ databaseUrl: db.url, world });
  return { engine, stop: async () => { await engine.close(); await db.drop(); } };
}

/** A fixture institution's client (its key from institutions.yaml), signed in at TODAY. */
async function fixtureClient(engine: Engine, agency: ControlClient, code: string): Promise<PlatformClient> {
  const c = new PlatformClient({ handle: engine.handle, fixmedinsCode: code, regionCode: '500000', key: fixtureKey(code) });
  c.clock.set(TODAY);
  await agency.setClock([code], TODAY);
  await c.signIn();
  return c;
}

const upload = (c: PlatformClient, code: string, filename: string, bytes: Buffer) => c.call('9101', { in: bytes.toString('base64'), filename, fixmedins_code: code });
const download = async (c: PlatformClient, code: string, fq: string, filename: string) => {
  const out = await c.call('9102', { file_qury_no: fq, filename, fixmedins_code: code });
  assert.equal(out.size, Buffer.from(out.content, 'base64').length);
  return Buffer.from(out.content, 'base64');
};

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`files, catalogues and reconciliation on ${backend}`, { concurrency: false }, () => {
    let skip: string | false = false;
    let fx: Started;
    let agency: ControlClient;
    let h: PlatformClient; // H50010300001, a fixture hospital
    let other: PlatformClient; // H50010300002, another institution of the same region
    before(async () => {
      if (backend === 'postgres' && !(await pgAvailable())) { skip = 'PostgreSQL on 127.0.0.1:5432 is not reachable'; return; }
      fx = await start(backend, 'fixtures');
      agency = new ControlClient({ handle: fx.engine.control, token: fx.engine.controlToken });
      agency.clock.set(TODAY);
      h = await fixtureClient(fx.engine, agency, 'H50010300001');
      other = await fixtureClient(fx.engine, agency, 'H50010300002');
    });
    after(async () => { if (fx) await fx.stop(); });
    const it = (name: string, fn: () => Promise<void>) => test(name, async (t) => { if (skip) { t.skip(skip); return; } await fn(); });

    it('each transaction sent with an empty input is refused naming the field it misses, not as unimplemented', async () => {
      const infnos = ['9101', '9102', '1901', '3201', '3202', '3301', '3302', ...Array.from({ length: 19 }, (_, i) => String(1301 + i))];
      for (const infno of infnos) {
        const res = await h.raw(h.envelope(infno as Infno, {} as never));
        assert.equal(res.infcode, -1, infno);
        assert.match(res.err_msg ?? '', /^缺少必填字段 input\.\w+（[^）]+）$/, `${infno}: ${res.err_msg}`);
      }
    });

    it('9101 / 9102: a file comes back byte for byte, to its sender only, by its number and name, until its download deadline', async () => {
      const bytes = randomBytes(3000);
      const up = await upload(h, 'H50010300001', 'mx.txt.zip', bytes);
      assert.match(up.file_qury_no, /^FQ20240315\d{8}[0-9A-F]{8}$/);
      assert.deepEqual([up.filename, up.dld_endtime], ['mx.txt.zip', '2024-03-16 09:00:00']);
      assert.deepEqual(await download(h, 'H50010300001', up.file_qury_no, 'mx.txt.zip'), bytes);
      // The nested form public HIS send, and the bytes as an array of numbers.
      const arr = await h.call('9101', { fsUploadIn: { in: [...bytes.subarray(0, 10)], filename: 'a.bin', fixmedins_code: 'H50010300001' } } as never) as { file_qury_no: string };
      assert.deepEqual(await download(h, 'H50010300001', arr.file_qury_no, 'a.bin'), bytes.subarray(0, 10));
      // Another institution: not found, whatever it names itself; nor can one upload in another's name.
      await refused(download(other, 'H50010300002', up.file_qury_no, 'mx.txt.zip'), /input\.file_qury_no（文件查询号）FQ\w+ 不存在/);
      await refused(download(other, 'H50010300001', up.file_qury_no, 'mx.txt.zip'), /input\.fixmedins_code（医药机构编号）H50010300001 与报文 fixmedins_code=H50010300002 不符/);
      await refused(upload(other, 'H50010300001', 'x.txt', bytes), /input\.fixmedins_code（医药机构编号）H50010300001 与报文/);
      await refused(download(h, 'H50010300001', up.file_qury_no, '../../etc/passwd'), /input\.filename（文件名）\.\.\/\.\.\/etc\/passwd 与文件查询号 FQ\w+ 的文件 mx\.txt\.zip 不符/);
      // Too big, not base64, empty.
      await refused(upload(h, 'H50010300001', 'big.bin', randomBytes(512 * 1024 + 1)), /文件 big\.bin 超过 524288 字节/);
      await refused(h.call('9101', { in: 'not base64!', filename: 'x', fixmedins_code: 'H50010300001' }), /input\.in（文件数据） 应为 base64/);
      await refused(h.call('9101', { in: [256], filename: 'x', fixmedins_code: 'H50010300001' }), /0–255 的整数/);
      await refused(h.call('9101', { in: '', filename: 'x', fixmedins_code: 'H50010300001' }), /缺少必填字段 input\.in（文件数据）/);
      // A day and a second later the file is gone for download.
      h.clock.set('2024-03-16 09:00:01');
      await agency.setClock(['H50010300001'], '2024-03-16 09:00:01');
      try {
        await refused(download(h, 'H50010300001', up.file_qury_no, 'mx.txt.zip'), /已过下载截止时间 2024-03-16 09:00:00/);
      } finally {
        h.clock.set(TODAY);
        await agency.setClock(['H50010300001'], TODAY);
      }
    });

    it('9101 / 9102 over HTTP: the largest file allowed goes up and comes back; a replayed upload answers the same file', async () => {
      const { url } = await fx.engine.listen(0, '127.0.0.1');
      const web = new PlatformClient({ url, fixmedinsCode: 'H50010300001', regionCode: '500000', key: fixtureKey('H50010300001'), signNo: h.signNo });
      web.clock.set(TODAY);
      const bytes = randomBytes(512 * 1024);
      const msgid = web.msgid();
      const up = await web.call('9101', { in: bytes.toString('base64'), filename: 'big.zip', fixmedins_code: 'H50010300001' }, { msgid });
      assert.deepEqual(await web.call('9101', { in: bytes.toString('base64'), filename: 'big.zip', fixmedins_code: 'H50010300001' }, { msgid }), up, 'the replay is the first answer');
      const got = await web.call('9102', { file_qury_no: up.file_qury_no, filename: 'big.zip', fixmedins_code: 'H50010300001' });
      assert.deepEqual(Buffer.from(got.content, 'base64'), bytes);
    });

    it('1301 / 1305 / 1306: the fixture catalogue rows newer than the HIS\'s version, as a zip of tab-delimited rows laid out as HIS read them', async () => {
      const expected = (chrgitm: (t: string) => boolean, after: string) => FIXTURE_CATALOGUE
        .filter((r) => chrgitm(r.med_chrgitm_type) && BigInt(r.ver) > BigInt(after))
        .sort((a, b) => (a.ver === b.ver ? (a.med_list_codg < b.med_list_codg ? -1 : 1) : a.ver < b.ver ? -1 : 1));
      const drug = (t: string) => t === '09' || t === '11';
      const material = (t: string) => t === '08';
      const service = (t: string) => !['08', '09', '10', '11'].includes(t);
      const cases: Array<[Infno, (t: string) => boolean, number, { name: number; ver: number; valid: number }]> = [
        ['1301', drug, 92, { name: 1, ver: 82, valid: 78 }], ['1305', service, 16, { name: 9, ver: 14, valid: 6 }], ['1306', material, 71, { name: 1, ver: 69, valid: 67 }],
      ];
      for (const [infno, kind, width, col] of cases) {
        for (const ver of ['0', '20240101000000', '20240301000000']) {
          const want = expected(kind, ver);
          const out = await h.call(infno, { ver }) as { file_qury_no: string; filename: string; dld_end_time: string; data_cnt: number };
          assert.equal(out.data_cnt, want.length, `${infno} after ${ver}`);
          assert.equal(out.dld_end_time, '2024-03-16 09:00:00');
          // Public HIS fetch the platform's files with filename and fixmedins_code "plc".
          const rows = rowsOf(await download(h, 'plc', out.file_qury_no, 'plc'));
          assert.deepEqual(rows.map((r) => r[0]), want.map((w) => w.med_list_codg), `${infno} after ${ver}`);
          for (const [i, r] of rows.entries()) {
            assert.equal(r.length, width);
            assert.deepEqual([r[col.name], r[col.ver], r[col.valid]], [want[i].name, want[i].ver, '1']);
          }
        }
      }
      // The drug file's last column is the class, as the fixture gives it; unzip(1) reads the same rows.
      const all = await h.call('1301', { ver: '0' }) as { file_qury_no: string };
      const zip = await download(h, 'plc', all.file_qury_no, 'plc');
      assert.deepEqual(rowsOf(zip).map((r) => r[91]), expected(drug, '0').map((w) => ({ A: '甲类', B: '乙类', self: '自费' })[w.cls]));
      const tmp = path.join(os.tmpdir(), `medcard-1301-${process.pid}.zip`);
      fs.writeFileSync(tmp, zip);
      try { assert.equal(execFileSync('unzip', ['-p', tmp], { encoding: 'utf8' }), rowsOf(zip).map((r) => `${r.join('\t')}\n`).join('')); } finally { fs.rmSync(tmp); }
      // The newest version asks for nothing; another institution cannot fetch this one's file.
      assert.equal((await h.call('1301', { ver: '20240301000000000' })).data_cnt, 0);
      await refused(download(other, 'plc', all.file_qury_no, 'plc'), /不存在/);
      // Catalogues the engine has no rows of: an empty file. Paged queries: refused by name. A bad version: by field.
      const diag = await h.call('1307', { ver: '0' });
      assert.equal(diag.data_cnt, 0);
      assert.deepEqual(rowsOf(await download(h, 'plc', diag.file_qury_no, 'plc')), []);
      await refused(h.raw(h.envelope('1312' as Infno, { data: { updt_time: '2024-01-01', page_num: 1, page_size: 100 } } as never)).then((r) => { if (r.infcode) throw new PlatformError(r.infcode, r.err_msg ?? '', '1312'); }),
        /本引擎不提供 1312（医保目录信息查询）分页查询/);
      await refused(h.call('1301', { ver: 'v1' }), /input\.ver（版本号） 格式不正确/);
    });

    it('1901: the dictionaries the engine itself uses, from where it defines them', async () => {
      const dict = async (type: string) => (await h.call('1901', { type, admdvs: CQ, date: '2024-03-15' })).list;
      const pairs = (l: Array<{ value: string; label: string }>) => Object.fromEntries(l.map((e) => [e.value, e.label]));
      assert.deepEqual(pairs(await dict('insutype')), Object.fromEntries(Object.entries(INSU_TYPES).map(([k, v]) => [k, v.zh])));
      assert.deepEqual(pairs(await dict('med_type')), Object.fromEntries(Object.entries(MED_TYPES).map(([k, v]) => [k, v.zh])));
      assert.deepEqual(Object.keys(pairs(await dict('mdtrt_cert_type'))), ['01', '02', '03']);
      // What 1101 answers as psn_type is a value of the psn_type dictionary.
      const lookup = await h.lookupByCard('A50000001', '500000D15600000500A1B2C3D4E5F601');
      assert.ok(Object.keys(pairs(await dict('psn_type'))).includes(lookup.insuinfo[0].psn_type));
      assert.deepEqual(Object.keys(pairs(await dict('clr_type'))), ['11', '21']);
      assert.deepEqual(await h.call('1901', { type: 'insutype', admdvs: CQ, date: '2024-03-15', vali_flag: '0' }), { list: [] });
      await refused(h.call('1901', { type: 'naty', admdvs: CQ, date: '2024-03-15' }), /input\.type（字典类型）naty 不存在：本引擎提供 insutype、med_type/);
    });

    it('3301 / 3302: a mapping is the sender\'s own, onto a catalogue item of its list type', async () => {
      const m = { fixmedins_hilist_id: 'HIS-ZC-001', fixmedins_hilist_name: '门诊诊查费（院内）', list_type: '201', med_list_codg: 'XA02', begndate: '2024-01-01' };
      assert.deepEqual(await h.call('3301', m), {});
      await refused(h.call('3301', m), /本机构目录 HIS-ZC-001 已对照到 XA02，请先撤销对照（3302）再上传/);
      await refused(h.call('3301', { ...m, fixmedins_hilist_id: 'HIS-2', list_type: '101' }), /input\.list_type（目录类别）101 与医疗目录 XA02 的类别 201（医疗服务项目）不符/);
      await refused(h.call('3301', { ...m, fixmedins_hilist_id: 'HIS-3', med_list_codg: 'NOPE' }), /input\.med_list_codg（医疗目录编码）NOPE 不在医保目录中/);
      await refused(h.call('3301', { ...m, fixmedins_hilist_id: 'HIS-4', enddate: '2023-12-31' }), /结束日期）早于/);
      // The other institution may map its own item of the same number; it cannot cancel this one's.
      assert.deepEqual(await other.call('3301', m), {});
      const cancel = { fixmedins_code: 'H50010300001', fixmedins_hilist_id: 'HIS-ZC-001', list_type: '201', med_list_codg: 'XA02' };
      await refused(other.call('3302', cancel), /input\.fixmedins_code（定点医药机构编号）H50010300001 与报文 fixmedins_code=H50010300002 不符/);
      assert.deepEqual(await h.call('3302', cancel), {});
      await refused(h.call('3302', cancel), /本机构目录 HIS-ZC-001 与 XA02（目录类别 201）的对照不存在/);
      assert.deepEqual(await h.call('3301', { ...m, med_list_codg: 'XA03' }), {}); // after the cancel, a new target
      assert.deepEqual(await other.call('3302', { ...cancel, fixmedins_code: 'H50010300002' }), {});
    });
  });

  describe(`day-end reconciliation 3201 / 3202 on ${backend}`, { concurrency: false }, () => {
    let skip: string | false = false;
    let s: Started;
    let c: ReturnType<typeof clients>;
    /** The HIS's own record of the day: each settlement as its 2207 (and 2208) answers told it. */
    const day: Array<{ setl: SetlInfo; reversed: boolean }> = [];
    before(async () => {
      if (backend === 'postgres' && !(await pgAvailable())) { skip = 'PostgreSQL on 127.0.0.1:5432 is not reachable'; return; }
      s = await start(backend, 'empty');
      c = clients(s.engine, TODAY);
      await baseWorld(c.agency, c.all);
      for (const amount of ['80.00', '120.00', '45.50', '60.00']) {
        const p = await person(c.agency, { opening: '50.00' });
        day.push({ setl: (await visit(c.h3, p, [line('1', 'A001', amount)])).setlinfo, reversed: false });
      }
      const last = day[3].setl;
      await c.h3.reverse({ setl_id: last.setl_id, mdtrt_id: last.mdtrt_id, psn_no: last.psn_no });
      day[3].reversed = true;
      // Another institution's settlement of the same day is not h3's to reconcile.
      await visit(c.h1, await person(c.agency, {}), [line('1', 'A001', '33.00')]);
    });
    after(async () => { if (s) await s.stop(); });
    const it = (name: string, fn: () => Promise<void>) => test(name, async (t) => { if (skip) { t.skip(skip); return; } await fn(); });

    const period = { setl_optins: CQ, clr_type: '11', stmt_begndate: '2024-03-15', stmt_enddate: '2024-03-15' };
    const inForce = () => day.filter((d) => !d.reversed).map((d) => d.setl);
    const sum = (l: SetlInfo[], k: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay') => l.reduce((t, x) => t + toFen(x[k]), 0);

    it('3201: the day\'s totals as the HIS recorded them balance; one fen more, and the answer names the figure and both sides', async () => {
      const l = inForce();
      assert.equal(sum(l, 'medfee_sumamt'), 8000 + 12000 + 4550, 'the three visits in force: 80.00 + 120.00 + 45.50 (the 60.00 one was reversed)');
      const totals = { insutype: '310' as const, ...period, medfee_sumamt: fmtFen(sum(l, 'medfee_sumamt')), fund_pay_sumamt: fmtFen(sum(l, 'fund_pay_sumamt')), acct_pay: fmtFen(sum(l, 'acct_pay')), fixmedins_setl_cnt: 3 };
      const before = await c.agency.ledgerCheck();
      const ok = await c.h3.call('3201', totals);
      assert.deepEqual([ok.stmtinfo.stmt_rslt, ok.stmtinfo.setl_optins], ['0', CQ]);
      assert.match(ok.stmtinfo.stmt_rslt_dscr, /^对账平衡：3 笔，医疗费总额 245\.50/);
      const off = await c.h3.call('3201', { ...totals, medfee_sumamt: '245.51' });
      assert.equal(off.stmtinfo.stmt_rslt, '1');
      assert.equal(off.stmtinfo.stmt_rslt_dscr, '对账不平：医疗费总额 medfee_sumamt 医药机构 245.51，中心 245.50');
      // The reversed settlement, counted apart; another insurance type has none of these.
      const refd = await c.h3.call('3201', { ...totals, refd_setl_flag: '1', medfee_sumamt: '60.00', fund_pay_sumamt: day[3].setl.fund_pay_sumamt, acct_pay: day[3].setl.acct_pay, fixmedins_setl_cnt: 1 });
      assert.equal(refd.stmtinfo.stmt_rslt, '0', refd.stmtinfo.stmt_rslt_dscr);
      assert.match((await c.h3.call('3201', { ...totals, insutype: '390' })).stmtinfo.stmt_rslt_dscr, /结算笔数 fixmedins_setl_cnt 医药机构 3，中心 0/);
      await refused(c.h3.call('3201', { ...totals, stmt_begndate: '2024-03-16' }), /input\.stmt_enddate（对账结束日期）早于 stmt_begndate/);
      assert.deepEqual(await c.agency.ledgerCheck(), before, 'reconciling books nothing');
    });

    /** The HIS's detail file (zip of tab-delimited rows), uploaded by 9101, then 3202 on it; the result file's rows. */
    async function reconcile(rows: Array<{ setl_id: string; mdtrt_id: string; psn_no: string; medfee_sumamt: string; fund_pay_sumamt: string; acct_pay: string; refd: string }>, by = c.h3) {
      const text = rows.map((r) => [r.setl_id, r.mdtrt_id, r.psn_no, r.medfee_sumamt, r.fund_pay_sumamt, r.acct_pay, r.refd].join('\t')).join('\r\n');
      const code = by === c.h3 ? 'H50000000003' : 'H50000000001';
      const up = await upload(by, code, 'dzmx.txt.zip', writeZip([{ name: 'dzmx.txt', data: Buffer.from(text, 'utf8') }]));
      const live = rows.filter((r) => r.refd === '0');
      const t = (k: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay') => live.reduce((x, r) => x + toFen(r[k]), 0);
      const out = await by.call('3202', { ...period, file_qury_no: up.file_qury_no, medfee_sumamt: fmtFen(t('medfee_sumamt')), fund_pay_sumamt: fmtFen(t('fund_pay_sumamt')),
        cash_payamt: fmtFen(t('medfee_sumamt') - t('fund_pay_sumamt') - t('acct_pay')), fixmedins_setl_cnt: rows.length });
      assert.match(out.fileinfo.filename, /^3202_\d{14}_500000_11\.txt\.zip$/);
      return { up, result: rowsOf(await download(by, code, out.fileinfo.file_qury_no, out.fileinfo.filename)) };
    }
    const fileRows = () => day.map(({ setl, reversed }) => ({ setl_id: setl.setl_id, mdtrt_id: setl.mdtrt_id, psn_no: setl.psn_no, medfee_sumamt: setl.medfee_sumamt,
      fund_pay_sumamt: setl.fund_pay_sumamt, acct_pay: setl.acct_pay, refd: reversed ? '1' : '0' }));

    it('3202: the day\'s detail as the HIS recorded it matches; one amount changed, and the result names exactly that settlement', async () => {
      assert.deepEqual((await reconcile(fileRows())).result, []);
      const rows = fileRows();
      rows[1] = { ...rows[1], medfee_sumamt: '121.00' };
      const { result } = await reconcile(rows);
      assert.deepEqual(result.map((r) => r[2]), [day[1].setl.setl_id]);
      const [psn, mdtrt, , msgid, refd, rslt, memo] = result[0];
      assert.deepEqual([psn, mdtrt, msgid, refd, rslt], [day[1].setl.psn_no, day[1].setl.mdtrt_id, day[1].setl.medins_setl_id, '0', '1']);
      assert.equal(memo, '不一致：medfee_sumamt 医药机构 121.00，中心 120.00');
    });

    it('3202: rows missing on either side, and a reversal the HIS did not record, are each named', async () => {
      const rows = fileRows();
      const dropped = rows.splice(2, 1)[0];
      rows[2] = { ...rows[2], refd: '0' }; // the reversed one, recorded as in force
      rows.push({ setl_id: 'ST2024031599999999DEADBEEF', mdtrt_id: 'MD1', psn_no: 'P1', medfee_sumamt: '1.00', fund_pay_sumamt: '0.00', acct_pay: '0.00', refd: '0' });
      const { result } = await reconcile(rows);
      const by = Object.fromEntries(result.map((r) => [r[2], r[6]]));
      assert.deepEqual(by, {
        [day[3].setl.setl_id]: '不一致：refd_setl_flag 医药机构 0，中心 1（已撤销）',
        ST2024031599999999DEADBEEF: '医药机构有、中心无此结算',
        [dropped.setl_id]: '中心有、医药机构无此结算',
      });
    });

    it('3202: the file is the sender\'s own, a zip of seven columns, its totals those the request declares', async () => {
      const { up } = await reconcile(fileRows());
      const ask = (o: Record<string, unknown>, by = c.h3) => by.call('3202', { ...period, file_qury_no: up.file_qury_no, medfee_sumamt: '0', fund_pay_sumamt: '0', cash_payamt: '0', fixmedins_setl_cnt: 4, ...o } as never);
      await refused(ask({}, c.h1), /input\.file_qury_no（文件查询号）FQ\w+ 不存在/);
      await refused(ask({ fixmedins_setl_cnt: 3 }), /input\.fixmedins_setl_cnt（结算笔数）3 与明细文件的 4 行不符/);
      await refused(ask({}), /input\.medfee_sumamt（医疗费总额） 0\.00 与明细文件中未退费结算的合计 245\.50 不符/);
      const plain = await upload(c.h3, 'H50000000003', 'plain.txt', Buffer.from('a\tb\n'));
      await refused(ask({ file_qury_no: plain.file_qury_no }), /明细文件 plain\.txt 不是有效的 zip 文件/);
      const six = await upload(c.h3, 'H50000000003', 'six.zip', writeZip([{ name: 'x.txt', data: Buffer.from('ST1\tMD1\tP1\t1.00\t0.00\t0.00\n') }]));
      await refused(ask({ file_qury_no: six.file_qury_no, fixmedins_setl_cnt: 1 }), /明细文件 six\.zip 第 1 行 应有 7 列/);
    });
  });
}
