// `medcard run`: the certification suite through cucumber's programmatic API. Rig and engine
// choices reach the workers through the environment (world parameters are frozen per worker,
// ecosystem-notes). Reports: reports/allure-results, cucumber.json, junit.xml, @rerun.txt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseOptions, UsageError } from './args';
import { ALLURE_OPTIONS } from './report';
import { chooseLang, langFlagIn, say, type Lang } from './lang';
import { describeHolder, loadRigFile, ReservedError, reserveReaders, type RigFile } from '../rigs';

const ROOT = path.resolve(__dirname, '..');
/** Native match indices for cucumber-expressions' step matching (the file says why). */
const MATCH_INDICES = path.join(ROOT, 'steps/match-indices.js');

const HELP = `usage: medcard run [options] [feature files or folders]

Runs the certification suite (features/) on a rig with the embedded engine, or a vendor's.

options:
  --rig <name>          a rig: rigs/<name>.yaml (\`medcard rigs\` lists them: emulated (default),
                        vpcd, serial, pcsc, …) or a path to a rig file; its engine is used
                        unless --engine-url is given
  --tags <expr>         cucumber tag expression, e.g. "@chongqing-example and not @english"
  --engine-url <url>    a running engine (ours or a vendor's) instead of the embedded one; probed
                        first: nothing listening, or no platform answer there, is exit 2
  --parallel <n>        scenarios at a time, each in a worker process of its own (default 1:
                        one at a time, in this process, which starts sooner)
  --shard <k>/<n>       run only shard k of n (1 ≤ k ≤ n): every scenario falls in exactly one
                        shard, the same one on every machine; CI runs the n shards side by side
  --fixtures <dir>      fixtures folder for the embedded engine (default fixtures/)
  --reports <dir>       where reports go (default reports/)
  --name <regexp>       only scenarios whose name matches
  --dry-run             check that every step is defined, run nothing
  --fail-fast           stop at the first failure
  --quiet               summary only, no progress bar (nor, off a terminal, a line per scenario)
  --retry <n>           run a failing scenario up to n more times (default 0; --nightly: 1)
  --nightly             for scheduled CI on hardware: --retry 1 (a scenario that passes on its
                        retry is listed as flaky, not failed), Allure history kept in
                        <reports>/history.jsonl (or --history <file>) and the HTML report
                        written to <reports>/allure-report with trends; JUnit as always.
                        Exit 0 unless a scenario failed on every attempt (skips are not failures)
  --history <file>      Allure history file to append to (implies the HTML report)
  --wait <s>            how long to wait for a reader another run holds (default 600); the
                        run says who holds it, and past the wait exits 2 naming them
  --lang zh|en          messages in Chinese or English (default: from LC_ALL / LC_MESSAGES / LANG)

Before any scenario the run makes \`medcard check\`'s checks: a bad fixture, a misspelled
keyword or an undefined or ambiguous step in a scenario it would run stops it (exit 2).

environment: DATABASE_URL=postgres://… makes the embedded engine use PostgreSQL (default PGlite).
reports: <reports>/allure-results, cucumber.json, junit.xml, @rerun.txt, skipped.txt;
         \`medcard report\` renders the Allure HTML.`;

/** Allure labels and links from tags: cli/report.ts (Chinese tag values, link templates). */
export { ALLURE_OPTIONS };

export interface RunOptions {
  rig: string; tags?: string; engineUrl?: string; parallel: number; fixtures?: string; reports: string;
  paths: string[]; name?: string; dryRun: boolean; failFast: boolean; quiet: boolean;
  /** Extra env for the workers (tests use it). */
  env?: Record<string, string>;
  /** Formatter for the terminal; default progress-bar (or summary when quiet/not a TTY). */
  stdoutFormat?: string;
  /** Override the step files (bench uses no-op steps). */
  require?: string[];
  /** Scheduled runs on hardware: retry 1, Allure history + HTML report (README "CI and nightly runs"). */
  nightly?: boolean;
  /** "k/n": only the k-th of n shards (cucumber's round-robin over the pickles, stable). */
  shard?: string;
  /** Extra attempts for a failing scenario (default 0, nightly 1). */
  retry?: number;
  /** Allure history file (JSONL) to append to; default <reports>/history.jsonl when nightly. */
  history?: string;
  /** How long to wait for a reader another run holds (default DEFAULT_WAIT_S). */
  waitS?: number;
  /** The language of the messages (cli/lang.ts); default from the locale. */
  lang?: Lang;
}

