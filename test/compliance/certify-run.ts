// Running `medcard certify` as a user does, for the compliance tests: a separate process,
// its certificate read back. The virtual readers are shared: scripts/test.js holds
// /tmp/medcard-vpcd.lock for the whole test run (never take it here).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Certificate } from '../../compliance';

export const ROOT = path.resolve(__dirname, '..', '..');

/** certify()'s `tags` for a whole run: both languages, and every requirement must be judged. */
export const WHOLE_RUN = null;

export function certify(terminal: string, reports: string, tags: string | null = 'not @english'): Promise<{ code: number | null; out: string; cert: Certificate }> {
  return new Promise((resolve, reject) => {
    const args = ['bin/medcard.js', 'certify', '--terminal', terminal, ...(tags === null ? [] : ['--tags', tags]), '--reports', reports];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { out += c; });
    child.on('error', reject);
    child.on('close', (code) => {
      const file = path.join(reports, 'compliance.json');
      if (!fs.existsSync(file)) return reject(new Error(`no certificate (exit ${code}):\n${out.slice(-3000)}`));
      resolve({ code, out, cert: JSON.parse(fs.readFileSync(file, 'utf8')) as Certificate });
    });
  });
}

/** Requirement id → verdict. */
export const verdicts = (c: Certificate) => Object.fromEntries(c.rows.map((r) => [r.id, r.verdict]));
