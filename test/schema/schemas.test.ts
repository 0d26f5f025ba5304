// The JSON Schemas in schemas/ are what `medcard schemas` writes now (generated files that
// cannot go stale), every fixture file names its schema on its first line, passes its zod
// schema, and fits its JSON Schema as an editor reads the file (YAML core types).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { YamlDocument, YamlError, validate, jsonSchema } from '../../schema';
import { FORMATS, SCHEMAS_DIR, formatOfFixture, schemaFileName, schemaTexts } from '../../cli/schemas';
import { jsonSchemaProblems } from './json-schema-check';
import { loadTerminal } from '../../compliance';
import { loadRigFile } from '../../rigs';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const fixtureFiles = ['policies', 'world', 'cards', 'psam'].flatMap((d) => fs.readdirSync(path.join(FIXTURES, d)).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${d}/${f}`));
const rigFiles = fs.readdirSync(path.join(ROOT, 'rigs')).filter((f) => /\.ya?ml$/.test(f));

test('schemas/ holds exactly what `medcard schemas` writes (run it after changing a format)', () => {
  const fresh = schemaTexts();
  assert.deepEqual(fs.readdirSync(SCHEMAS_DIR).sort(), fresh.map((f) => f.name).sort());
  for (const { name, text } of fresh) assert.equal(fs.readFileSync(path.join(SCHEMAS_DIR, name), 'utf8'), text, `schemas/${name} is stale: npx medcard schemas`);
});

test('`medcard schemas --out DIR` writes every schema there', () => {
  const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'medcard-schemas-'));
  try {
    const r = require('node:child_process').spawnSync(process.execPath, [path.join(ROOT, 'bin/medcard.js'), 'schemas', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const { name, text } of schemaTexts()) assert.equal(fs.readFileSync(path.join(out, name), 'utf8'), text);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('there are fixture files (or rig files, terminal files) of every format', () => {
  const used = new Set([...fixtureFiles.map((f) => formatOfFixture(f)?.id), ...(rigFiles.length ? ['rig'] : []), ...(fs.readdirSync(path.join(ROOT, 'terminals')).length ? ['terminal'] : [])]);
  for (const f of FORMATS) assert.ok(used.has(f.id), `no fixture file of ${f.id}`);
});

for (const rel of fixtureFiles) {
  test(`fixtures/${rel}: names its schema, passes its zod schema and fits its JSON Schema`, () => {
    const format = formatOfFixture(rel);
    assert.ok(format, `no format for fixtures/${rel}`);
    const text = fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
    const first = text.split('\n')[0];
    assert.equal(first, `# yaml-language-server: $schema=../../schemas/${schemaFileName(format)}`);
    const schemaFile = path.resolve(path.dirname(path.join(FIXTURES, rel)), first.split('$schema=')[1]!);
    assert.ok(fs.existsSync(schemaFile), schemaFile);
    validate(format, new YamlDocument(rel, text, format.scalars));
    // An editor reads the file with YAML's core schema (numbers, booleans), whatever we read it as.
    assert.deepEqual(jsonSchemaProblems(JSON.parse(fs.readFileSync(schemaFile, 'utf8')), parse(text)), []);
  });
}

for (const name of rigFiles) {
  test(`rigs/${name}: names its schema, loads, and fits the rig JSON Schema`, () => {
    const text = fs.readFileSync(path.join(ROOT, 'rigs', name), 'utf8');
    assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../schemas/rig.schema.json');
    loadRigFile(path.join(ROOT, 'rigs', name));
    assert.deepEqual(jsonSchemaProblems(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'rig.schema.json'), 'utf8')), parse(text)), []);
  });
}

for (const name of fs.readdirSync(path.join(ROOT, 'terminals')).filter((f) => f.endsWith('.yaml'))) {
  test(`terminals/${name}: names its schema, loads, and fits the terminal JSON Schema`, () => {
    const text = fs.readFileSync(path.join(ROOT, 'terminals', name), 'utf8');
    assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../schemas/terminal.schema.json');
    loadTerminal(path.join(ROOT, 'terminals', name));
    assert.deepEqual(jsonSchemaProblems(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, 'terminal.schema.json'), 'utf8')), parse(text)), []);
  });
}

