#!/usr/bin/env node
// Builds native/quickack (the per-socket cure for the vpcd stall) at `npm ci`. A failed
// build does not fail the install: the vpcd rig then runs at ~20 APDU/s, and
// `npx medcard doctor` says so and how to fix it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'native', 'quickack');
const gyp = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((p) => p && fs.existsSync(p));
const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);

if (!gyp) {
  console.warn('medcard: node-gyp not found; native/quickack not built (the vpcd rig will be slow; see `npx medcard doctor`)');
  process.exit(0);
}
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const run = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
if (run.status !== 0) {
  console.warn(`medcard: building native/quickack failed (the vpcd rig will be slow; see \`npx medcard doctor\`):\n${run.stderr}`);
}