/** Ten minutes: a run of the whole suite on a busy rig; then the waiting run says who holds the reader. */
export const DEFAULT_WAIT_S = 600;

/** The engine a rig file asks for, resolved here once so workers only see MEDCARD_ENGINE_URL / DATABASE_URL. */
export interface ResolvedEngine {
  env: Record<string, string>; describe: string; stop(): Promise<void>;
  /** An engine still starting behind its URL (containers): settles when it is ready or cannot be. */
  started?: Promise<void>;
}

/**
 * An engine already running: reachable, and taking the run's control token (which
 * `medcard engine` printed) — both checked here, so a wrong address or token stops the run
 * before any scenario with the reason, instead of failing every one.
 */
async function externalEngine(url: string, rigName: string | undefined, lang: Lang): Promise<ResolvedEngine> {
  const who = rigName ? { zh: `读卡环境 "${rigName}"：`, en: `rig "${rigName}": ` } : { zh: '', en: '' };
  const refuse = (s: { zh: string; en: string }) => new Error(say(lang, { zh: who.zh + s.zh, en: who.en + s.en }));
  const { probeEngineUrl } = require('./rig') as typeof import('./rig');
  const probe = await probeEngineUrl(url);
  if (!probe.ok) throw refuse(probe.said);
  const token = process.env.MEDCARD_CONTROL_TOKEN;
  if (!token) {
    throw refuse({
      zh: `${url} 的结算引擎需要它的控制令牌：把 MEDCARD_CONTROL_TOKEN 设为 \`medcard engine\` 打印的令牌（engine/README.md "Control API"）`,
      en: `the engine at ${url} needs its control token: set MEDCARD_CONTROL_TOKEN to the token \`medcard engine\` printed (engine/README.md "Control API")`,
    });
  }
  const { ControlClient } = require('../platform') as typeof import('../platform');
  const check = await new ControlClient({ url, token, timeoutMs: 10_000 }).call('ledger-check', {}).then(() => undefined, (e: Error) => e.message);
  if (check) {
    // Only a refused token is the token's fault; anything else (its database down, say) is said as it is.
    const token = /\b40[13]\b|token|unauthori[sz]ed|forbidden|令牌/i.test(check);
    throw refuse(token ? {
      zh: `${url} 的结算引擎拒绝了本次运行的控制调用（${check}）：MEDCARD_CONTROL_TOKEN 是这个引擎打印的令牌吗？`,
      en: `the engine at ${url} refused this run's control call (${check}): is MEDCARD_CONTROL_TOKEN the token this engine printed?`,
    } : {
      zh: `${url} 的结算引擎没能完成本次运行的控制调用（${check}）：它的数据库可用吗？`,
      en: `the engine at ${url} could not answer this run's control call (${check}): is its database up?`,
    });
  }
  return { env: { MEDCARD_ENGINE_URL: url, MEDCARD_CONTROL_TOKEN: token }, describe: url, stop: async () => undefined };
}

