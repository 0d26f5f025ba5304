// cucumber-expressions finds a step's arguments with regexp-match-indices, whose feature test
// looks for `indices` on a match of a regexp without the `d` flag, never finds them, and so
// always takes its pure-JavaScript implementation: ~0.2 ms a step here, paid when cucumber
// plans the run and again when the step runs. Node has had the `d` flag since 16.4; this gives
// cucumber-expressions the same answer from it. `medcard run` loads this before cucumber (and
// as a requireModule, in its workers); nothing else changes.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const MARK = Symbol.for('medcard.match-indices');
if (!global[MARK]) {
  global[MARK] = true;
  const expressions = require.resolve('@cucumber/cucumber-expressions', { paths: [path.dirname(require.resolve('@cucumber/cucumber'))] });
  const target = require.resolve('regexp-match-indices', { paths: [path.dirname(expressions)] });
  /** Each regexp's copy with the `d` flag. */
  const withIndices = new WeakMap();
  function execWithIndices(regexp, string) {
    let d = withIndices.get(regexp);
    if (!d) withIndices.set(regexp, (d = new RegExp(regexp, regexp.flags.includes('d') ? regexp.flags : `${regexp.flags}d`)));
    d.lastIndex = regexp.lastIndex;
    const match = d.exec(string);
    regexp.lastIndex = d.lastIndex;
    return match;
  }
  if (!require.cache[target]) {
    const m = new Module(target, module);
    m.filename = target;
    m.loaded = true;
    m.exports = execWithIndices;
    require.cache[target] = m;
  }
}
