// `medcard init-editor`: the VS Code settings for step completion (the Cucumber extension
// reads literal Given/When/Then calls and defineParameterType from the glue file) and for
// the YAML schemas. The glue is read here the way the extension reads it, and every step's
// example must match a step it defines; every schema maps to files that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { GLUE_FILE } from '../../cli/init-editor';
import { VOCABULARY } from '../../steps';

const root = path.resolve(__dirname, '..', '..');
const initEditor = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/medcard.js'), 'init-editor', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '' } });

test('writes the Cucumber and YAML settings, keeps the others, and a glue file the extension can read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-editor-'));
  fs.mkdirSync(path.join(dir, '.vscode'));
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'editor.tabSize': 2 }));
  const r = initEditor(['--dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  const settings = JSON.parse(fs.readFileSync(path.join(dir, '.vscode', 'settings.json'), 'utf8')) as Record<string, any>;
  assert.equal(settings['editor.tabSize'], 2, 'other settings kept');
  assert.deepEqual(settings['cucumber.glue'], [GLUE_FILE]);
  assert.ok((settings['cucumber.features'] as string[]).includes('features/**/*.feature'));
  // Every schema of schemas/ is mapped, to files that exist in this checkout.
  const schemas = fs.readdirSync(path.join(root, 'schemas')).filter((f) => f.endsWith('.schema.json'));
  assert.deepEqual(Object.keys(settings['yaml.schemas']).map((k) => path.basename(k)).sort(), schemas.sort());
  for (const [schema, globs] of Object.entries(settings['yaml.schemas'] as Record<string, string[]>)) {
    for (const g of globs) {
      const [folder, pattern] = [path.dirname(g), path.basename(g)];
      const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
      assert.ok(fs.readdirSync(path.join(root, folder)).some((f) => re.test(f)), `${schema}: ${g} matches no file`);
    }
  }
  // The glue, read as the extension reads it: literal step expressions and parameter types.
  const expressions: string[] = [];
  const registry = new ParameterTypeRegistry();
  const define = (expr: string) => { expressions.push(expr); };
  new Function('Given', 'When', 'Then', 'defineParameterType', fs.readFileSync(path.join(dir, GLUE_FILE), 'utf8'))(define, define, define,
    (p: { name: string; regexp: RegExp }) => registry.defineParameterType(new ParameterType(p.name, p.regexp, null, (s: string) => s, false, false)));
  assert.equal(expressions.length, VOCABULARY.length * 2);
  const compiled = expressions.map((e) => new CucumberExpression(e, registry));
  for (const s of VOCABULARY) for (const ex of [s.example.zh, s.example.en]) assert.ok(compiled.some((c) => c.match(ex)), `the editor would not know "${ex}"`);
});

test('a settings file with comments is left alone, exit 2, saying why', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-editor-'));
  fs.mkdirSync(path.join(dir, '.vscode'));
  const jsonc = '{\n  // mine\n  "editor.tabSize": 2\n}\n';
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), jsonc);
  const r = initEditor(['--dir', dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not plain JSON/);
  assert.equal(fs.readFileSync(path.join(dir, '.vscode', 'settings.json'), 'utf8'), jsonc);
});