export async function resolveEngine(rig: RigFile, engineUrl?: string, lang: Lang = chooseLang()): Promise<ResolvedEngine> {
  const none = async () => undefined;
  if (engineUrl) return externalEngine(engineUrl, undefined, lang);
  const e = rig.engine;
  switch (e.kind) {
    case 'embedded':
      return { env: {}, describe: process.env.DATABASE_URL ? 'embedded (PostgreSQL)' : 'embedded (PGlite)', stop: none };
    case 'postgres':
      return { env: { DATABASE_URL: e.url }, describe: 'embedded (PostgreSQL from the rig file)', stop: none };
    case 'url':
      return externalEngine(e.url, rig.name, lang);
    case 'container': {
      let containers: typeof import('../containers');
      try {
        containers = require('../containers');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !/containers/.test((err as Error).message)) throw err;
        throw new Error(say(lang, {
          zh: `读卡环境 "${rig.name}" 要用容器结算引擎（${e.image}）：容器引擎需要 \`npx medcard images build\`，而本检出中还没有 containers/`,
          en: `rig "${rig.name}" wants a container engine (${e.image}): container engines need \`npx medcard images build\` (issue: containers), and containers/ is not in this checkout yet`,
        }));
      }
      // Its URL is known at once; cucumber loads and starts its workers while the containers start.
      const opened = await containers.openContainerEngine(rig, {});
      return { env: { MEDCARD_ENGINE_URL: opened.url, MEDCARD_CONTROL_TOKEN: opened.controlToken }, describe: `container ${e.image} at ${opened.url}`, stop: () => opened.stop(), started: opened.started };
    }
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, {
      rig: { type: 'string', default: 'emulated' }, tags: { type: 'string' }, 'engine-url': { type: 'string' },
      parallel: { type: 'string', default: '1' }, fixtures: { type: 'string' }, reports: { type: 'string', default: 'reports' },
      name: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'fail-fast': { type: 'boolean' }, quiet: { type: 'boolean' },
      nightly: { type: 'boolean' }, retry: { type: 'string' }, history: { type: 'string' }, shard: { type: 'string' }, wait: { type: 'string' }, lang: { type: 'string' },
    }, HELP, Infinity);
  } catch (err) {
    if (err instanceof UsageError) { console.error(`medcard run: ${err.in(chooseLang(langFlagIn(argv)))}`); return 2; }
    throw err;
  }
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const lang = parsed.lang;
  const usage = (text: { zh: string; en: string }) => { console.error(`medcard run: ${say(lang, text)}`); return 2; };
  const parallel = Number(v.parallel);
  if (!Number.isInteger(parallel) || parallel < 0) return usage({ zh: `--parallel 应为整数（0 或更大），而不是 "${v.parallel}"`, en: `--parallel wants a whole number, not "${v.parallel}"` });
  const retry = v.retry === undefined ? undefined : Number(v.retry);
  if (retry !== undefined && (!Number.isInteger(retry) || retry < 0)) return usage({ zh: `--retry 应为整数（0 或更大），而不是 "${v.retry}"`, en: `--retry wants a whole number, not "${v.retry}"` });
  const shard = v.shard === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(String(v.shard));
  if (shard === null || (shard && !(Number(shard[1]) >= 1 && Number(shard[1]) <= Number(shard[2])))) {
    return usage({ zh: `--shard 应写成 k/n，且 1 ≤ k ≤ n（如 2/3 表示三份中的第二份），而不是 "${v.shard}"`, en: `--shard wants k/n with 1 ≤ k ≤ n (e.g. 2/3 for the second of three), not "${v.shard}"` });
  }
  const waitS = v.wait === undefined ? undefined : Number(v.wait);
  if (waitS !== undefined && !(Number.isFinite(waitS) && waitS >= 0)) return usage({ zh: `--wait 应为秒数（0 或更大），而不是 "${v.wait}"`, en: `--wait wants seconds (0 or more), not "${v.wait}"` });
  if (v.tags !== undefined) {
    // A tag expression that does not parse is a usage error, said here rather than as cucumber's stack.
    const problem = tagExpressionProblem(String(v.tags));
    const zhProblem = { 'Expected operand.': '缺少操作数（标签）', 'Expected operator.': '缺少运算符（and / or / not）' }[problem ?? ''] ?? problem;
    if (problem) return usage({ zh: `--tags "${v.tags}" 不是有效的标签表达式（如 "@chongqing-example and not @english"）：${zhProblem}`, en: `--tags "${v.tags}" is not a tag expression (e.g. "@chongqing-example and not @english"): ${problem}` });
  }
  if (v['engine-url'] !== undefined && !/^https?:\/\/[^/\s]+/.test(String(v['engine-url']))) {
    return usage({ zh: `--engine-url 应为 http:// 或 https:// 地址，如 http://127.0.0.1:8080，而不是 "${v['engine-url']}"`, en: `--engine-url wants an http:// or https:// address such as http://127.0.0.1:8080, not "${v['engine-url']}"` });
  }
  const missing = parsed.positionals.filter((p) => !fs.existsSync(p.replace(/:\d+(:\d+)*$/, '')) && !/[*?[]/.test(p));
  if (missing.length) return usage({ zh: `找不到特性文件或文件夹：${missing.join('、')}`, en: `no such feature file or folder: ${missing.join(', ')}` });
  const result = await runSuite({
    rig: String(v.rig), tags: v.tags as string | undefined, engineUrl: v['engine-url'] as string | undefined, parallel,
    fixtures: v.fixtures as string | undefined, reports: String(v.reports), paths: parsed.positionals,
    name: v.name as string | undefined, dryRun: !!v['dry-run'], failFast: !!v['fail-fast'], quiet: !!v.quiet,
    nightly: !!v.nightly, retry, history: v.history as string | undefined, shard: shard?.[0], waitS, lang,
  });
  return result.exitCode;
}

