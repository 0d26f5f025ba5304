#!/usr/bin/env node
// The `medcard` command. TypeScript loads through steps/register.js, the project's one
// loading path (transpile only, cached on disk; `npm test` type-checks), so no build step
// stands between a change and a run.
'use strict';
require('../steps/register.js');
// `medcard … | head`: the reader went away; stop quietly instead of a stack trace.
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw err; });
// Exit when the command is done, not when the event loop empties: `medcard run` runs the
// scenarios in this process, and a BeforeAll that failed leaves what it opened (a reader's
// context, say) for no AfterAll to close. On Linux, output to pipes and files is written
// synchronously, so none is lost.
require('../cli/main').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { console.error(`medcard: ${err && err.message ? err.message : err}`); process.exit(2); },
);
