// `medcard report`: render reports/allure-results as HTML. Allure 3 (the `allure` npm
// package, pure Node, no Java) is preferred; Allure 2's `allure-commandline` (needs Java 17)
// is used when only it is installed. Several results folders (shards) make one report.
// The report does not load over file:// (it spins), hence --serve and --single-file.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOptions, UsageError } from './args';
import { chooseLang, langFlagIn, say, type Lang } from './lang';

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
 * MEDCARD_DOMAIN_URL (with `%s`) point the links at a tracker and at the web copy of
 * shared/domain.md; without MEDCARD_DOMAIN_URL a domain link is relative
 * (`shared/domain.md#4.2`, the section number as the anchor).
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
    tms: link(/^@domain-(.+)$/, process.env.MEDCARD_DOMAIN_URL || 'shared/domain.md#%s'),
  },
};

const HELP = `usage: medcard report [--results <dir>]... [--output <dir>] [--name <title>]
                     [--history <file>] [--single-file] [--serve [--port <n>]] [--open]

Renders Allure results (default reports/allure-results) into an HTML report (default
reports/allure-report). Give --results several times to merge shards into one report.

  --output <dir>     emptied first when medcard report made it (it holds ${'`'}.medcard-report${'`'});
                     a folder holding anything else is left alone and the command stops
  --history <file>   Allure history (JSONL) to read and append to: the History tab and the
                     trends show the earlier runs. Keep the file between runs
  --single-file      one self-contained index.html (opens from file://, can be mailed)
  --serve            serve the report on http://127.0.0.1 (the multi-file report does not
                     load over file://) and print the URL; Ctrl-C stops it
  --port <n>         the port for --serve (default 0: any free port)
  --open             --serve, then open the URL with xdg-open when there is a display

Needs the ${'`'}allure${'`'} npm package (Allure 3, no Java) or ${'`'}allure-commandline${'`'} (Allure 2, Java 17).`;

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

/** The file that says a folder is a report medcard report wrote, so emptying it loses nothing of the user's. */
export const MARKER = '.medcard-report';

/**
 * Empties the output folder before rendering: Allure 3 moves its report up to the folder's
 * root only when the folder holds exactly one directory, so an old report would stay in
 * place (machine-notes). Only a folder that is missing, empty or marked is touched.
 */
export function prepareOutput(output: string): string | undefined {
  const entries = fs.existsSync(output) ? fs.readdirSync(output) : [];
  if (entries.length && !entries.includes(MARKER)) {
    return `${output} holds files medcard report did not write (no ${MARKER} in it): give an empty or new --output folder, or empty this one yourself`;
  }
  for (const e of entries) fs.rmSync(path.join(output, e), { recursive: true, force: true });
  fs.mkdirSync(output, { recursive: true });
  // Written first: a render that fails half-way still leaves a folder we may empty next time.
  fs.writeFileSync(path.join(output, MARKER), 'written by `medcard report`: the next report empties this folder\n');
  return undefined;
}

export interface RenderOptions { results: string[]; output: string; name: string; history?: string; singleFile?: boolean; quiet?: boolean }

/** Allure 3 with a config file: the history path and the single-file option exist only there. */
export function renderAllure3(cli: string, o: RenderOptions): { ok: boolean; error?: string } {
  const problem = prepareOutput(o.output);
  if (problem) return { ok: false, error: problem };
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-allurerc-'));
  const config = path.join(configDir, 'allurerc.json');
  if (o.history) fs.mkdirSync(path.dirname(o.history), { recursive: true });
  fs.writeFileSync(config, JSON.stringify({
    name: o.name, output: o.output, ...(o.history ? { historyPath: o.history } : {}),
    // The tree by the labels the features' tags give (README "Reports"), not by file path.
    plugins: { awesome: { options: { singleFile: !!o.singleFile, groupBy: ['epic', 'feature', 'story'] } } },
  }));
  const r = spawnSync(process.execPath, [cli, 'generate', ...o.results, '--config', config, '--output', o.output],
    { encoding: 'utf8', stdio: o.quiet ? 'pipe' : 'inherit', timeout: 10 * 60_000 });
  fs.rmSync(configDir, { recursive: true, force: true });
  if (r.status === 0) return { ok: true };
  return { ok: false, error: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().slice(-500) || `allure exited with ${r.status ?? r.signal}` };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
};

