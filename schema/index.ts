// schema: what analysts write (fixtures/*.yaml, and any other YAML a person edits) checked
// against a zod schema, with every problem named by file, line and field. It parses YAML
// keeping positions, validates, turns each zod issue into one YamlIssue, and writes the
// JSON Schema editors use. Depends on yaml, zod and spec/ only. See schema/README.md.
export type * from './types';
export { YamlError, formatIssue } from './error';
export { YamlDocument, fieldName } from './yaml';
export { defineFormat, check, validate, loadYaml, PARENT } from './validate';
export type { Checked } from './validate';
export { ruled, identifier, whenValid, validAt, say, Refusal, BILINGUAL_WORDING } from './values';
export type { Lang } from './values';
export { jsonSchema } from './json-schema';
export { namedFile, fixtureRoots, readYamlText, MAX_YAML_BYTES } from './files';
// Rig kinds written outside the project (a lab's rigs folder) declare their fields with this zod.
export { z } from 'zod';
