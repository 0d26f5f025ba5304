// What a step says to the analyst, in the run's language. `medcard run` decides the language
// (cli/lang.ts: --lang, else the locale) and hands it to the workers as MEDCARD_LANG; steps
// never decide it themselves. Every failure a step raises is a StepFailure built from a Said,
// both texts side by side at the place that raises it (no message table to drift from the code).
// Machine identifiers (error codes, APDU hex, field names such as psn_no) stay as they are in both.
import type { TerminalRefusal } from '../terminal';
import type { Lang, Said } from './types';

/** The run's language, read when a message is made (a test may set MEDCARD_LANG between runs). */
export function runLang(): Lang { return process.env.MEDCARD_LANG === 'zh' ? 'zh' : 'en'; }

/** The one picker: this text in the run's language. */
export function said(text: Said): string { return text[runLang()]; }

/** A step's failure for the analyst: its message is in the run's language, `said` keeps both. */
export class StepFailure extends Error {
  constructor(readonly said: Said) {
    super(said[runLang()]);
    // The stack starts with the message alone (cucumber shows the stack's head as the failure).
    const at = this.stack?.indexOf(this.message) ?? -1;
    if (at > 0) this.stack = this.stack!.slice(at);
  }
}
// No "Error:" or class name before the message in the report, nor in String(err): the analyst reads the message alone.
Object.defineProperty(StepFailure.prototype, 'name', { value: '' });

/** `throw fail({ zh, en })`: shorter at the many places that raise one. */
export const fail = (s: Said): StepFailure => new StepFailure(s);

/** Both texts joined item by item (a list of problems, each a Said). */
export function joined(items: readonly Said[], sep: Said): Said {
  return { zh: items.map((i) => i.zh).join(sep.zh), en: items.map((i) => i.en).join(sep.en) };
}

/** The terminal's refusal in one language: its reason, the PIN tries left, its detail. */
export function refusalSaid(r: Pick<TerminalRefusal, 'zh' | 'en' | 'detail' | 'triesLeft'>): Said {
  // The detail is the terminal's or the platform's own text (a status word, the platform's err_msg), quoted as it came.
  const detail = r.detail ? { zh: `（详情：${r.detail}）`, en: ` (detail: "${r.detail}")` } : { zh: '', en: '' };
  const tries = r.triesLeft === undefined ? { zh: '', en: '' } : { zh: `，剩余 ${r.triesLeft} 次`, en: `, ${r.triesLeft} tries left` };
  return { zh: `${r.zh}${tries.zh}${detail.zh}`, en: `${r.en}${tries.en}${detail.en}` };
}
