// YAML text → plain values, keeping where each node stands so problems can name a line.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node, type Pair } from 'yaml';
import { YamlError } from './error';
import { readYamlText } from './files';
import type { Path, Scalars, YamlIssue } from './types';

/** The dotted name of a path: `people[0].certno`; `root` (default `(document)`) for the empty path. */
export function fieldName(path: Path, root = '(document)'): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || root;
}

const MAX_SYNTAX_ISSUES = 3;

export class YamlDocument {
  /** The document as plain values (every scalar a string when read as `text`). */
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  /** Parse `text`; a syntax error (or a duplicate key) throws a YamlError naming its line. */
  constructor(readonly file: string, text: string, readonly scalars: Scalars = 'core') {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: true, ...(scalars === 'text' ? { schema: 'failsafe' } : {}) });
    const issues = this.doc.errors.slice(0, MAX_SYNTAX_ISSUES).map((e): YamlIssue => ({
      file, line: e.linePos?.[0]?.line, field: '(yaml)', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
    }));
    if (issues.length) throw new YamlError(issues);
    this.value = this.doc.toJS({ maxAliasCount: 100 }) ?? undefined;
  }

  /** Read and parse a file; one that cannot be read (or is not a regular file, or is over the size cap) is a YamlError naming it. */
  static read(file: string, scalars: Scalars = 'core', shown = file): YamlDocument {
    let text: string;
    try { text = readYamlText(file); } catch (e) {
      throw new YamlError([{ file: shown, field: '(file)', message: `cannot read: ${(e as Error).message}` }]);
    }
    return new YamlDocument(shown, text, scalars);
  }

  /**
   * The line of the field at `path`: a value's own line, a section's key line; for a field
   * that is not there, the line of its nearest parent that is.
   */
  line(path: Path): number {
    for (let n = path.length; n > 0; n--) {
      const found = this.find(path.slice(0, n));
      if (found) return found;
    }
    const start = (this.doc.contents as Node | null)?.range?.[0];
    return start === undefined ? 1 : this.lines.linePos(start).line;
  }

  /** A problem at `path` of this document. */
  issue(path: Path, message: string, root?: string): YamlIssue {
    return { file: this.file, line: this.line(path), field: fieldName(path, root), message };
  }

  private find(path: Path): number | undefined {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    for (const part of path) {
      pair = undefined;
      if (isMap(node)) {
        pair = node.items.find((it) => String(isScalar(it.key) ? it.key.value : it.key) === String(part));
        node = pair?.value;
        if (!pair) return undefined;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        if (node === undefined) return undefined;
      } else return undefined;
    }
    const at = (n: unknown) => (n as Node | null | undefined)?.range?.[0];
    // A scalar where it stands; a mapping or list under a key at its key (where it begins).
    const start = isPair(pair) && !isScalar(node) ? at(pair.key) ?? at(node) : at(node) ?? at(pair?.key);
    return start === undefined ? undefined : this.lines.linePos(start).line;
  }
}
