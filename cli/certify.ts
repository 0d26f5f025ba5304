// `medcard certify --terminal <name>`: certify a terminal under test. The compliance features
// (compliance/features/) run on a rig whose card the harness serves (vpcd: the terminal reads
// it over real PC/SC), the terminal is driven through its terminal file's adapter and talks to
// the engine through the recorder, and the verdicts become a certificate:
// reports/compliance/index.html and reports/compliance.json. Exit 0 when every requirement
// judged passed, 1 when one failed (or a scenario failed), 2 for a usage or set-up problem.
import fs from 'node:fs';
import path from 'node:path';
import { certificate, listTerminals, loadTerminal, readVerdicts, writeCertificate, type TerminalFile } from '../compliance';
import { parseOptions, UsageError } from './args';
import { runSuite } from './run';

const ROOT = path.resolve(__dirname, '..');

const HELP = `usage: medcard certify --terminal <name | terminals/x.yaml> [--tags <expr>] [--rig vpcd] [--reports <dir>] [feature files…]

Certify a terminal under test: runs the compliance features (compliance/features/) with the
terminal driven through its terminal file, records its card and platform traffic, judges each
requirement and writes reports/compliance/index.html and reports/compliance.json.

  --terminal <name>   a terminal file in terminals/ (${listTerminals().join(', ') || 'none yet'}) or a path
  --tags <expr>       cucumber tag expression, e.g. "@req-PLAT-05" or "not @english"
  --rig <name>        a rig whose card the harness serves (default vpcd)
  --reports <dir>     where to write (default reports)

Exit codes: 0 every requirement judged and passed (with --tags: every judged one), 1 a requirement or a scenario
failed, or (a whole run) a requirement was not tested; 2 usage or set-up.
Example: npx medcard certify --terminal reference`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {
    terminal: { type: 'string' }, tags: { type: 'string' }, rig: { type: 'string', default: 'vpcd' }, reports: { type: 'string', default: 'reports' },
  }, HELP, Infinity);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.terminal) throw new UsageError({ zh: '必须给出 --terminal（受测终端的名称或终端文件）', en: '--terminal is required' }, HELP);
  let terminal: TerminalFile;
  try {
    terminal = loadTerminal(String(v.terminal));
  } catch (err) {
    console.error(`medcard certify: ${(err as Error).message}`);
    return 2;
  }
  const reports = path.resolve(String(v.reports));
  fs.mkdirSync(reports, { recursive: true });
  const verdictsFile = path.join(reports, 'compliance-verdicts.jsonl');
  fs.rmSync(verdictsFile, { force: true });
  console.log(`medcard certify: terminal ${terminal.name} (${terminal.adapter}: ${terminal.description}), institution ${terminal.institution.code}`);
  const result = await runSuite({
    rig: String(v.rig), tags: v.tags as string | undefined, parallel: 1, reports, dryRun: false, failFast: false, quiet: false,
    // The operator reads their instructions on this terminal: a progress bar would redraw over them.
    ...(terminal.adapter === 'operator' ? { stdoutFormat: 'summary' } : {}),
    paths: parsed.positionals.length ? parsed.positionals : [path.join(ROOT, 'compliance/features/**/*.feature')],
    env: { MEDCARD_TERMINAL: terminal.file, MEDCARD_VERDICTS_FILE: verdictsFile },
  });
  if (result.exitCode === 2) return 2;
  const cert = certificate(terminal.name, readVerdicts(verdictsFile));
  const written = writeCertificate(reports, cert);
  console.log(`\n受测终端 / terminal ${terminal.name}: 通过 passed ${cert.passed} · 未通过 failed ${cert.failed} · 未测试 not tested ${cert.notTested}`);
  for (const r of cert.rows) console.log(`  ${r.verdict === 'passed' ? '✓' : r.verdict === 'failed' ? '✗' : '·'} ${r.id.padEnd(8)} ${r.verdict.padEnd(10)} ${r.zh} / ${r.en}`);
  console.log(`certificate: ${path.relative(process.cwd(), written.html)} · ${path.relative(process.cwd(), written.json)}`);
  // A certificate needs every requirement judged: on a whole run, one not tested is not a pass.
  const complete = cert.notTested === 0 || v.tags !== undefined || parsed.positionals.length > 0;
  if (!complete) console.log(`medcard certify: ${cert.notTested} requirement(s) not tested: the terminal did not get far enough in the scenarios that check them (see the certificate)`);
  return cert.failed > 0 || !complete || !result.success ? 1 : 0;
}
