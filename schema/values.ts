// Building blocks for formats: identifiers of spec/, rules written as functions, and
// refinements that wait for the fields they read.
import { z } from 'zod';
import type { Bilingual, IdFormat } from '../spec';
import type { Path, Wording } from './types';

/** Words for the common problems in Chinese and English, as the engine's files have always said them. */
export const BILINGUAL_WORDING: Wording = {
  missing: (_field, key) => `缺少字段 ${key} / missing field ${key}`,
  unknownField: (_key, allowed) => `未知字段 / unknown field (allowed: ${allowed.join(', ')})`,
  notMapping: () => '应为映射（key: value）/ expected a mapping',
  notList: () => '应为列表 / expected a list',
};

/** Which language(s) a message is given in: `both` is "中文 / English". */
export type Lang = keyof Bilingual | 'both';
export const say = (m: Bilingual, lang: Lang): string => (lang === 'both' ? `${m.zh} / ${m.en}` : m[lang]);

/** Thrown inside a `ruled` rule: the value is refused with this message. */
export class Refusal extends Error {}

/** The JSON Schema of a zod schema, as a fragment to stand inside another (no $schema). */
function fragment(shape: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(shape, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * A value checked by `rule` (a function that returns the clean value or throws — a
 * Refusal, or any error `refusal` recognises, whose message is then the issue's), and
 * shown to editors as `shape` (its JSON Schema). For rules that already exist as code and
 * must keep their words, such as the engine's request fields.
 */
export function ruled<T>(shape: z.ZodType, rule: (value: unknown) => T, refusal: (e: unknown) => string | undefined = (e) => (e instanceof Refusal ? e.message : undefined)): z.ZodType<T> {
  return z.any().transform((v, ctx) => {
    try {
      return rule(v);
    } catch (e) {
      const message = refusal(e);
      if (message === undefined) throw e;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
  }).meta(fragment(shape)) as unknown as z.ZodType<T>;
}

/**
 * An identifier of one of spec/'s formats (ID number, card number, region code …), read
 * from text (`base`, a string schema with the format's own words for what is not text):
 * normalized, and refused with spec/'s own words in `lang`.
 */
export function identifier(format: IdFormat, lang: Lang, base: z.ZodString = z.string()) {
  return base.transform((s, ctx) => {
    const v = format.normalize(s);
    const problem = format.problem(v);
    if (problem) { ctx.addIssue({ code: 'custom', message: say(problem, lang) }); return z.NEVER; }
    return v;
  }).meta({ description: `${format.name.zh} ${format.name.en}: ${format.what.en}`, maxLength: format.maxLength });
}

const within = (prefix: Path, path: Path) => prefix.every((p, i) => String(p) === String(path[i]));

/**
 * Whether the field at `path` (relative to the schema being refined) was read without
 * problems so far: nothing wrong at it, under it, or above it (unknown keys aside).
 */
export function validAt(payload: z.core.ParsePayload, path: Path): boolean {
  return !payload.issues.some((i) => i.code !== 'unrecognized_keys'
    && (within(path, (i.path ?? []) as Path) || within((i.path ?? []) as Path, path)));
}

/**
 * For `.superRefine(fn, whenValid(['a'], ['b', 'c']))`: the refinement runs when the fields
 * it reads were read without problems (validAt), even if other fields had some; so a rule
 * across fields is reported together with the rest. No paths: it always runs (then `fn`
 * asks validAt(ctx, path) itself, e.g. item by item).
 */
export function whenValid(...paths: Path[]): z.core.$ZodSuperRefineParams {
  return { when: (payload) => paths.every((p) => validAt(payload, p)) };
}
