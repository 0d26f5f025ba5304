// The schema part on its own: YAML with positions, zod issues as file:line: field: message,
// all of them in one error, the format's wording, text scalars, and the JSON Schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineFormat, loadYaml, check, YamlDocument, YamlError, PARENT, ruled, Refusal, whenValid, jsonSchema, BILINGUAL_WORDING, type Wording } from '../../schema';

const WORDS: Wording = {
  missing: (field) => `${field} missing`,
  unknownField: (key, allowed, where) => `${where} has no ${key} (${allowed.join('/')})`,
  notMapping: (field) => `${field} not a mapping`,
  notList: (field) => `${field} not a list`,
};
const item = z.strictObject({
  name: z.string(),
  age: ruled(z.int(), (v) => (typeof v === 'number' && v >= 0 ? v : (() => { throw new Refusal(`${PARENT}: age must be a whole number ≥ 0`); })())).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
}).superRefine((r, ctx) => {
  if (r.from !== undefined && r.to !== undefined && r.to < r.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'before from' });
}, whenValid(['from'], ['to']));
const FORMAT = defineFormat({
  id: 'demo', title: 'demo', scalars: 'core', wording: WORDS,
  schema: z.strictObject({ title: z.string(), people: z.array(item), meta: z.strictObject({ owner: z.string() }).optional() }),
});
const load = (text: string) => loadYaml(FORMAT, 'demo.yaml', { text });
const issuesOf = (text: string) => { try { load(text); } catch (e) { assert.ok(e instanceof YamlError, String(e)); return e.issues.map((i) => `${i.line}: ${i.field}: ${i.message}`); } return []; };

test('a good document comes back as the schema makes it', () => {
  assert.deepEqual(load('title: t\npeople:\n  - { name: a, age: 3 }\n'), { title: 't', people: [{ name: 'a', age: 3 }] });
});

test('every problem at once, sorted by line, each with its field as a dotted path', () => {
  const text = [
    'title: t',                   // 1
    'people:',                     // 2
    '  - name: a',                 // 3
    '    age: -1',                 // 4
    '    colour: red',             // 5
    '  - { from: b, to: a }',      // 6
    'meta:',                       // 7
    '  owner: 5',                  // 8
  ].join('\n');
  assert.deepEqual(issuesOf(text), [
    '4: people[0].age: people[0]: age must be a whole number ≥ 0',
    '5: people[0].colour: people[0] has no colour (name/age/from/to)',
    '6: people[1].name: people[1].name missing',
    '6: people[1].to: before from',
    '8: meta.owner: Invalid input: expected string, received number',
  ]);
});

test('a missing field points at its nearest parent: a section at its key line', () => {
  assert.deepEqual(issuesOf('# a comment\ntitle: t\npeople: []\nmeta:\n  other: x\n'), ['4: meta.owner: meta.owner missing', '5: meta.other: meta has no other (owner)']);
  assert.deepEqual(issuesOf('# a comment\npeople: []\n'), ['2: title: title missing']);
});

test('the wrong kind of value: the format\'s words; an empty file is not a mapping', () => {
  assert.deepEqual(issuesOf('title: t\npeople: 3\n'), ['2: people: people not a list']);
  assert.deepEqual(issuesOf('title: t\npeople: [3]\n'), ['2: people[0]: people[0] not a mapping']);
  assert.deepEqual(issuesOf(''), ['1: (document): (document) not a mapping']);
});

test('the YamlError: one line per problem; file, line, field and problem of the first', () => {
  try { load('title: 1\npeople: 2\n'); assert.fail('no error'); } catch (e) {
    assert.ok(e instanceof YamlError);
    assert.equal(e.message, 'demo.yaml:1: title: Invalid input: expected string, received number\ndemo.yaml:2: people: people not a list');
    assert.deepEqual([e.file, e.line, e.field], ['demo.yaml', 1, 'title']);
    assert.match(e.problem, /expected string/);
  }
});

test('YAML syntax errors and duplicate keys name their line, as (yaml)', () => {
  assert.deepEqual(issuesOf('title: t\ntitle: u\npeople: []\n'), ['2: (yaml): Map keys must be unique']);
  assert.match(issuesOf('title: [t\npeople: []\n')[0]!, /^\d+: \(yaml\): /);
});

test('text scalars: an unquoted 18-digit number keeps every digit, 01 stays 01', () => {
  const doc = new YamlDocument('x.yaml', 'id: 500103198503120039\nnation: 01\nok: true\n', 'text');
  assert.deepEqual(doc.value, { id: '500103198503120039', nation: '01', ok: 'true' });
  assert.deepEqual(new YamlDocument('x.yaml', 'nation: 01\n').value, { nation: 1 });
});

test('check() returns the issues instead of throwing; a file that cannot be read is one issue', () => {
  const r = check(FORMAT, new YamlDocument('demo.yaml', 'people: []\n'));
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.issues, [{ file: 'demo.yaml', line: 1, field: 'title', message: 'title missing' }]);
  assert.throws(() => loadYaml(FORMAT, '/nonexistent/demo.yaml'), (e: unknown) => e instanceof YamlError && e.field === '(file)' && /cannot read/.test(e.problem));
});

test('the bilingual wording is the engine\'s of old', () => {
  const f = defineFormat({ id: 'b', title: 'b', scalars: 'core', wording: BILINGUAL_WORDING, schema: z.strictObject({ a: z.strictObject({ b: z.string() }) }) });
  assert.throws(() => loadYaml(f, 'b.yaml', { text: 'a:\n  c: 1\n' }), (e: Error) => e.message === [
    'b.yaml:1: a.b: 缺少字段 b / missing field b',
    'b.yaml:2: a.c: 未知字段 / unknown field (allowed: b)',
  ].join('\n'));
});

test('JSON Schema: from zod, with title; a text format lets editors see numbers and booleans', () => {
  const core = jsonSchema(FORMAT);
  assert.equal(core.title, 'demo');
  assert.equal((core.properties as any).title.type, 'string');
  assert.equal(core.additionalProperties, false);
  const text = jsonSchema(defineFormat({ id: 't', title: 't', scalars: 'text', wording: WORDS, schema: z.strictObject({ n: z.string().regex(/^\d+$/), on: z.enum(['true', 'false', 'maybe']) }) }));
  assert.deepEqual((text.properties as any).n, { type: ['string', 'number', 'boolean'], pattern: '^\\d+$' });
  assert.deepEqual((text.properties as any).on, { enum: ['true', 'false', 'maybe', true, false] });
  // ruled(): the rule checks, the shape is what editors see.
  const r = jsonSchema(defineFormat({ id: 'r', title: 'r', scalars: 'core', wording: WORDS, schema: z.strictObject({ v: ruled(z.string().max(3).describe('three'), String) }) }));
  assert.deepEqual((r.properties as any).v, { type: 'string', maxLength: 3, description: 'three' });
});