/** A static server for the report folder, on loopback only; paths outside the folder are refused. */
export function serveReport(dir: string, port: number): Promise<http.Server> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let rel: string;
    try { rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); } catch { rel = ''; }
    let file = path.join(root, rel);
    if (rel === '' || (file !== root && !file.startsWith(root + path.sep))) { res.writeHead(400).end('bad path'); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** xdg-open needs a desktop session; without one (a CI box, ssh) the printed URL is the way in. */
function openInBrowser(url: string): void {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) { console.log(`no display: open ${url} in a browser`); return; }
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`xdg-open is not installed (Debian: xdg-utils): open ${url} in a browser`));
  child.unref();
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, {
      results: { type: 'string', multiple: true }, output: { type: 'string', default: 'reports/allure-report' }, name: { type: 'string', default: 'medcard certification' },
      history: { type: 'string' }, 'single-file': { type: 'boolean' }, serve: { type: 'boolean' }, port: { type: 'string', default: '0' }, open: { type: 'boolean' },
    }, HELP);
  } catch (err) {
    if (err instanceof UsageError) { console.error(`medcard report: ${err.in(chooseLang(langFlagIn(argv)))}`); return 2; }
    throw err;
  }
  if (!parsed) return 0;
  const v = parsed.values as { results?: string[]; output: string; name: string; history?: string; 'single-file'?: boolean; serve?: boolean; port: string; open?: boolean };
  const lang = parsed.lang;
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`medcard report: ${say(lang, { zh: `--port 应为端口号（0 表示任一空闲端口），而不是 "${v.port}"`, en: `--port wants a port number (0 for any free one), not "${v.port}"` })}`);
    return 2;
  }
  const results = (v.results?.length ? v.results : ['reports/allure-results']).map((r) => path.resolve(r));
  for (const r of results) {
    if (!fs.existsSync(r)) { console.error(`medcard report: ${say(lang, { zh: `${r} 下没有结果：请先运行 \`npx medcard run\``, en: `no results at ${r}: run \`npx medcard run\` first` })}`); return 2; }
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
  const status = render(results, output, v, lang);
  if (status !== 0) return status;
  console.log(`${say(lang, { zh: '报告', en: 'report' })}: ${path.join(output, 'index.html')}`);
  if (!v.serve && !v.open) return 0;
  const server = await serveReport(output, port);
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`;
  console.log(say(lang, { zh: `报告在 ${url} 上提供（Ctrl-C 停止）`, en: `serving the report at ${url} (Ctrl-C stops)` }));
  if (v.open) openInBrowser(url);
  return new Promise((resolve) => {
    const stop = () => server.close(() => resolve(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function render(results: string[], output: string, v: { name: string; history?: string; 'single-file'?: boolean }, lang: Lang): number {
  const allure3 = find('allure', 'cli.js');
  if (allure3) {
    const r = renderAllure3(allure3, { results, output, name: v.name, history: v.history && path.resolve(v.history), singleFile: v['single-file'] });
    if (!r.ok) console.error(`medcard report: ${r.error}`);
    return r.ok ? 0 : 1;
  }
  const allure2 = find('allure-commandline', 'dist/bin/allure');
  if (allure2) {
    if (v.history || v['single-file']) { console.error(`medcard report: ${say(lang, { zh: '--history 和 --single-file 需要 Allure 3（npm install --save-dev allure@3.18.0）', en: '--history and --single-file need Allure 3 (npm install --save-dev allure@3.18.0)' })}`); return 2; }
    // Allure 2 shows trends only when the previous report's history is copied into the results (allure2#923).
    const history = path.join(output, 'history');
    if (fs.existsSync(history)) fs.cpSync(history, path.join(results[0]!, 'history'), { recursive: true });
    const problem = prepareOutput(output);
    if (problem) { console.error(`medcard report: ${problem}`); return 2; }
    const r = spawnSync(allure2, ['generate', ...results, '-o', output, '--name', v.name], { stdio: 'inherit' });
    if (r.error) { console.error(`medcard report: ${say(lang, { zh: 'allure-commandline 需要 PATH 中有 Java 17', en: 'allure-commandline needs Java 17 on PATH' })} (${r.error.message})`); return 2; }
    return r.status ?? 1;
  }
  console.error(`medcard report: ${say(lang, { zh: '没有安装 Allure 渲染器。请加上 `allure` npm 包（Allure 3，不需要 Java）：npm install --save-dev allure@3.18.0', en: 'no Allure renderer installed. Add the `allure` npm package (Allure 3, no Java): npm install --save-dev allure@3.18.0' })}`);
  return 2;
}
