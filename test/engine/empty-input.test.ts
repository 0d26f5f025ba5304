// Issue 18, "How we will know": each of these transactions sent with an empty input is refused
// naming the field that is missing — not with the "does not implement" answer an unknown infno
// gets — in the flat and in the nested form, with signatures off as the check runs
// the engine; on PGlite and on the PostgreSQL of this machine when it is reachable.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { createEngine } from '../../engine';
import { SERVICE_PATHS, type Response } from '../../platform';
import { backendSuite, tempDatabase, type Backend, type Clients } from './helpers';

function post(url: string, body: unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Response));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** infno → the first required field of its input (the one the refusal must name), and the node HIS nest it in. */
const FIRST_MISSING: Array<[infno: string, node: string, field: string]> = [
  ['2001', 'data', 'psn_no（人员编号）'], ['2403', 'adminfo', 'mdtrt_id（就诊ID）'], ['2404', 'data', 'mdtrt_id（就诊ID）'], ['2405', 'data', 'mdtrt_id（就诊ID）'],
  ['5201', 'data', 'psn_no（人员编号）'], ['5202', 'data', 'mdtrt_id（就诊ID）'], ['5204', 'data', 'psn_no（人员编号）'], ['5205', 'data', 'psn_no（人员编号）'],
  ['5206', 'data', 'psn_no（人员编号）'], ['3501', 'invinfo', 'med_list_codg（医疗目录编码）'], ['3502', 'invinfo', 'med_list_codg（医疗目录编码）'],
  ['3503', 'purcinfo', 'med_list_codg（医疗目录编码）'], ['3504', 'purcinfo', 'med_list_codg（医疗目录编码）'], ['3505', 'selinfo', 'med_list_codg（医疗目录编码）'],
  ['3506', 'selinfo', 'med_list_codg（医疗目录编码）'], ['3507', 'data', 'fixmedins_bchno（定点医药机构批次流水号）'],
];

const engines: Backend[] = [
  { name: 'pglite', start: async () => { const engine = await createEngine({ world: 'empty', signatures: 'off' }); return { engine, stop: () => engine.close() }; } },
  {
    name: 'postgres', start: async () => {
      const db = await tempDatabase('empty');
      const engine = await createEngine({ databaseUrl: db.url, world: 'empty', signatures: 'off' });
      return { engine, stop: async () => { await engine.close(); await db.drop(); } };
    },
  },
];

for (const backend of engines) {
  describe(`empty inputs on ${backend.name}`, () => {
    let url: string;
    let c: Clients;
    const it = backendSuite(backend, '2024-03-15 09:00:00', async (x) => { c = x.c; ({ url } = await x.engine.listen(0)); }, { signedIn: (x) => [x.h3] });

    it('each transaction names its first missing field, flat and nested; a made-up infno is "not implemented"', async () => {
      for (const [infno, node, field] of FIRST_MISSING) {
        for (const input of [{}, { [node]: {} }]) {
          const res = await c.h3.raw(c.h3.envelope(infno as never, input as never));
          assert.equal(res.infcode, -1, `${infno} ${JSON.stringify(input)}`);
          assert.equal(res.err_msg, `缺少必填字段 input.${field}`, `${infno} ${JSON.stringify(input)}`);
        }
      }
      const unknown = await c.h3.raw(c.h3.envelope('4444' as never, {} as never));
      assert.match(unknown.err_msg ?? '', /^本引擎未实现交易 4444/);
    });

    it('on its per-service path too, where public HIS code posts it; another infno is refused there', async () => {
      const paths = Object.entries(SERVICE_PATHS).filter(([, infnos]) => FIRST_MISSING.some(([infno]) => infnos.includes(infno)));
      assert.equal(paths.length, 13); // 2001, 2403–2405, 5204, 5206, 3501–3507
      for (const [path, [infno]] of paths) {
        const [, , field] = FIRST_MISSING.find(([i]) => i === infno)!;
        assert.equal((await post(url + path, c.h3.envelope(infno as never, {} as never))).err_msg, `缺少必填字段 input.${field}`, path);
        assert.match((await post(url + path, c.h3.envelope('5201' as never, {} as never))).err_msg ?? '', new RegExp(`不能发到 ${path}：该路径只受理 ${infno}`));
      }
    });
  });
}
