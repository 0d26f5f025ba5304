// The rig-kind registry: a rig file's `kind:` names a driver file, rigs/kinds/<kind>.ts (or,
// for a lab's own kinds, <rigs folder>/kinds/<kind>.ts beside its rig files). Adding a kind
// is that one file plus a rig file; nothing else in the harness names kinds. Drivers load
// on first use, so a run on the emulated rig never loads PC/SC or serial code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RigKindDriver } from './types';

const BUILT_IN = path.join(__dirname, 'kinds');
/** The shipped kinds, listed first in messages; any other kind follows by name. */
const LISTED_FIRST = ['emulated', 'vpcd', 'pcsc', 'serial'];

/** Where rig files live; MEDCARD_RIGS_DIR points elsewhere (tests, a lab's own places). */
export function rigsDir(): string {
  return process.env.MEDCARD_RIGS_DIR ? path.resolve(process.env.MEDCARD_RIGS_DIR) : path.resolve(__dirname);
}

function kindFiles(): Map<string, string> {
  const dirs = [BUILT_IN, path.join(rigsDir(), 'kinds')].filter((d, i, all) => all.indexOf(d) === i);
  const files = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[] = [];
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const n of names) {
      const m = /^([a-z][a-z0-9-]*)\.(ts|js)$/.exec(n);
      // A built-in kind cannot be replaced by a lab's file of the same name.
      if (m && !n.endsWith('.d.ts') && !files.has(m[1]!)) files.set(m[1]!, path.join(dir, n));
    }
  }
  return files;
}

/** Every kind a rig file may name: the shipped ones first, then the rest by name. */
export function rigKindNames(): string[] {
  const names = [...kindFiles().keys()];
  const first = LISTED_FIRST.filter((n) => names.includes(n));
  return [...first, ...names.filter((n) => !first.includes(n)).sort()];
}

const loaded = new Map<string, RigKindDriver>();

/** The driver of a kind, or undefined when no file provides it. */
export function rigKind(kind: string): RigKindDriver | undefined {
  const known = loaded.get(kind);
  if (known) return known;
  const file = kindFiles().get(kind);
  if (!file) return undefined;
  const driver = (require(file) as { driver?: RigKindDriver }).driver;
  if (!driver || typeof driver.open !== 'function' || typeof driver.capabilities !== 'function' || !driver.fields || typeof driver.fields !== 'object') {
    throw new Error(`${file} does not export a rig kind driver: \`export const driver: RigKindDriver = { summary, fields, settings, capabilities, open }\` (rigs/README.md, "Adding a rig kind")`);
  }
  loaded.set(kind, driver);
  return driver;
}
