// Statement names and parameter text, shared by both database adapters.

/**
 * Statements run as named prepared statements, parsed and planned once per connection (on
 * PostgreSQL those with parameters, on PGlite all); one text = one name.
 */
const NAMES = new Map<string, string>();
export function statementName(text: string): string {
  let name = NAMES.get(text);
  if (!name) {
    name = `m${NAMES.size.toString(36)}`;
    NAMES.set(text, name);
  }
  return name;
}
export function named(text: string, values: unknown[]): string | { name: string; text: string; values: unknown[] } {
  return values.length ? { name: statementName(text), text, values } : text;
}

// pg's own conversion of a parameter to its text form (arrays → '{…}', objects → JSON, …).
export const prepareValue = (require('pg/lib/utils') as { prepareValue(v: unknown): unknown }).prepareValue;
