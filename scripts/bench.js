#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.ts. Each benchmark measures a reference
// in the same run and ends with one line:
//   <measure> <value> <unit> vs <anchor> <value> <unit> = <ratio>x
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const benches = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !benches.includes(name)) {
  console.error(`usage: npm run bench -- <name>\nbenchmarks: ${benches.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const run = spawnSync(process.execPath, ['--require', 'ts-node/register', path.join(root, 'bench', `${name}.ts`), ...args],
  { stdio: 'inherit', cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });
process.exit(run.status ?? 1);
