// The architecture holds (ARCHITECTURE.md): each part is reached only through its index.ts,
// and no file and no part imports itself back through others. Read from the sources' imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** The parts: each a folder with one public index.ts. */
const PARTS = ['spec', 'platform', 'schema', 'emulator', 'engine', 'terminal', 'rigs', 'containers', 'compliance', 'steps'].filter((p) => fs.existsSync(path.join(ROOT, p, 'index.ts')));
/** Folders that use parts and are used by none: the command and the benchmarks. */
const CONSUMERS = ['cli', 'bench'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'images' ? [] : sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative module specifiers a file imports: import/export … from, require(), import(). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g)) out.push(m[1]!);
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), spec));
  for (const c of [`${base}.ts`, path.join(base, 'index.ts'), base]) if (fs.existsSync(path.join(ROOT, c)) && fs.statSync(path.join(ROOT, c)).isFile()) return c;
  return undefined;
}

const partOf = (file: string) => file.split(path.sep)[0]!;
const files = [...PARTS, ...CONSUMERS].flatMap(sources);
const edges = new Map(files.map((f) => [f, importsOf(f).map((s) => resolve(f, s)).filter((t): t is string => !!t && t.endsWith('.ts'))]));

test('every part is reached from outside only through its index.ts', () => {
  const wrong: string[] = [];
  for (const [from, targets] of edges) {
    for (const to of targets) {
      const part = partOf(to);
      if (partOf(from) !== part && PARTS.includes(part) && to !== path.join(part, 'index.ts')) wrong.push(`${from} → ${to} (import ../${part} instead)`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycle between files', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, stack: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') { cycles.push([...stack.slice(stack.indexOf(f)), f].join(' → ')); return; }
    state.set(f, 'open');
    for (const t of edges.get(f) ?? []) visit(t, [...stack, f]);
    state.set(f, 'done');
  };
  for (const f of edges.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('no import cycle between parts', () => {
  const deps = new Map<string, Set<string>>(PARTS.map((p) => [p, new Set()]));
  for (const [from, targets] of edges) for (const to of targets) if (PARTS.includes(partOf(from)) && partOf(to) !== partOf(from) && PARTS.includes(partOf(to))) deps.get(partOf(from))!.add(partOf(to));
  const reaches = (a: string, b: string, seen = new Set<string>()): boolean => [...deps.get(a)!].some((d) => d === b || (!seen.has(d) && (seen.add(d), reaches(d, b, seen))));
  const cycles = PARTS.flatMap((p) => [...deps.get(p)!].filter((d) => reaches(d, p)).map((d) => `${p} ⇄ ${d}`));
  assert.deepEqual(cycles, []);
  // spec depends on nothing: every other part may use it.
  assert.deepEqual([...deps.get('spec')!], []);
});

test('each part has its index.ts and its types.ts, and package.json exports names each index', () => {
  const exportsMap = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports;
  for (const part of PARTS) {
    assert.ok(fs.existsSync(path.join(ROOT, part, 'types.ts')), `${part}/types.ts`);
    assert.equal(exportsMap[`./${part}`], `./${part}/index.ts`, `package.json exports ./${part}`);
  }
  assert.deepEqual(PARTS, ['spec', 'platform', 'schema', 'emulator', 'engine', 'terminal', 'rigs', 'containers', 'compliance', 'steps']);
});
