// medcard certify on a terminal under test that shares no code with ours: a Python program
// (test/compliance/python-tut/tut.py, pyscard over PC/SC, http.client to the platform), driven
// through the command adapter by its own terminal files. Its good build passes every requirement
// on a whole run; its faulty build (one bug behind --fault) fails exactly the requirements the bug
// breaks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadTerminal, REQUIREMENTS } from '../../compliance';
import { SCHEMAS_DIR } from '../../cli/schemas';
import { signature } from '../../platform';
import { jsonSchemaProblems } from '../schema/json-schema-check';
import { certify, ROOT, verdicts, WHOLE_RUN } from './certify-run';

const TUT = path.join('test', 'compliance', 'python-tut');
const GOOD = path.join(TUT, 'python.yaml');
const FAULTY = path.join(TUT, 'python-faulty.yaml');
// Debian's python3-pyscard is installed for this interpreter; the terminal files name it.
const PYTHON = '/usr/bin/python3';

const allPassedBut = (failed: Record<string, 'failed'>) => ({ ...Object.fromEntries(REQUIREMENTS.map((r) => [r.id, 'passed'])), ...failed });

describe('a terminal under test in Python, certified through the command adapter', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-python-tut-'));

  test('python3 and pyscard are there (a missing prerequisite fails, never skips)', () => {
    const r = spawnSync(PYTHON, ['-c', 'import smartcard.System'], { encoding: 'utf8' });
    assert.ok(!r.error && r.status === 0, `the Python terminal under test needs ${PYTHON} with pyscard: apt-get install python3-pyscard (or npm run setup)\n${r.error?.message ?? r.stderr}`);
  });

  for (const file of [GOOD, FAULTY]) {
    test(`${path.basename(file)}: names its schema, loads, fits the terminal JSON Schema, runs ${PYTHON}`, () => {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../../../schemas/terminal.schema.json');
      assert.deepEqual(jsonSchemaProblems(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'terminal.schema.json'), 'utf8')), parse(text)), []);
      const t = loadTerminal(path.join(ROOT, file));
      assert.deepEqual(t.actions.settle?.slice(0, 3), [PYTHON, `${TUT}/tut.py`, 'settle']);
      // Its own institution: never the reference terminal's, whose msgids and visits would mix with it.
      assert.notEqual(t.institution.code, loadTerminal('reference').institution.code);
    });
  }

  // The engine refuses a message whose cainfo is not platform/signature.ts's: the Python signer
  // must agree with it on everything a message can hold (nesting, key order, Chinese, escapes, numbers).
  test('tut.py signs a message as platform/signature.ts does, with SM3 and SHA256', () => {
    const message = {
      infno: '2204', msgid: 'H500000009022024031510000000001', fixmedins_name: '受测终端（Python）"引号"\\', opter_name: 'tab\there\nline\u0001',
      input: { feedetail: [{ feedetl_sn: '1', cnt: 2, pric: '12.00', b: '', a: 'XA02' }, { cnt: 1 }], zz: { y: 1, x: [] } }, cainfo: 'ignored',
    };
    for (const type of ['SM3', 'SHA256'] as const) {
      const key = '9c1f0e4b7a2d58e3c6b1f4a0d7e2c9b5';
      const r = spawnSync(PYTHON, ['-c', [
        'import json, sys', `sys.path.insert(0, ${JSON.stringify(path.join(ROOT, TUT))})`, 'import tut',
        `class Args: key = ${JSON.stringify(key)}; sign_type = ${JSON.stringify(type)}`,
        'p = tut.Platform.__new__(tut.Platform); p.args = Args', 'print(p.sign(json.load(sys.stdin)))',
      ].join('\n')], { input: JSON.stringify(message), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), signature(message, key, type));
    }
  });

  test('the faulty file runs the good one\'s command plus --fault retry-without-reversal, as another institution', () => {
    const good = loadTerminal(path.join(ROOT, GOOD));
    const faulty = loadTerminal(path.join(ROOT, FAULTY));
    assert.notEqual(good.institution.code, faulty.institution.code);
    assert.deepEqual(faulty.actions.settle?.filter((w, i, all) => w !== '--fault' && all[i - 1] !== '--fault'), good.actions.settle);
    assert.deepEqual(faulty.actions.settle?.slice(3, 5), ['--fault', 'retry-without-reversal']);
  });

  test('the good build passes every requirement on a whole run (exit 0)', async () => {
    const reports = path.join(tmp, 'good');
    const { code, out, cert } = await certify(GOOD, reports, WHOLE_RUN);
    assert.equal(code, 0, out.slice(-3000));
    assert.deepEqual(verdicts(cert), allPassedBut({}), out.slice(-3000));
    assert.match(out, new RegExp(`通过 passed ${REQUIREMENTS.length} · 未通过 failed 0 · 未测试 not tested 0`));
  });

  // Its bug changes only what follows a lost 2207 answer, which only the lost-answer scenario
  // (zh and en) plays. There it sends no 2601: PLAT-05 fails. The engine has booked the first
  // 2207, so it refuses the resend (已结算): one settlement in the ledger (PLAT-06 holds), yet
  // the operator is told it did not settle: PLAT-08 fails (the receipt is not the ledger's).
  test('the faulty build (--fault retry-without-reversal) fails PLAT-05 and PLAT-08, nothing else (exit 1)', async () => {
    const reports = path.join(tmp, 'faulty');
    const { code, out, cert } = await certify(FAULTY, reports, WHOLE_RUN);
    assert.equal(code, 1, out.slice(-3000));
    assert.deepEqual(verdicts(cert), allPassedBut({ 'PLAT-05': 'failed', 'PLAT-08': 'failed' }), out.slice(-3000));
    const plat05 = cert.rows.find((r) => r.id === 'PLAT-05')!;
    const failedIn = plat05.scenarios.filter((s) => s.verdict === 'failed');
    assert.equal(failedIn.length, 2, `the lost-answer scenario, in Chinese and in English: ${JSON.stringify(plat05.scenarios)}`);
    for (const s of failedIn) assert.match(s.evidence.join('\n'), /2207 .*answer lost.*no 2601 with omsgid/s);
    const plat06 = cert.rows.find((r) => r.id === 'PLAT-06')!;
    for (const s of plat06.scenarios) assert.match(s.evidence.join('\n'), /the ledger holds 1 new settlement in force/);
  });
});
