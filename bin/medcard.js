#!/usr/bin/env node
// The `medcard` command. TypeScript loads through steps/register.js, the project's one
// loading path (transpile only, cached on disk; `npm test` type-checks), so no build step
// stands between a change and a run.
'use strict';
require('../steps/register.js');
// `medcard … | head`: the reader went away; stop quietly instead of a stack trace.
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw err; });
require('../cli/main').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`medcard: ${err && err.message ? err.message : err}`); process.exitCode = 2; },
);
