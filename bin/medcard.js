#!/usr/bin/env node
// The `medcard` command. TypeScript is loaded through ts-node (transpile only: `npm test`
// type-checks the project), so no build step stands between a change and a run.
'use strict';
const path = require('node:path');
require('ts-node').register({ project: path.join(__dirname, '..', 'tsconfig.json'), transpileOnly: true });
require('../cli/main').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`medcard: ${err && err.message ? err.message : err}`); process.exitCode = 2; },
);
