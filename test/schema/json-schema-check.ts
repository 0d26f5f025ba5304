// A small JSON Schema (2020-12) checker for the keywords our generated schemas use, so a
// test can ask what an editor's YAML language server would: does this file fit its schema?
// A keyword it does not know is an error, never silently passed.

type S = Record<string, unknown>;
const ANNOTATIONS = new Set(['$schema', '$comment', 'title', 'description', 'default', 'examples', 'format', 'deprecated']);
const KNOWN = new Set([...ANNOTATIONS, 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items',
  'propertyNames', 'minItems', 'maxItems', 'anyOf', 'oneOf', 'allOf', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const fits = (v: unknown, t: string): boolean => (t === 'integer' ? Number.isInteger(v) : t === 'number' ? typeof v === 'number' : typeOf(v) === t);

/** What is wrong with `value` under `schema` (empty: it fits), each naming where (`$.people[0].gend`). */
export function jsonSchemaProblems(schema: unknown, value: unknown, at = '$'): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${at}: not allowed`];
  const s = schema as S;
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`json-schema-check: keyword "${k}" at ${at} is not supported`);
  const out: string[] = [];
  const bad = (m: string) => out.push(`${at}: ${m}`);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
    if (!types.some((t) => fits(value, t))) return [`${at}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
  }
  if (s.enum && !(s.enum as unknown[]).some((e) => e === value)) bad(`not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && s.const !== value) bad(`expected ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    const n = [...value].length;
    if (s.pattern !== undefined && !new RegExp(s.pattern as string, 'u').test(value)) bad(`does not match ${s.pattern}`);
    if (s.maxLength !== undefined && n > (s.maxLength as number)) bad(`longer than ${s.maxLength}`);
    if (s.minLength !== undefined && n < (s.minLength as number)) bad(`shorter than ${s.minLength}`);
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < (s.minimum as number)) bad(`below ${s.minimum}`);
    if (s.maximum !== undefined && value > (s.maximum as number)) bad(`above ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && value <= (s.exclusiveMinimum as number)) bad(`not above ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && value >= (s.exclusiveMaximum as number)) bad(`not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < (s.minItems as number)) bad(`fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > (s.maxItems as number)) bad(`more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((v, i) => out.push(...jsonSchemaProblems(s.items, v, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as S;
    const props = (s.properties ?? {}) as S;
    for (const k of (s.required ?? []) as string[]) if (!(k in obj)) bad(`${k} is required`);
    if (s.propertyNames !== undefined) for (const k of Object.keys(obj)) out.push(...jsonSchemaProblems(s.propertyNames, k, `${at}{${k}}`));
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) out.push(...jsonSchemaProblems(props[k], v, `${at}.${k}`));
      else if (s.additionalProperties !== undefined) out.push(...jsonSchemaProblems(s.additionalProperties, v, `${at}.${k}`));
    }
  }
  if (s.allOf) for (const sub of s.allOf as unknown[]) out.push(...jsonSchemaProblems(sub, value, at));
  if (s.anyOf && !(s.anyOf as unknown[]).some((sub) => !jsonSchemaProblems(sub, value, at).length)) bad('fits none of anyOf');
  if (s.oneOf && (s.oneOf as unknown[]).filter((sub) => !jsonSchemaProblems(sub, value, at).length).length !== 1) bad('fits not exactly one of oneOf');
  return out;
}
