// A small, strict option parser for the commands: unknown options and arguments a command
// does not take are usage errors (exit 2), never silently ignored. Every command takes
// `--lang zh|en` (cli/lang.ts): its messages, usage errors included, follow it.
import { parseArgs } from 'node:util';
import { badLangFlag, chooseLang, type Lang, type Said } from './lang';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

/**
 * Wrong use of a command, or a set-up it cannot start with: `medcard <command>: <message>`
 * on stderr in the chosen language, then the help when given, and exit 2 (cli/main.ts).
 */
export class UsageError extends Error {
  constructor(readonly said: Said, readonly help?: string) {
    super(said.en + (help ? `\n\n${help}` : ''));
  }
  /** The message in one language, with the help under it. */
  in(lang: Lang): string { return this.said[lang] + (this.help ? `\n\n${this.help}` : ''); }
}

const LANG_OPTION = { lang: { type: 'string' } } as const;

/**
 * `maxPositionals`: how many plain arguments the command takes (sub-command and names;
 * Infinity for a list of files). Any beyond that is refused, naming it. The result's
 * `lang` is the language chosen for this command (--lang, else the locale).
 */
export function parseOptions<T extends OptionSpec>(argv: string[], options: T, help: string, maxPositionals = 0) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help);
    return null;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...LANG_OPTION, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseFailure(err as NodeJS.ErrnoException), help);
  }
  const flag = (parsed.values as Record<string, unknown>).lang as string | undefined;
  const bad = badLangFlag(flag);
  if (bad) throw new UsageError({ zh: bad, en: bad });
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals);
    const quoted = extra.map((a) => `"${a}"`).join(' ');
    const takes = maxPositionals === 0
      ? { zh: '这个命令只接受选项，不接受参数', en: 'this command takes no arguments, only options' }
      : { zh: `这个命令最多接受 ${maxPositionals} 个参数`, en: `this command takes at most ${maxPositionals} argument(s)` };
    throw new UsageError({ zh: `多余的参数 ${quoted}：${takes.zh}`, en: `unexpected argument${extra.length > 1 ? 's' : ''} ${quoted}: ${takes.en}` }, help);
  }
  return { ...parsed, lang: chooseLang(flag) };
}

/** Node's parse error, said plainly: the option's name is what matters (its text goes on about `--`). */
function parseFailure(err: NodeJS.ErrnoException): Said {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return { zh: `没有 ${option} 这个选项`, en: `unknown option ${option}` };
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/argument missing/.test(err.message)) return { zh: `选项 ${option} 后面要跟一个值`, en: `option ${option} wants a value` };
    if (/ambiguous/.test(err.message)) return { zh: `选项 ${option} 的值以 - 开头：请写成 ${option}=<值>`, en: `the value of ${option} starts with -: write ${option}=<value>` };
    if (/does not take an argument/.test(err.message)) return { zh: `选项 ${option} 不带值`, en: `option ${option} takes no value` };
  }
  return { zh: `命令行有误：${err.message}`, en: err.message };
}