/**
 * Why a --tags expression does not parse, or undefined: cucumber's own parser (the copy
 * cucumber resolves, so both read a tag expression the same way), its reason after the colon.
 */
function tagExpressionProblem(expr: string): string | undefined {
  const parser = require(require.resolve('@cucumber/tag-expressions', { paths: [path.dirname(require.resolve('@cucumber/cucumber'))] })) as { default: (e: string) => unknown };
  try {
    parser.default(expr);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^.*syntax error: /, '');
  }
}

export interface SuiteResult { exitCode: number; success: boolean; skipped: string[]; reportsDir: string; flaky?: string[] }

export async function runSuite(o: RunOptions): Promise<SuiteResult> {
  const lang = chooseLang(o.lang);
  let rigFile: RigFile;
  try {
    rigFile = loadRigFile(o.rig);
  } catch (err) {
    const { rigLoadFailure } = require('./rigs') as typeof import('./rigs');
    console.error(`medcard run: ${rigLoadFailure(o.rig, err, lang)}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: o.reports };
  }
  // The rig's readers are this run's until it ends: a second run waits (rigs/reservations.ts).
  let releaseReaders = () => {};
  if (!o.dryRun) {
    const waitS = o.waitS ?? DEFAULT_WAIT_S;
    try {
      releaseReaders = await reserveReaders(rigFile, Math.max(1, o.parallel), {
        waitMs: waitS * 1000, onWait: (r, h) => console.error(`medcard run: ${say(lang, { zh: `读卡器 "${r}" 正被 ${describeHolder(h)} 使用；最多等待 ${waitS} 秒（--wait）`, en: `reader "${r}" is in use by ${describeHolder(h)}; waiting up to ${waitS} s (--wait)` })}`),
      });
    } catch (err) {
      if (!(err instanceof ReservedError)) throw err;
      const what = err.what.replace(/^reader /, '');
      console.error(`medcard run: ${say(lang, {
        zh: `读卡器 ${what} 正被 ${describeHolder(err.holder)} 占用，等了 ${waitS} 秒仍未释放：等它结束，或停止它（kill ${err.holder.pid}）`,
        en: err.message,
      })}`);
      return { exitCode: 2, success: false, skipped: [], reportsDir: o.reports };
    }
  }
  try {
    return await runOnRig(o, rigFile);
  } finally {
    releaseReaders();
  }
}

async function runOnRig(o: RunOptions, rigFile: RigFile): Promise<SuiteResult> {
  // Workers open the rig by name; a rig file given by path travels as its folder + name.
  // The workers find the rig (and a lab's own rig kinds) in the rig file's folder.
  const rigEnv: Record<string, string> = path.dirname(rigFile.file) === path.join(ROOT, 'rigs') ? {} : { MEDCARD_RIGS_DIR: path.dirname(rigFile.file) };
  // The engine (containers, a probe of an external URL) starts while cucumber loads the
  // features and step code; the workers need it only when they start.
  const engine = resolveEngine(rigFile, o.engineUrl, chooseLang(o.lang));
  engine.catch(() => undefined); // reported where it is awaited
  try {
    return await runWithEngine(o, rigFile, engine, rigEnv);
  } finally {
    const started = await engine.catch(() => undefined);
    await started?.stop().catch((err) => console.error(`medcard run: ${say(chooseLang(o.lang), { zh: '停止结算引擎时出错', en: 'stopping the engine' })}: ${(err as Error).message}`));
  }
}

async function runWithEngine(o: RunOptions, rigFile: RigFile, starting: Promise<ResolvedEngine>, rigEnv: Record<string, string>): Promise<SuiteResult> {
  const lang = chooseLang(o.lang);
  if (o.fixtures && !fs.existsSync(path.join(o.fixtures, 'policies'))) {
    console.error(`medcard run: ${say(lang, { zh: `--fixtures ${o.fixtures} 下没有 policies/ 文件夹：请指向 fixtures/ 的副本`, en: `--fixtures ${o.fixtures} has no policies/ folder: point it at a copy of fixtures/` })}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: o.reports };
  }
  const reports = path.resolve(o.reports);
  const allureDir = path.join(reports, 'allure-results');
  fs.mkdirSync(reports, { recursive: true });
  fs.rmSync(allureDir, { recursive: true, force: true });
  fs.mkdirSync(allureDir, { recursive: true });
  const skipFile = path.join(reports, 'skipped.txt');
  fs.rmSync(skipFile, { force: true });

  Object.assign(process.env, {
    TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
    MEDCARD_RIG: rigFile.name, MEDCARD_SKIP_FILE: skipFile, MEDCARD_LANG: chooseLang(o.lang), ...rigEnv,
    ...(rigFile.exclusive ? { MEDCARD_EXCLUSIVE_TAG: rigFile.exclusive } : {}),
    ...(o.fixtures ? { MEDCARD_FIXTURES: path.resolve(o.fixtures) } : {}),
    ...(o.env ?? {}),
  });
  if (!rigEnv.MEDCARD_RIGS_DIR && !o.env?.MEDCARD_RIGS_DIR) delete process.env.MEDCARD_RIGS_DIR;
  if (!rigFile.exclusive) delete process.env.MEDCARD_EXCLUSIVE_TAG;
  if (!o.fixtures) delete process.env.MEDCARD_FIXTURES;

  const paths = o.paths.length ? o.paths.map((p) => path.resolve(p)) : [path.join(ROOT, 'features/**/*.feature')];
  const stdoutFormat = o.stdoutFormat ?? (o.quiet || !process.stdout.isTTY ? 'summary' : 'progress-bar');
  // Not on a terminal (CI logs, pipes): a line per scenario as it ends, then cucumber's summary.
  const { ScenarioLines } = require('./scenario-lines') as typeof import('./scenario-lines');
  const scenarioLines = !o.stdoutFormat && !o.quiet && !process.stdout.isTTY ? new ScenarioLines((line) => process.stdout.write(`${line}\n`)) : undefined;
  // Loaded here, not at the top: a container engine (resolveEngine) starts first, while these load.
  require(MATCH_INDICES); // before cucumber-expressions loads
  const { loadConfiguration, loadSources, runCucumber } = require('@cucumber/cucumber/api') as typeof import('@cucumber/cucumber/api');
  const { UnsyncedAllureWriter } = require('./allure-writer') as typeof import('./allure-writer');
  const { runConfiguration } = await loadConfiguration({
    file: false,
    provided: {
      paths,
      // TypeScript through a transpile cache (steps/register.js): ts-node's output, kept on disk;
      // in workers, native match indices too.
      requireModule: [path.join(ROOT, 'steps/register.js'), MATCH_INDICES],
      require: o.require ?? [path.join(ROOT, 'steps/support.ts'), path.join(ROOT, 'rigs/cucumber-support.ts')],
      format: [
        stdoutFormat,
        `json:${path.join(reports, 'cucumber.json')}`,
        `junit:${path.join(reports, 'junit.xml')}`,
        `rerun:${path.join(reports, '@rerun.txt')}`,
        // Allure writes its own files to resultsDir; its stream goes to a file so it does not take stdout.
        `allure-cucumberjs/reporter:${path.join(reports, 'allure-formatter.log')}`,
      ],
      formatOptions: { resultsDir: allureDir, writer: new UnsyncedAllureWriter({ resultsDir: allureDir }), ...ALLURE_OPTIONS, junit: { suiteName: `medcard ${o.rig}` }, snippetInterface: 'async-await' } as any,
      strict: true,
      // One at a time runs in this process (cucumber's parallel 0): a worker process would load
      // the step code a second time and take ~0.7 s longer to its first scenario.
      parallel: o.parallel > 1 ? o.parallel : 0,
      tags: o.tags ?? '',
      name: o.name ? [o.name] : [],
      dryRun: o.dryRun,
      failFast: o.failFast,
      retry: o.retry ?? (o.nightly ? 1 : 0),
      shard: o.shard ?? '',
      worldParameters: { rig: o.rig },
    },
  }, { cwd: ROOT });

  // Sources first: a feature that does not parse, or a tag expression that selects nothing, says so plainly.
  const sources = await loadSources(runConfiguration.sources, { cwd: ROOT });
  // What `medcard check` finds (a bad fixture, a misspelled keyword, an undefined step in a
  // scenario this run would run) stops the run here, before any scenario, with file and line.
  const planned = new Set(sources.plan.map((p) => `${path.resolve(ROOT, p.uri)}:${p.location.line}`));
  const { checkAllRemembered } = require('./check') as typeof import('./check');
  const { formatProblem } = require('./lint') as typeof import('./lint');
  const problems = checkAllRemembered({ features: paths, fixturesDir: o.fixtures ? path.resolve(o.fixtures) : path.join(ROOT, 'fixtures'), lang, steps: !o.require, selected: (file, line) => planned.has(`${file}:${line}`) }, [...planned])
    .filter((p) => p.severity === 'error');
  if (problems.length) {
    for (const p of problems) console.error(`medcard run: ${formatProblem(p, lang)}`);
    console.error(`\nmedcard run: ${say(lang, { zh: `${problems.length} 个问题，没有运行任何场景（\`npx medcard check\` 可随时检查）`, en: `${problems.length} problem(s); no scenario was run (\`npx medcard check\` checks at any time)` })}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }
  if (sources.errors.length) {
    for (const e of sources.errors) console.error(`medcard run: ${e.uri}:${e.location.line}: ${e.message}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }
  if (sources.plan.length === 0) {
    const where = paths.map((p) => path.relative(process.cwd(), p) || p).join(', ');
    console.error(`medcard run: ${o.tags
      ? say(lang, { zh: `${where} 中没有符合 --tags "${o.tags}" 的场景`, en: `no scenario matches --tags "${o.tags}" in ${where}` })
      : say(lang, { zh: `${where} 中没有场景`, en: `no scenario in ${where}` })}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }

  let engine: ResolvedEngine;
  try {
    engine = await starting;
  } catch (err) {
    console.error(`medcard run: ${(err as Error).message}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }
  Object.assign(process.env, engine.env);
  if (!engine.env.MEDCARD_ENGINE_URL) delete process.env.MEDCARD_ENGINE_URL;
  if (!engine.env.MEDCARD_CONTROL_TOKEN) delete process.env.MEDCARD_CONTROL_TOKEN;
  // A container engine that cannot start (no image, say) has usually said so by now: stop
  // here with the reason rather than fail every scenario with it.
  const startFailure = rejection(engine.started);
  await null; // lets an engine that failed already be noticed
  if (startFailure()) {
    console.error(`medcard run: ${say(lang, { zh: '容器结算引擎没有启动', en: 'the container engine did not start' })}: ${startFailure()!.message}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }

  let undefinedSteps = 0;
  const ambiguous: string[] = [];
  const attempts = new AttemptTracker();
  let success: boolean;
  try {
    ({ success } = await runCucumber(runConfiguration, { cwd: ROOT }, (envelope) => {
      attempts.onMessage(envelope);
      scenarioLines?.onMessage(envelope);
      if (envelope.testCase) {
        for (const s of envelope.testCase.testSteps) {
          if (s.pickleStepId && s.stepDefinitionIds) {
            if (s.stepDefinitionIds.length === 0) undefinedSteps++;
            if (s.stepDefinitionIds.length > 1) ambiguous.push(s.pickleStepId);
          }
        }
      }
    }));
  } catch (err) {
    // Run in this process, a BeforeAll hook that fails (a rig that does not open, a card that
    // cannot be read) ends cucumber's run: "a BeforeAll hook errored, process exiting: <where>".
    // Its cause is the reason, said in the run's language by the hook; set-up, so exit 2.
    const cause = (err as Error).cause;
    if (!/BeforeAll hook errored/.test((err as Error).message) || !(cause instanceof Error)) throw err;
    console.error(`medcard run: ${cause.message}`);
    return { exitCode: 2, success: false, skipped: [], reportsDir: reports };
  }
  writeEnvironment(allureDir, { ...o, rig: rigFile.name, engineUrl: engine.describe });
  const skipped = fs.existsSync(skipFile) ? fs.readFileSync(skipFile, 'utf8').trim().split('\n').filter(Boolean) : [];
  if (skipped.length) {
    console.log(`\n${say(lang, { zh: `${skipped.length} 个场景因读卡环境缺少能力而跳过：`, en: `${skipped.length} scenario(s) skipped because the rig lacks a capability:` })}`);
    for (const s of skipped) console.log(`  - ${s}`);
  }
  // The vocabulary's own steps are checked before the run (checkAll); these count what other step code (--require) leaves undefined.
  if (undefinedSteps) console.error(`\nmedcard run: ${say(lang, { zh: `${undefinedSteps} 个步骤没有定义。\`npx medcard steps\` 列出所有步骤（中英文）；请改成其中一种写法（或请开发人员加进 steps/ 的主题文件，steps/README.md）。`, en: `${undefinedSteps} step(s) are undefined. \`npx medcard steps\` lists every step in both languages; reword the step to one of them (or ask a developer to add it to the subject file in steps/, steps/README.md).` })}`);
  if (ambiguous.length) console.error(`\nmedcard run: ${say(lang, { zh: `${ambiguous.length} 个步骤符合不止一个定义，上面的输出列出了它们。请改写步骤，或告诉开发人员：steps/ 里有两种说法重叠。`, en: `${ambiguous.length} step(s) match more than one definition; the run output above names them. Reword the step or tell a developer: two phrasings in steps/ overlap.` })}`);
  const written = `${path.relative(process.cwd(), reports) || '.'}/{cucumber.json, junit.xml, allure-results/}`;
  console.log(`\n${say(lang, { zh: `报告：${written}（\`npx medcard report\` 生成 HTML）`, en: `reports: ${written} — \`npx medcard report\` renders HTML` })}`);
  const flaky = attempts.flaky();
  if (flaky.length) {
    console.log(`\n${say(lang, { zh: `${flaky.length} 个场景先失败、重试后通过（不稳定；见 Allure 报告中的重试）：`, en: `${flaky.length} scenario(s) failed, then passed on retry (flaky; see the Allure report's retries):` })}`);
    for (const f of flaky) console.log(`  - ${f}`);
  }
  fs.writeFileSync(path.join(reports, 'flaky.txt'), flaky.map((f) => `${f}\n`).join(''));
  if (o.nightly || o.history) {
    const history = path.resolve(o.history ?? path.join(reports, 'history.jsonl'));
    const rendered = renderAllure(reports, allureDir, history, `medcard ${rigFile.name}`);
    console.log(rendered.ok ? `allure: ${rendered.output}/index.html (${say(lang, { zh: '历史', en: 'history' })}: ${history})` : `medcard run: ${say(lang, { zh: '没有写出 Allure 报告', en: 'the Allure report was not written' })}: ${rendered.error}`);
  }
  if (startFailure()) {
    console.error(`\nmedcard run: ${say(lang, { zh: `容器结算引擎没有启动：${startFailure()!.message}（每个用到结算引擎的场景都因此失败）`, en: `the container engine did not start: ${startFailure()!.message} (every scenario that reached the engine failed with this)` })}`);
    return { exitCode: 2, success: false, skipped, reportsDir: reports, flaky };
  }
  const ok = success && undefinedSteps === 0 && ambiguous.length === 0;
  return { exitCode: ok ? 0 : 1, success: ok, skipped, reportsDir: reports, flaky };
}

/** The reason a promise rejected, once it has (undefined while it is pending or if it was fulfilled). */
function rejection(p: Promise<unknown> | undefined): () => Error | undefined {
  let reason: Error | undefined;
  p?.catch((err: Error) => { reason = err; });
  return () => reason;
}

/** Follows attempts (cucumber's retry) so a scenario that passed on retry is named as flaky. */
class AttemptTracker {
  private pickles = new Map<string, { uri: string; name: string }>();
  private caseToPickle = new Map<string, string>();
  private startedToCase = new Map<string, string>();
  private retried = new Set<string>();
  private finalFailed = new Set<string>();

  onMessage(e: any): void {
    if (e.pickle) this.pickles.set(e.pickle.id, { uri: e.pickle.uri, name: e.pickle.name });
    else if (e.testCase) this.caseToPickle.set(e.testCase.id, e.testCase.pickleId);
    else if (e.testCaseStarted) { this.startedToCase.set(e.testCaseStarted.id, e.testCaseStarted.testCaseId); this.finalFailed.delete(e.testCaseStarted.testCaseId); }
    else if (e.testStepFinished?.testStepResult?.status === 'FAILED') {
      const c = this.startedToCase.get(e.testStepFinished.testCaseStartedId);
      if (c) this.finalFailed.add(c);
    } else if (e.testCaseFinished?.willBeRetried) {
      const c = this.startedToCase.get(e.testCaseFinished.testCaseStartedId);
      if (c) this.retried.add(c);
    }
  }

  flaky(): string[] {
    return [...this.retried].filter((c) => !this.finalFailed.has(c)).map((c) => {
      const p = this.pickles.get(this.caseToPickle.get(c) ?? '');
      return p ? `${p.uri}: ${p.name}` : c;
    });
  }
}

/** The Allure HTML report with history, rendered the way `medcard report --history` does (cli/report.ts). */
function renderAllure(reports: string, allureDir: string, history: string, name: string): { ok: boolean; output: string; error?: string } {
  const output = path.join(reports, 'allure-report');
  const cli = [ROOT, process.cwd()].map((b) => path.join(b, 'node_modules', 'allure', 'cli.js')).find((f) => fs.existsSync(f));
  if (!cli) return { ok: false, output, error: 'the `allure` npm package (Allure 3) is not installed: npm ci' };
  const { renderAllure3 } = require('./report') as typeof import('./report');
  return { output, ...renderAllure3(cli, { results: [allureDir], output, name, history, quiet: true }) };
}

/** environment.properties and categories.json after each run (ecosystem-notes: Allure shards). */
function writeEnvironment(allureDir: string, o: RunOptions) {
  const env = [
    `rig=${o.rig}`, `engine=${o.engineUrl ?? (process.env.DATABASE_URL ? 'embedded (PostgreSQL)' : 'embedded (PGlite)')}`,
    `tags=${o.tags ?? ''}`, `parallel=${o.parallel}`, `node=${process.version}`,
  ];
  fs.writeFileSync(path.join(allureDir, 'environment.properties'), env.join('\n') + '\n');
  fs.writeFileSync(path.join(allureDir, 'categories.json'), JSON.stringify([
    { name: 'Money differs (to the fen)', matchedStatuses: ['failed'], messageRegex: '.*(expected .* 元, got|应为 .* 元，实际) .*' },
    { name: 'Terminal refusal differs', matchedStatuses: ['failed'], messageRegex: '.*(refus|拒绝).*' },
    { name: 'Platform error', matchedStatuses: ['failed', 'broken'], messageRegex: '.*infcode.*' },
    { name: 'Card or rig problem', matchedStatuses: ['failed', 'broken'], messageRegex: '.*(card|reader|vpcd|pcsc|读卡|社保卡).*' },
  ], null, 2));
}
