// Types of the schema part: what analysts' YAML files are checked against, and what a
// problem in one looks like.
import type { ZodType } from 'zod';

/** One problem in a file: where it is (file, line, dotted field) and what is wrong. */
export interface YamlIssue {
  file: string;
  /** 1-based; absent when the problem has no place in the text (an unreadable file). */
  line?: number;
  /** Dotted path of the field: `people[0].certno`, `holder.idNumber`; `(yaml)` for syntax. */
  field: string;
  message: string;
}

/** A path into a document, as zod reports it: keys and list indices. */
export type Path = ReadonlyArray<PropertyKey>;

/**
 * How scalars are read. `core`: YAML 1.2's core schema (numbers, booleans, strings).
 * `text`: the failsafe schema, every scalar is its text, so an unquoted 18-digit ID number
 * keeps every digit and `01` stays `01`; the format's schema reads the text itself.
 */
export type Scalars = 'core' | 'text';

/**
 * A format's words for the problems every format has. Fields are dotted names
 * (`settlement.cap`); `where` is the mapping a field belongs to, `(document)` at the top.
 * A field's own schema may give its own message instead (zod's `error` option).
 */
export interface Wording {
  /** A required field is absent (or empty). `key` is its last part. */
  missing(field: string, key: string): string;
  /** A key the mapping does not know; `allowed` are the keys it knows. */
  unknownField(key: string, allowed: readonly string[], where: string): string;
  /** A mapping (key: value) was expected. */
  notMapping(field: string): string;
  /** A list was expected. */
  notList(field: string): string;
}

/**
 * A kind of file analysts write: its zod schema (which validates and turns the text into
 * the program's values), how its scalars are read, and the words for common problems.
 * `id` names the JSON Schema file: schemas/<id>.schema.json.
 */
export interface Format<T> {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly schema: ZodType<T>;
  readonly scalars: Scalars;
  readonly wording: Wording;
}

/** A JSON Schema document (draft 2020-12), as z.toJSONSchema writes it. */
export type JsonSchema = Record<string, unknown>;
