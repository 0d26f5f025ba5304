// Terminal files (terminals/<name>.yaml, or a path): which terminal is under test, the
// institution it is configured as, and how the harness drives it. Checked by schema/ like
// every YAML file people write; `medcard certify --terminal <name>` reads one.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BILINGUAL_WORDING, defineFormat, loadYaml } from '../schema';
import type { ActionName, TerminalFile } from './types';

export const ROOT = path.resolve(__dirname, '..');
export const TERMINALS_DIR = path.join(ROOT, 'terminals');
const ACTIONS: readonly ActionName[] = ['settle', 'query-balance'];

const argv = z.array(z.string().min(1), { error: 'a command as a list of words, e.g. [python3, my-his.py, settle, "{reader}"]' }).min(1);

const SCHEMA = z.strictObject({
  description: z.string().default(''),
  adapter: z.enum(['command', 'http', 'operator'], { error: 'adapter is one of command (a command per action), http (the terminal\'s automation endpoint), operator (a person at the counter)' }),
  institution: z.strictObject({
    code: z.string().regex(/^[HP]\d{11}$/, { error: 'fixmedins_code: H or P and 11 digits, e.g. H50000000901' }),
    name: z.string().min(1),
    region: z.string().regex(/^\d{6}$/, { error: 'a 6-digit region code, e.g. 500000' }),
    kind: z.enum(['hospital', 'pharmacy', 'clinic']).default('hospital'),
    key: z.string().min(16, { error: 'the signing key the terminal is configured with (at least 16 characters)' }),
    sign_type: z.enum(['SM3', 'SHA256']).default('SM3'),
  }).describe('the designated institution the terminal is configured as; the harness registers it in the engine with this key'),
  actions: z.partialRecord(z.enum(ACTIONS as [ActionName, ...ActionName[]]), argv).default({}).describe('command adapter: argv per action with {placeholders} (compliance/README.md)'),
  url: z.url().optional().describe('http adapter: the terminal\'s automation endpoint'),
  timeout_s: z.number().positive().max(3600).default(60).describe('how long one action may take'),
  reversal_within_s: z.number().positive().max(3600).default(30).describe('how long after a lost answer the terminal has to send 2601'),
}).superRefine((t, ctx) => {
  if (t.adapter === 'command' && !t.actions.settle) ctx.addIssue({ code: 'custom', path: ['actions', 'settle'], message: 'the command adapter needs at least actions.settle' });
  if (t.adapter === 'http' && !t.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'the http adapter needs url:' });
});

export const TERMINAL_FORMAT = defineFormat({
  id: 'terminal', title: 'terminal file (terminals/<name>.yaml)', description: 'a terminal under test: its institution and how the harness drives it (compliance/README.md)',
  scalars: 'core', wording: BILINGUAL_WORDING, schema: SCHEMA,
});

/** The terminal files in terminals/. */
export function listTerminals(): string[] {
  return fs.existsSync(TERMINALS_DIR) ? fs.readdirSync(TERMINALS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort() : [];
}

/** A terminal file by name (terminals/<name>.yaml) or by path. */
export function loadTerminal(nameOrPath: string): TerminalFile {
  const byPath = nameOrPath.endsWith('.yaml') || nameOrPath.includes('/');
  const file = byPath ? path.resolve(nameOrPath) : path.join(TERMINALS_DIR, `${nameOrPath}.yaml`);
  if (!fs.existsSync(file)) {
    const known = listTerminals();
    throw new Error(`no terminal file ${byPath ? file : `"${nameOrPath}" in terminals/`}${known.length ? `: known terminals are ${known.join(', ')}` : ''} (compliance/README.md "Terminal files")`);
  }
  const t = loadYaml(TERMINAL_FORMAT, file, { shown: path.relative(process.cwd(), file) || file });
  const i = t.institution;
  return {
    name: path.basename(file, '.yaml'), file, description: t.description, adapter: t.adapter,
    institution: { code: i.code, name: i.name, region: i.region, kind: i.kind, key: i.key, signType: i.sign_type },
    actions: t.actions, url: t.url, timeoutMs: t.timeout_s * 1000, reversalWithinMs: t.reversal_within_s * 1000,
  };
}
