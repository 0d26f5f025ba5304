// A document against its format's zod schema: every zod issue becomes one YamlIssue
// (file, line, dotted field, message), and all of them are thrown together.
import type { z } from 'zod';
import { YamlDocument, fieldName } from './yaml';
import { YamlError } from './error';
import type { Format, Path, Wording, YamlIssue } from './types';

/** A format, typed by its schema's output. */
export function defineFormat<T>(format: Format<T>): Format<T> {
  return format;
}

/**
 * In a message, `{parent}` stands for the dotted name of the field's parent
 * (`people[0]`): a rule written once for every item of a list can still say which.
 */
export const PARENT = '{parent}';

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: YamlIssue[] };

/** Validate a parsed document; never throws for what is wrong with it. */
export function check<T>(format: Format<T>, doc: YamlDocument, root = '(document)'): Checked<T> {
  const r = format.schema.safeParse(doc.value, { error: wordingMap(format.wording, root) });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.flatMap((i) => toIssues(doc, i, root)) };
}

/** Validate a parsed document: its value, or a YamlError listing every problem. */
export function validate<T>(format: Format<T>, doc: YamlDocument, root?: string): T {
  const r = check(format, doc, root);
  if (!r.ok) throw new YamlError(r.issues);
  return r.value;
}

/**
 * Read, parse and validate one file of a format. `text` stands in for the file's content
 * (tests); `shown` is how the file is named in messages (default: `file`).
 */
export function loadYaml<T>(format: Format<T>, file: string, o: { text?: string; shown?: string; root?: string } = {}): T {
  const shown = o.shown ?? file;
  const doc = o.text === undefined ? YamlDocument.read(file, format.scalars, shown) : new YamlDocument(shown, o.text, format.scalars);
  return validate(format, doc, o.root);
}

/** The format's words for the issues zod raises without a message of the schema's own. */
function wordingMap(w: Wording, root: string): z.core.$ZodErrorMap {
  return (iss) => {
    const path = (iss.path ?? []) as Path;
    const field = fieldName(path, root);
    if (iss.code === 'invalid_type') {
      if (path.length === 0) return iss.expected === 'array' ? w.notList(field) : w.notMapping(field); // an empty file, or a scalar
      if (iss.input === undefined || iss.input === null) return w.missing(field, String(path[path.length - 1]));
      if (iss.expected === 'object' || iss.expected === 'record') return w.notMapping(field);
      if (iss.expected === 'array') return w.notList(field);
    }
    if (iss.code === 'unrecognized_keys') {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {};
      // One line a key: toIssues splits them into one issue each.
      return iss.keys.map((k) => w.unknownField(k, Object.keys(shape), field)).join('\n');
    }
    return undefined;
  };
}

function toIssues(doc: YamlDocument, i: z.core.$ZodIssue, root: string): YamlIssue[] {
  const at = (path: Path, message: string): YamlIssue => {
    const issue = doc.issue(path, message, root);
    return { ...issue, message: message.split(PARENT).join(fieldName(path.slice(0, -1), root)) };
  };
  if (i.code === 'unrecognized_keys') {
    const lines = i.message.split('\n');
    return i.keys.map((k, n) => at([...i.path, k], lines.length === i.keys.length ? lines[n] : i.message));
  }
  return [at(i.path as Path, i.message)];
}
