// A small, strict option parser for the commands: unknown options and arguments a command
// does not take are usage errors (exit 2), never silently ignored.
import { parseArgs } from 'node:util';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

/** Wrong use of a command: `medcard <command>: <message>` on stderr and exit 2 (cli/main.ts). */
export class UsageError extends Error {}

/**
 * `maxPositionals`: how many plain arguments the command takes (sub-command and names;
 * Infinity for a list of files). Any beyond that is refused, naming it.
 */
export function parseOptions<T extends OptionSpec>(argv: string[], options: T, help: string, maxPositionals = 0) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help);
    return null;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's text for an unknown option goes on about `--`; the option's name is what matters.
    const unknown = (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec((err as Error).message)?.[1] : undefined;
    throw new UsageError(`${unknown ? `unknown option ${unknown}` : (err as Error).message}\n\n${help}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals);
    const takes = maxPositionals === 0 ? 'takes no arguments, only options' : `takes at most ${maxPositionals} argument(s)`;
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `"${a}"`).join(' ')}: this command ${takes}\n\n${help}`);
  }
  return parsed;
}
