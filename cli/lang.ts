// The language of what an analyst reads from the commands (errors, hints, summaries): Chinese
// when `--lang zh` is given or the locale is zh_* (LC_ALL, then LC_MESSAGES, then LANG, the
// POSIX order), English otherwise. Decided here only; the commands pass the choice on (and
// `medcard run` to its workers as MEDCARD_LANG, which steps/said.ts reads).
import type { Lang, Said } from '../steps';

export type { Lang, Said };

/** The language for this command: `--lang` when given (zh or en), else the locale. */
export function chooseLang(flag?: string, env: NodeJS.ProcessEnv = process.env): Lang {
  if (flag === 'zh' || flag === 'en') return flag;
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh([_.-]|$)/i.test(locale) ? 'zh' : 'en';
}

/** The `--lang` value in a command line not parsed yet (`--lang zh` or `--lang=zh`), for a message before the options are read. */
export function langFlagIn(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--lang') return argv[i + 1];
    if (a.startsWith('--lang=')) return a.slice('--lang='.length);
  }
  return undefined;
}

/** A `--lang` value a command refuses (usage error, exit 2), in both languages since the choice is what is wrong. */
export function badLangFlag(flag: string | undefined): string | undefined {
  if (flag === undefined || flag === 'zh' || flag === 'en') return undefined;
  return `--lang 只能是 zh 或 en / --lang is zh or en, not "${flag}"`;
}

export const say = (lang: Lang, text: Said): string => text[lang];
