#!/usr/bin/env node
// Builds the native parts at `npm ci`. A failed build never fails the install:
// - native/quickack (the per-socket cure for the vpcd stall): without it the vpcd rig runs at
//   ~20 APDU/s, and `npx medcard doctor` says so and how to fix it;
// - native/sscard (libsscard.so, the reader interface vendors' HIS software calls: iReadCardBas,
//   the PIN calls, the HSM pair, Init / ReadCardBas over PC/SC): without it test/sscard and
//   `npm run bench -- sscard` say it is missing and how to build it (`make -C native/sscard`, needs a C compiler, pkg-config and
//   Debian's libpcsclite-dev, which `npm run setup` installs).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const native = path.join(__dirname, '..', 'native');

function buildQuickack() {
  const dir = path.join(native, 'quickack');
  const gyp = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((p) => p && fs.existsSync(p));
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  if (!gyp) {
    console.warn('medcard: node-gyp not found; native/quickack not built (the vpcd rig will be slow; see `npx medcard doctor`)');
    return;
  }
  const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const run = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) {
    console.warn(`medcard: building native/quickack failed (the vpcd rig will be slow; see \`npx medcard doctor\`):\n${run.stderr}`);
  }
}

function buildSscard() {
  const dir = path.join(native, 'sscard');
  const why = (reason) => console.warn(`medcard: native/sscard (libsscard.so) not built: ${reason}\n  the install goes on; build it later with \`make -C native/sscard\` (see native/sscard/README.md)`);
  const pc = spawnSync('pkg-config', ['--exists', 'libpcsclite']);
  if (pc.error) return why('pkg-config not found (Debian: pkg-config)');
  if (pc.status !== 0) return why('pcsc-lite development files missing (Debian: libpcsclite-dev; `npm run setup` adds it)');
  const run = spawnSync('make', ['-C', dir, '--no-print-directory', '-B'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.error) return why(`make could not run (${run.error.message})`);
  if (run.status !== 0) return why(`the build failed:\n${run.stderr}`);
}

buildQuickack();
buildSscard();
