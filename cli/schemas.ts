// `medcard schemas [--out DIR]`: the JSON Schemas of the files analysts write, from their
// zod schemas, into schemas/ (committed; test/schema/schemas.test.ts checks they are fresh).
// Each fixture file's first line names its schema for the yaml-language-server.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseOptions, UsageError } from './args';
import { chooseLang, langFlagIn } from './lang';
import { jsonSchema, type Format } from '../schema';
import { POLICY_FORMAT, WORLD_FORMATS } from '../engine';
import { CARD_PROFILE_FORMAT, PSAM_PROFILE_FORMAT } from '../emulator';
import { rigFormat } from '../rigs';
import { TERMINAL_FORMAT } from '../compliance';

const ROOT = path.resolve(__dirname, '..');
export const SCHEMAS_DIR = path.join(ROOT, 'schemas');

const HELP = `usage: medcard schemas [--out DIR]

Writes the JSON Schema of each kind of file under fixtures/ (from the zod schemas that
validate them) to DIR (default schemas/): policy, world-employers, world-institutions,
world-catalogue, world-people, world-cards, card-profile and psam-profile .schema.json, and the rig
files' rig.schema.json (every rig kind, with its own fields) and the terminal files'
terminal.schema.json (terminals/*.yaml, medcard certify). Editors with the
YAML language server complete and check a file whose first line names its schema:
  # yaml-language-server: $schema=../../schemas/policy.schema.json`;

/** Every format analysts write, one JSON Schema file each. */
export const FORMATS: ReadonlyArray<Format<unknown>> = [POLICY_FORMAT, ...Object.values(WORLD_FORMATS), CARD_PROFILE_FORMAT, PSAM_PROFILE_FORMAT, rigFormat(), TERMINAL_FORMAT] as ReadonlyArray<Format<unknown>>;

export const schemaFileName = (f: Format<unknown>): string => `${f.id}.schema.json`;

/** The schema files' names and texts, as `medcard schemas` writes them. */
export function schemaTexts(): Array<{ name: string; text: string }> {
  return FORMATS.map((f) => ({ name: schemaFileName(f), text: `${JSON.stringify(jsonSchema(f), null, 2)}\n` }));
}

/** The format of a file in a fixtures folder, by its path relative to that folder (`world/people.yaml`). */
export function formatOfFixture(rel: string): Format<unknown> | undefined {
  const [folder, file, ...rest] = rel.split(/[\\/]/);
  if (!file || rest.length || !/\.ya?ml$/.test(file)) return undefined;
  if (folder === 'policies') return POLICY_FORMAT as Format<unknown>;
  if (folder === 'cards') return CARD_PROFILE_FORMAT as Format<unknown>;
  if (folder === 'psam') return PSAM_PROFILE_FORMAT as Format<unknown>;
  if (folder === 'world') return (WORLD_FORMATS as Record<string, Format<unknown>>)[file.replace(/\.ya?ml$/, '')];
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv, { out: { type: 'string' } }, HELP);
  } catch (err) {
    if (err instanceof UsageError) { console.error(`medcard schemas: ${err.in(chooseLang(langFlagIn(argv)))}`); return 2; }
    throw err;
  }
  if (!parsed) return 0;
  const out = path.resolve(parsed.values.out ?? SCHEMAS_DIR);
  fs.mkdirSync(out, { recursive: true });
  for (const { name, text } of schemaTexts()) {
    fs.writeFileSync(path.join(out, name), text);
    console.log(path.relative(process.cwd(), path.join(out, name)) || name);
  }
  return 0;
}
