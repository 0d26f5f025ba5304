// A format's JSON Schema (z.toJSONSchema of its zod schema), for editors: the
// yaml-language-server completes and checks a file whose first line names it.
import { z } from 'zod';
import { parse } from 'yaml';
import type { Format, JsonSchema } from './types';

export function jsonSchema(format: Format<unknown>): JsonSchema {
  const { $schema, ...body } = z.toJSONSchema(format.schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return {
    $schema,
    $comment: 'Generated from the zod schema by `npx medcard schemas`; do not edit.',
    title: format.title,
    ...(format.description ? { description: format.description } : {}),
    ...(format.scalars === 'text' ? asText(body) as JsonSchema : body),
  };
}

/**
 * A format read as text takes a scalar's text whatever it looks like, but an editor reads
 * `tries: 3` as a number and `activated: true` as a boolean: where the schema wants a
 * string, the editor's view may be any scalar (patterns and lengths still check strings),
 * and a list of allowed texts also allows what YAML makes of them (`"1"` and `1`).
 */
function asText(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asText);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = ['properties', '$defs', 'patternProperties'].includes(k) && v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, asText(s)]))
      : ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems', 'not'].includes(k) ? asText(v) : v;
  }
  if (out.type !== 'string') return out;
  const texts = out.enum ?? (out.const !== undefined ? [out.const] : undefined);
  if (Array.isArray(texts)) {
    delete out.type;
    delete out.const;
    out.enum = [...texts, ...texts.map(coreValue).filter((v) => typeof v === 'number' || typeof v === 'boolean')];
  } else {
    out.type = ['string', 'number', 'boolean'];
  }
  return out;
}

function coreValue(text: unknown): unknown {
  try { return typeof text === 'string' ? parse(text) : text; } catch { return text; }
}
