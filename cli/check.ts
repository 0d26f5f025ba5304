// `medcard check [paths…]`: lints feature files (keywords, undefined and ambiguous steps,
// tags, rig needs) and every fixture and rig file, without running a scenario or starting an
// engine: quick enough for an editor's save hook. `medcard run` makes the same checks first
// (checkAllRemembered) and stops on an error before any scenario.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseOptions } from './args';
import { say, type Lang } from './lang';
import { checkFixtures, checkRigs, featureFiles, formatProblem, lintFeature, tagRules, vocabularyOf, type Problem, type Vocabulary } from './lint';

const ROOT = path.resolve(__dirname, '..');

const HELP = `usage: medcard check [--fixtures <dir>] [--rig <name>] [--lang zh|en] [--quiet] [paths…]

Checks what analysts write, running nothing and starting no engine:
  feature files   they parse; keywords are spelled right (场境: → 场景:); every step is in the
                  vocabulary, exactly once (else the closest steps and a snippet for a developer);
                  tags (@needs-<capability>, @severity:, a topic, @domain- and @seed-); a step
                  that needs a rig capability carries its @needs- tag
  fixtures        every YAML file of fixtures/ (or --fixtures) against its schema and loader
  rigs            every rig file (rigs/*.yaml)
paths: feature files or folders (default: features/ and compliance/features/).
--rig <name>: also name the scenarios that rig would skip (it lacks a capability they need).
exit: 0 no error (warnings allowed), 1 errors found, 2 usage.
--lang: messages in Chinese or English (default: from LC_ALL / LC_MESSAGES / LANG).
--quiet: errors only, no warnings and no summary line.`;

/** The vocabulary, loaded after the fixtures are checked: region names come from the policy files. */
function loadVocabulary(): Vocabulary | Error {
  try {
    const steps = require('../steps') as typeof import('../steps');
    return vocabularyOf(steps.VOCABULARY, steps.PARAMETERS);
  } catch (err) {
    return err as Error;
  }
}

function fixtureCheckers() {
  const { formatOfFixture } = require('./schemas') as typeof import('./schemas');
  const { loadPolicies } = require('../engine') as typeof import('../engine');
  const { loadCardProfile, loadPsamProfile } = require('../emulator') as typeof import('../emulator');
  return {
    formatOf: formatOfFixture,
    loaders: [{ folder: 'policies', load: (d: string) => loadPolicies(d), whole: true }, { folder: 'cards', load: (f: string) => loadCardProfile(f) }, { folder: 'psam', load: (f: string) => loadPsamProfile(f) }],
  };
}

export interface CheckScope {
  features: readonly string[];
  fixturesDir: string;
  lang: Lang;
  /** Only these scenarios' steps (`medcard run`'s plan: the uri and the line of each scenario or example row). */
  selected?: (file: string, line: number) => boolean;
  /** Check the rig files too (`medcard check`; `medcard run` has loaded its own rig already). */
  rigs?: boolean;
  /** Match the steps against the vocabulary (default); not when a run brings step code of its own (`RunOptions.require`). */
  steps?: boolean;
  /** `medcard check --rig`: name the scenarios this rig would skip. */
  rig?: { name: string; capabilities: readonly string[] };
}

/** Every problem in the scope: fixtures first (the vocabulary needs the policies), then rigs, then features. */
export function checkAll(scope: CheckScope): Problem[] {
  const problems = checkFixtures(scope.fixturesDir, fixtureCheckers());
  if (scope.rigs) {
    const rigs = require('../rigs') as typeof import('../rigs');
    problems.push(...checkRigs(rigs.listRigFiles(), rigs.loadRigFile, rigs.rigFilePath));
  }
  const vocabulary = scope.steps === false ? undefined : loadVocabulary();
  if (vocabulary instanceof Error) {
    if (!problems.length) problems.push({ file: path.join(ROOT, 'steps'), severity: 'error', text: { zh: `步骤无法加载：${vocabulary.message}`, en: `the steps do not load: ${vocabulary.message}` } });
    return problems;
  }
  const { CAPABILITIES } = require('../rigs') as typeof import('../rigs');
  const tags = tagRules(CAPABILITIES);
  for (const file of featureFiles(scope.features)) {
    problems.push(...lintFeature(file, { vocabulary, tags, lang: scope.lang, rig: scope.rig, selected: scope.selected ? (line) => scope.selected!(file, line) : undefined }));
  }
  return problems;
}

/** Where the last run's checks are remembered (beside steps/register.js's transpile cache). */
const REMEMBERED = path.join(ROOT, 'node_modules', '.cache', 'medcard-check', 'last.json');

