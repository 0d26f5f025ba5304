// `medcard <command> [options]`: each command lives in its own module under cli/ and
// exports `run(argv) → exit code`. Modules load lazily (require, not import(): this is a
// CommonJS package) so `medcard --help` stays fast.
// Exit codes, the same for every command (README "Commands"): 0 passed / done, 1 scenario
// failures or checks that failed, 2 usage or set-up (bad arguments, nothing to reach).
import { UsageError } from './args';
import { chooseLang, langFlagIn, say } from './lang';

interface CommandModule { run(argv: string[]): Promise<number> }
interface Command {
  summary: string;
  load: () => CommandModule;
}

const commands: Record<string, Command> = {
  run: { summary: 'run the certification suite (features/) and write reports/', load: () => require('./run') },
  steps: { summary: 'list every step in Chinese and English, with an example', load: () => require('./steps') },
  check: { summary: 'check feature files, fixtures and rig files without running anything (for a save hook)', load: () => require('./check') },
  'init-editor': { summary: 'write .vscode/settings.json: step completion (Cucumber extension) and the fixtures\' schemas (YAML extension)', load: () => require('./init-editor') },
  report: { summary: 'render reports/allure-results as an HTML report', load: () => require('./report') },
  emulate: { summary: 'serve an emulated card to pcscd through vpcd, until stopped', load: () => require('./emulate') },
  doctor: { summary: 'check pcscd, vpcd readers, the vpcd stall, PostgreSQL, Docker and a CJK font, each with its fix; --fix cures the stall (root)', load: () => require('./doctor') },
  rigs: { summary: 'list the rigs (rigs/*.yaml): kind, reader, engine, capabilities', load: () => require('./rigs') },
  rig: { summary: 'rig check <name>: reader there? card in? answers SELECT SSSE? engine reachable?', load: () => require('./rig') },
  certify: { summary: 'certify a terminal under test: compliance features, its card and platform traffic judged, a certificate in reports/compliance/', load: () => require('./certify') },
  terminal: { summary: 'the reference terminal as a separate program: settle or query-balance on a PC/SC reader against a platform URL', load: () => require('./terminal') },
  engine: { summary: 'serve the reference settlement engine (platform API over HTTP)', load: () => require('./engine') },
  schemas: { summary: 'write the JSON Schemas of the fixture files (schemas/*.schema.json) from their zod schemas', load: () => require('./schemas') },
  images: { summary: 'build the container images (medcard/base, medcard/postgres, medcard/engine), cached', load: () => require('./images') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length), 4);
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: medcard <command> [options]', '       medcard --version', '', 'commands:', ...lines, '',
    'Run `medcard <command> --help` for a command\'s options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(`medcard ${(require('../package.json') as { version: string }).version}`);
    return 0;
  }
  // The language of a message before the command has read its options (it reads --lang again).
  const lang = chooseLang(langFlagIn(rest));
  const command = commands[name];
  if (!command) {
    console.error(`medcard: ${say(lang, { zh: `没有 "${name}" 这个命令`, en: `unknown command "${name}"` })}\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.load().run(rest);
  } catch (err) {
    // One prefix for every error a command lets out; a usage error, or a set-up one
    // (a file that does not load, a service not there), is exit 2. A usage error is said in
    // the chosen language; another error's text is the part's that raised it.
    console.error(`medcard ${name}: ${err instanceof UsageError ? err.in(lang) : err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof UsageError) && process.env.MEDCARD_DEBUG) console.error((err as Error).stack);
    return 2;
  }
}
