// How cucumber's processes load medcard's TypeScript (`medcard run` passes this file as
// cucumber's requireModule; the one loading path, ecosystem-notes). Like ts-node with
// transpileOnly: each .ts file goes through TypeScript's transpileModule (no type check —
// `npm test` type-checks), but the JavaScript is kept on disk, keyed by the source's hash,
// the file name, the TypeScript version and the options. A warm cache never loads the
// TypeScript compiler (~0.3 s) nor transpiles (~1–3 s per process, twice per run: the
// coordinator and each worker load the steps). Stack traces point at the .ts lines (inline
// source maps). MEDCARD_TS_CACHE=<dir> moves the cache; MEDCARD_TS_CACHE=off disables it.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MARK = Symbol.for('medcard.ts-cache');
if (!global[MARK]) {
  global[MARK] = true;
  const root = path.resolve(__dirname, '..');
  const setting = process.env.MEDCARD_TS_CACHE;
  const dir = setting && setting !== 'off' ? path.resolve(setting) : path.join(root, 'node_modules', '.cache', 'medcard-ts');
  const off = setting === 'off';
  const tsVersion = require('typescript/package.json').version;
  // What tsconfig.json asks for, as transpileModule options: CommonJS output for this
  // "type": "commonjs" package (tsconfig's node16 resolves to it), ES2022, esModuleInterop.
  const OPTIONS = { module: 'CommonJS', target: 'ES2022', esModuleInterop: true, inlineSourceMap: true, inlineSources: false };
  const keyBase = `${tsVersion}\0${JSON.stringify(OPTIONS)}\0`;
  let ts;

  function transpile(source, filename) {
    ts ??= require('typescript');
    const out = ts.transpileModule(source, {
      fileName: filename,
      reportDiagnostics: true,
      compilerOptions: { ...OPTIONS, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length) {
      const text = errors.map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        return `${path.relative(process.cwd(), filename)}${at ? `:${at.line + 1}:${at.character + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      throw new SyntaxError(`TypeScript cannot read this file:\n${text.join('\n')}`);
    }
    return out.outputText;
  }

  const previous = require.extensions['.ts'];
  require.extensions['.ts'] = function medcardTs(module, filename) {
    if (filename.includes(`${path.sep}node_modules${path.sep}`) && previous) return previous(module, filename);
    const source = fs.readFileSync(filename, 'utf8');
    let js;
    let file;
    if (!off) {
      const key = crypto.createHash('sha1').update(keyBase).update(filename).update('\0').update(source).digest('hex');
      file = path.join(dir, key.slice(0, 2), `${key}.js`);
      try { js = fs.readFileSync(file, 'utf8'); } catch { js = undefined; }
    }
    if (js === undefined) {
      js = transpile(source, filename);
      if (file) {
        try {
          // Atomic: parallel workers may write the same entry.
          fs.mkdirSync(path.dirname(file), { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, js);
          fs.renameSync(tmp, file);
        } catch { /* a read-only cache only costs time */ }
      }
    }
    module._compile(js, filename);
  };
  if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);
}