test('a terminal file with a bad field says which, by line', () => {
  const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'medcard-terminal-')), 'bad.yaml');
  fs.writeFileSync(file, 'adapter: command\ninstitution: { code: X1, name: a, region: "500000", key: 0123456789abcdef }\n');
  assert.throws(() => loadTerminal(file), (err: Error) => /bad\.yaml:2.*institution\.code.*H or P and 11 digits/s.test(err.message) && /actions\.settle/.test(err.message));
});

test('the JSON Schemas refuse what the formats refuse in their structure: unknown fields, missing sections, wrong kinds', () => {
  const schema = (id: string) => jsonSchema(FORMATS.find((f) => f.id === id)!);
  const omit = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
  const policy = parse(fs.readFileSync(path.join(FIXTURES, 'policies/500000.yaml'), 'utf8'));
  assert.notDeepEqual(jsonSchemaProblems(schema('policy'), { ...policy, color: 'red' }), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('policy'), omit(policy, 'interest')), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('policy'), { ...policy, settlement: { ...policy.settlement, deductible: '400.001' } }), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('policy'), { ...policy, account_credit: { ...policy.account_credit, model: 'flat' } }), []);
  const card = parse(fs.readFileSync(path.join(FIXTURES, 'cards/zhang-san.yaml'), 'utf8'));
  assert.notDeepEqual(jsonSchemaProblems(schema('card-profile'), omit(card, 'pin')), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('card-profile'), { ...card, holder: { ...card.holder, sex: 3 } }), []);
  assert.deepEqual(jsonSchemaProblems(schema('card-profile'), { ...card, activated: 'true', pin: { ...card.pin, tries: '3' } }), [], 'a card profile is read as text: "3" and 3 alike');
  const people = parse(fs.readFileSync(path.join(FIXTURES, 'world/people.yaml'), 'utf8'));
  assert.notDeepEqual(jsonSchemaProblems(schema('world-people'), { people: [{ ...people.people[0], gend: '3' }] }), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('world-people'), { people: [omit(people.people[0], 'psn_name')] }), []);
  const rig = parse(fs.readFileSync(path.join(ROOT, 'rigs/serial.yaml'), 'utf8'));
  assert.notDeepEqual(jsonSchemaProblems(schema('rig'), { ...rig, reader: 'Virtual PCD 00 00' }), [], 'a serial rig has no reader');
  assert.notDeepEqual(jsonSchemaProblems(schema('rig'), { ...rig, capabilities: ['teleport'] }), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('rig'), { ...rig, serial: { baudRate: 'fast' } }), []);
  assert.notDeepEqual(jsonSchemaProblems(schema('rig'), { ...rig, engine: { kind: 'url' } }), []);
});

test('the steps read people.yaml through the world\'s people format: a mistake names file, line and field', () => {
  const { personFixture } = require('../../steps/fixtures') as typeof import('../../steps/fixtures');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'medcard-people-'));
  const before = process.env.MEDCARD_FIXTURES;
  try {
    assert.deepEqual(personFixture('王小明'), {
      psn_no: 'P500000000001', psn_name: '王小明', certno: '500103199001010010', gend: '1', brdy: '1990-01-01', insutype: '310',
      insuplc_admdvs: '500000', psn_insu_date: '2015-07-01', emp_no: 'E500000000001', contribution_base: '2700.00', opening_balance: '25.00',
    });
    fs.mkdirSync(path.join(dir, 'world'));
    const people = fs.readFileSync(path.join(FIXTURES, 'world/people.yaml'), 'utf8');
    fs.writeFileSync(path.join(dir, 'world/people.yaml'), people.replace('certno: "500103199001010010"', 'certno: "500103199001010011"'));
    process.env.MEDCARD_FIXTURES = dir;
    const line = people.split('\n').findIndex((l) => l.includes('500103199001010010')) + 1;
    assert.throws(() => personFixture('王小明'), (e: unknown) => e instanceof YamlError && e.line === line && e.field === 'people[0].certno'
      && e.problem === 'people[0].certno（身份证号） 校验位不正确：500103199001010011 的第 18 位应为 0（GB 11643）');
  } finally {
    if (before === undefined) delete process.env.MEDCARD_FIXTURES; else process.env.MEDCARD_FIXTURES = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
