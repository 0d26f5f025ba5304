// `medcard report`: render reports/allure-results as HTML. Allure 3 (the `allure` npm
// package, pure Node, no Java) is preferred; Allure 2's `allure-commandline` (needs Java 17)
// is used when only it is installed. Several results folders (shards) make one report.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOptions } from './args';

/**
 * Allure labels and links from tags (ecosystem-notes: patterns for epic, feature, severity,
 * owner, issue), handed to allure-cucumberjs by `medcard run`. Values may be Chinese
 * (`@epic:医保结算`, `@owner:张三`) but hold no space or colon (a Gherkin tag ends at a space;
 * allure-cucumberjs 3.12 takes a label's value after the last colon). Only feature and
 * scenario tags become labels and links; tags on an Examples table stay plain tags.
 *
 * Links: allure-cucumberjs strips a prefix only when it ends in `=` (`@issue=4`), so for
 * `@issue:4` and `@domain-4.2` it would put the whole tag into the URL; our templates are
 * functions that take the value out with the same pattern. MEDCARD_ISSUE_URL and
 * MEDCARD_DOMAIN_URL (with `%s`) point the links elsewhere.
 */
const link = (pattern: RegExp, template: string) => ({
  pattern: [pattern],
  urlTemplate: (tag: string) => template.replace('%s', encodeURIComponent(pattern.exec(tag)?.[1] ?? tag)),
});
export const ALLURE_OPTIONS = {
  labels: [
    { name: 'epic', pattern: [/^@epic:([^:]+)$/] },
    { name: 'feature', pattern: [/^@feature:([^:]+)$/] },
    { name: 'story', pattern: [/^@story:([^:]+)$/] },
    { name: 'severity', pattern: [/^@severity:(blocker|critical|normal|minor|trivial)$/] },
    { name: 'owner', pattern: [/^@owner:([^:]+)$/] },
  ],
  links: {
    issue: link(/^@issue[:=](.+)$/, process.env.MEDCARD_ISSUE_URL || 'https://example.invalid/medcard-hil/issues/%s'),
    tms: link(/^@domain-(.+)$/, process.env.MEDCARD_DOMAIN_URL || 'https://example.invalid/medcard-hil/shared/domain.md#%s'),
  },
};

const HELP = `usage: medcard report [--results <dir>]... [--output <dir>] [--name <title>]

Renders Allure results (default reports/allure-results) into an HTML report (default
reports/allure-report). Give --results several times to merge shards into one report.
Needs the \`allure\` npm package (Allure 3, no Java) or \`allure-commandline\` (Allure 2, Java 17).`;

/** A package's file, looked up in node_modules folders directly: Allure 3's "exports" hide its package.json from require.resolve. */
function find(pkg: string, bin: string): string | undefined {
  for (const base of [process.cwd(), path.resolve(__dirname, '..')]) {
    const file = path.join(base, 'node_modules', pkg, bin);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * One environment.properties for several results folders (shards): Allure 3 keeps only the
 * last folder's file (its store sets the metadata per file), so `rig=emulated` from one
 * shard would hide `rig=vpcd` from another (ecosystem-notes). Values are merged per key,
 * in folder order, without repeats: `rig=emulated, vpcd`.
 */
export function mergeEnvironment(dirs: string[]): string | undefined {
  const merged = new Map<string, string[]>();
  let found = false;
  for (const d of dirs) {
    const file = path.join(d, 'environment.properties');
    if (!fs.existsSync(file)) continue;
    found = true;
    for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
      const m = /^\s*([^#!=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
      if (!m) continue;
      const values = merged.get(m[1]!) ?? [];
      if (!values.includes(m[2]!)) values.push(m[2]!);
      merged.set(m[1]!, values);
    }
  }
  return found ? [...merged].map(([k, v]) => `${k}=${v.join(', ')}`).join('\n') + '\n' : undefined;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {
    results: { type: 'string', multiple: true }, output: { type: 'string', default: 'reports/allure-report' }, name: { type: 'string', default: 'medcard certification' },
  }, HELP);
  if (!parsed) return 0;
  const v = parsed.values as { results?: string[]; output: string; name: string };
  const results = (v.results?.length ? v.results : ['reports/allure-results']).map((r) => path.resolve(r));
  for (const r of results) {
    if (!fs.existsSync(r)) { console.error(`medcard report: no results at ${r}: run \`npx medcard run\` first`); return 2; }
  }
  const output = path.resolve(v.output);
  if (results.length > 1) {
    // Shards: the merged environment goes in a folder of its own, read last.
    const env = mergeEnvironment(results);
    if (env) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-allure-env-'));
      fs.writeFileSync(path.join(dir, 'environment.properties'), env);
      results.push(dir);
    }
  }
  const allure3 = find('allure', 'cli.js');
  if (allure3) {
    const r = spawnSync(process.execPath, [allure3, 'generate', ...results, '--output', output, '--report-name', v.name], { stdio: 'inherit' });
    if (r.status === 0) console.log(`report: ${path.join(output, 'index.html')}`);
    return r.status ?? 1;
  }
  const allure2 = find('allure-commandline', 'dist/bin/allure');
  if (allure2) {
    // Allure 2 shows trends only when the previous report's history is copied into the results (allure2#923).
    const history = path.join(output, 'history');
    if (fs.existsSync(history)) fs.cpSync(history, path.join(results[0]!, 'history'), { recursive: true });
    const r = spawnSync(allure2, ['generate', ...results, '-o', output, '--clean', '--name', v.name], { stdio: 'inherit' });
    if (r.error) { console.error(`medcard report: allure-commandline needs Java 17 on PATH (${r.error.message})`); return 2; }
    if (r.status === 0) console.log(`report: ${path.join(output, 'index.html')}`);
    return r.status ?? 1;
  }
  console.error('medcard report: no Allure renderer installed. Add the `allure` npm package (Allure 3, no Java): npm install --save-dev allure@3.18.0');
  return 2;
}
