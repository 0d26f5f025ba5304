// The one error for problems in analysts' files: every problem found, one a line,
// `file:line: field: message`, sorted by file and line.
import type { YamlIssue } from './types';

export const formatIssue = (i: YamlIssue): string => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.field}: ${i.message}`;

export class YamlError extends Error {
  readonly issues: readonly YamlIssue[];
  constructor(issues: readonly YamlIssue[]) {
    // By file (in the order the files came), then by line.
    const files = [...new Set(issues.map((i) => i.file))];
    const sorted = [...issues].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0));
    super(sorted.map(formatIssue).join('\n'));
    this.name = 'YamlError';
    this.issues = sorted;
  }
  /** The first problem's file, line, field and message (the first by line). */
  get file(): string { return this.issues[0]?.file ?? ''; }
  get line(): number | undefined { return this.issues[0]?.line; }
  get field(): string { return this.issues[0]?.field ?? ''; }
  get problem(): string { return this.issues[0]?.message ?? ''; }
}