/**
 * checkAll, remembered for the next run with the same inputs: the contents of every file of
 * the code, the fixtures and the features, the plan (`plan`: the scenarios selected) and the
 * scope. `medcard run` repeated with nothing changed skips ~0.25 s of checks before its first
 * scenario. Only the last run is kept.
 */
export function checkAllRemembered(scope: CheckScope, plan: readonly string[]): Problem[] {
  const { hashTree } = require('../containers') as typeof import('../containers');
  const hash = createHash('sha256');
  const { selected: _, ...rest } = scope;
  hash.update(JSON.stringify({ scope: rest, plan, fixtures: process.env.MEDCARD_FIXTURES ?? '', rigs: process.env.MEDCARD_RIGS_DIR ?? '' }));
  // The code the checks run (the vocabulary, the schemas, the lint): each folder of TypeScript but the tests and benches.
  const code = fs.readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !['node_modules', 'test', 'bench'].includes(e.name) && fs.readdirSync(path.join(ROOT, e.name)).some((f) => f.endsWith('.ts')))
    .map((e) => e.name);
  for (const rel of [...code, 'package-lock.json']) hashTree(hash, ROOT, rel);
  for (const file of [scope.fixturesDir, ...featureFiles(scope.features)]) hashTree(hash, '/', path.resolve(file));
  const key = hash.digest('hex');
  try {
    const last = JSON.parse(fs.readFileSync(REMEMBERED, 'utf8')) as { key: string; problems: Problem[] };
    if (last.key === key) return last.problems;
  } catch { /* none yet, or unreadable: check */ }
  const problems = checkAll(scope);
  try {
    fs.mkdirSync(path.dirname(REMEMBERED), { recursive: true });
    // Written aside, then renamed: a run started meanwhile reads the old answer or the new, whole.
    fs.writeFileSync(`${REMEMBERED}.${process.pid}`, JSON.stringify({ key, problems }));
    fs.renameSync(`${REMEMBERED}.${process.pid}`, REMEMBERED);
  } catch { /* a read-only checkout: check every time */ }
  return problems;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { fixtures: { type: 'string' }, rig: { type: 'string' }, quiet: { type: 'boolean' } }, HELP, Infinity);
  if (!parsed) return 0;
  const v = parsed.values as { fixtures?: string; rig?: string; quiet?: boolean };
  const lang = parsed.lang;
  const fixturesDir = path.resolve(v.fixtures ?? path.join(ROOT, 'fixtures'));
  if (!fs.existsSync(path.join(fixturesDir, 'policies'))) {
    console.error(`medcard check: ${say(lang, { zh: `--fixtures ${fixturesDir} 下没有 policies/ 文件夹：请指向 fixtures/ 的副本`, en: `--fixtures ${fixturesDir} has no policies/ folder: point it at a copy of fixtures/` })}`);
    return 2;
  }
  if (v.fixtures) process.env.MEDCARD_FIXTURES = fixturesDir;
  const missing = parsed.positionals.filter((p) => !fs.existsSync(p));
  if (missing.length) { console.error(`medcard check: ${say(lang, { zh: `找不到 ${missing.join('、')}`, en: `no such file or folder: ${missing.join(', ')}` })}`); return 2; }
  const features = parsed.positionals.length ? parsed.positionals.map((p) => path.resolve(p)) : [path.join(ROOT, 'features'), path.join(ROOT, 'compliance', 'features')];
  let rig: CheckScope['rig'];
  if (v.rig) {
    const rigs = require('../rigs') as typeof import('../rigs');
    try { rig = rigs.loadRigFile(v.rig); } catch (err) {
      const { rigLoadFailure } = require('./rigs') as typeof import('./rigs');
      console.error(`medcard check: ${rigLoadFailure(v.rig, err, lang)}`);
      return 2;
    }
  }
  const started = process.hrtime.bigint();
  const problems = checkAll({ features, fixturesDir, lang, rigs: true, rig });
  const errors = problems.filter((p) => p.severity === 'error');
  const shown = v.quiet ? errors : problems;
  for (const p of shown) console.log(formatProblem(p, lang));
  if (!v.quiet) {
    const files = featureFiles(features).length;
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const warnings = problems.length - errors.length;
    console.log(say(lang, {
      zh: `检查了 ${files} 个 feature 文件、fixtures 和读卡环境文件：${errors.length} 个错误，${warnings} 个提醒（${ms} ms）`,
      en: `checked ${files} feature file(s), the fixtures and the rig files: ${errors.length} error(s), ${warnings} warning(s) (${ms} ms)`,
    }));
  }
  return errors.length ? 1 : 0;
}
