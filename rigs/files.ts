// Rig files: `rigs/<name>.yaml` describes a place (labgrid's word) — which kind of rig, which
// card profile the physical card corresponds to, which engine, and what the rig can do on
// cue. Checked on load by the rig format below (schema/; it also gives
// schemas/rig.schema.json); every error names the file, the line and the field. The fields
// every kind has are here; a kind's own fields (reader, serial, cards, …) are its driver's
// (rigs/kinds/<kind>.ts, through the registry), as zod schemas merged into the format:
//   kind: emulated | vpcd | pcsc | serial | remote-card | a lab's own kind
//   description: text
//   card: a card profile under fixtures/ (pcsc: the physical card's data; others: the default card)
//   engine: { kind: embedded } | { kind: postgres, url } | { kind: url, url } | { kind: container, image, port, env?, health?, waitsForLedger? }
//   ledger: { image }                        (optional; with a container engine)
//   capabilities: [card-state, card-swap, card-remove]
//   exclusive: a tag; scenarios carrying it never run two at a time (atMostOnePicklePerTag)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { check, defineFormat, namedFile, ruled, Refusal, validAt, whenValid, YamlDocument, YamlError, type Format, type Wording, type YamlIssue } from '../schema';
import { rigKind, rigKindNames, rigsDir } from './registry';
import type { EngineSpec, RigCapability, RigFile, RigKindDriver } from './types';

export const CAPABILITIES: readonly RigCapability[] = ['card-state', 'card-swap', 'card-remove'];

export type RigFileIssue = YamlIssue;

/** Every problem of a rig file (`.issues`), one a line: `file:line: field: message`. */
export class RigFileError extends YamlError {
  constructor(issues: readonly RigFileIssue[]) {
    super(issues);
    this.name = 'RigFileError';
  }
}

export const ROOT = path.resolve(__dirname, '..');

/** The names of the rigs in `rigsDir()`: the built-in emulated and vpcd first, then the rest by name. */
export function listRigFiles(): string[] {
  let files: string[] = [];
  try { files = fs.readdirSync(rigsDir()); } catch { return []; }
  const names = files.filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, ''));
  const first = ['emulated', 'vpcd'].filter((n) => names.includes(n));
  return [...first, ...names.filter((n) => !first.includes(n)).sort()];
}

/** Resolve a rig name (rigs/<name>.yaml) or a path to a rig file. */
export function rigFilePath(nameOrPath: string): string | undefined {
  if (/[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath)) {
    const p = path.resolve(nameOrPath);
    return fs.existsSync(p) ? p : undefined;
  }
  for (const ext of ['.yaml', '.yml']) {
    const p = path.join(rigsDir(), nameOrPath + ext);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export class UnknownRigError extends Error {
  constructor(name: string) {
    super(`unknown rig "${name}": choose one of ${listRigFiles().join(', ')} (rig files in ${path.relative(process.cwd(), rigsDir()) || '.'}/), or give a path to a rig file`);
    this.name = 'UnknownRigError';
  }
}

// ------------------------------------------------------------------ the format

const WORDING: Wording = {
  missing: () => 'missing',
  unknownField: (_key, allowed, where) => (where === '(document)' ? `unknown field; a rig file has ${allowed.join(', ')}` : `unknown field; ${where} has ${allowed.join(', ')}`),
  notMapping: () => 'a mapping (key: value)',
  notList: () => 'a list',
};

const ENGINE_KINDS = ['embedded', 'postgres', 'url', 'container'] as const;
const url = (scheme: RegExp, message: string) => z.string({ error: message }).regex(scheme, { error: message });
const HEALTH = z.union([
  z.string().describe('a path ("/health") or a log line to wait for'),
  z.strictObject({ path: z.string().optional(), status: z.int().optional(), log: z.string().optional(), timeout: z.number().positive().optional(), timeoutMs: z.int().positive().optional() }),
], { error: 'a path ("/health"), a log line, or { path, status, log, timeout }' });
const ENGINE = z.preprocess(
  // No kind: the embedded engine, as with no engine at all.
  (e) => (e && typeof e === 'object' && !Array.isArray(e) && (e as { kind?: unknown }).kind === undefined ? { ...e, kind: 'embedded' } : e),
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('embedded') }).describe('our engine in-process: PGlite, or PostgreSQL when DATABASE_URL is set'),
    z.strictObject({ kind: z.literal('postgres'), url: url(/^postgres(ql)?:\/\//, 'a PostgreSQL URL, postgres://user@host:5432/db') }),
    z.strictObject({ kind: z.literal('url'), url: url(/^https?:\/\//, 'the engine\'s base URL, http://host:port') }).describe('an engine already running: ours, or a vendor\'s'),
    z.strictObject({
      kind: z.literal('container'),
      image: z.string({ error: 'the image name, e.g. medcard-engine:latest' }).min(1, { error: 'the image name, e.g. medcard-engine:latest' }),
      port: z.int({ error: 'the port the engine listens on inside the container' }).min(1, { error: 'the port the engine listens on inside the container' }).max(65535, { error: 'the port the engine listens on inside the container' }),
      env: z.record(z.string(), z.union([z.string(), z.number()]), { error: 'a mapping of NAME: value' }).optional(),
      health: HEALTH.optional(),
      waitsForLedger: z.boolean({ error: 'true or false' }).optional()
        .describe('the engine retries its database until it answers (ours: --wait-for-database): it is started with the ledger container, not after the ledger answers'),
    }),
  ], {
    error: (iss) => (iss.code === 'invalid_union'
      ? `"${String((iss.input as { kind?: unknown } | undefined)?.kind ?? iss.input)}" is not an engine kind; one of ${ENGINE_KINDS.join(', ')}`
      : `a mapping with kind: ${ENGINE_KINDS.join(' | ')}`),
  }),
);

/** The card profile a rig file names: relative to the rig file or the project root, inside the fixtures folders; a Refusal saying why not. */
export function cardProfilePath(rigFile: string, v: unknown): string {
  if (typeof v !== 'string' || !v) throw new Refusal('a path to a card profile, e.g. fixtures/cards/zhang-san.yaml');
  const found = namedFile(v, [path.dirname(rigFile), ROOT]);
  if ('problem' in found) throw new Refusal(found.problem === 'not found' ? `no card profile at ${v} (relative to the rig file or the project root)` : `${v} is ${found.problem}`);
  return found.file;
}

const cardField = (file: string) => ruled(z.string().describe('a card profile, e.g. fixtures/cards/zhang-san.yaml'), (v): string | undefined => (v === undefined ? undefined : cardProfilePath(file, v)));

/** What every rig file has besides `kind` and the kind's own fields. */
const common = (file: string) => ({
  description: z.string({ error: 'must be text' }).default(''),
  card: cardField(file).optional(),
  engine: ENGINE.default({ kind: 'embedded' }),
  ledger: z.strictObject({ image: z.string() }, { error: 'a mapping { image: <image name> }' }).optional(),
  capabilities: z.array(z.string(), { error: `a list, e.g. [${CAPABILITIES.join(', ')}]` }).meta({ items: { enum: [...CAPABILITIES] } })
    .describe('what the rig can do on cue (default: all its kind can)').optional(),
  exclusive: z.string({ error: 'a tag name, e.g. "@reader-1"' }).regex(/^@?[^\s@]+$/, { error: 'a tag name, e.g. "@reader-1"' })
    .transform((t) => (t.startsWith('@') ? t : `@${t}`)).optional(),
});

/** The rig format for one kind: kind, description, the kind's own fields, the common ones; capabilities within the kind's. */
function kindSchema(kind: string, driver: RigKindDriver, file: string) {
  const { description, ...rest } = common(file);
  return z.strictObject({ kind: z.literal(kind), description, ...driver.fields, ...rest }).superRefine((r, ctx) => {
    const settings = settingsOf(r, driver);
    const { max, why } = driver.capabilities(settings);
    if (Array.isArray(r.capabilities)) r.capabilities.forEach((c: unknown, i: number) => {
      if (!CAPABILITIES.includes(c as RigCapability)) ctx.addIssue({ code: 'custom', path: ['capabilities', i], message: `"${String(c)}" is not a capability; one of ${CAPABILITIES.join(', ')}` });
      else if (!max.includes(c as RigCapability)) ctx.addIssue({ code: 'custom', path: ['capabilities', i], message: `a ${kind} rig cannot offer ${String(c)}: ${why}` });
    });
    // A card that was written but refused is reported once, as refused.
    const card = validAt(ctx, ['card']) ? (r.card as string | undefined) : '';
    for (const i of driver.check?.({ card, settings, file }) ?? []) ctx.addIssue({ code: 'custom', path: i.field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)), message: i.message });
  }, whenValid()) as unknown as z.ZodType<Record<string, unknown>>;
}

const settingsOf = (r: Record<string, unknown>, driver: RigKindDriver) => Object.fromEntries(Object.keys(driver.fields).map((k) => [k, r[k]]));

/** The rig format with every built-in kind, for editors (schemas/rig.schema.json). */
export function rigFormat(): Format<Record<string, unknown>> {
  const kinds = rigKindNames().map((k) => kindSchema(k, rigKind(k)!, path.join(ROOT, 'rigs', 'rig.yaml')));
  return defineFormat({
    id: 'rig', title: 'rig file (rigs/<name>.yaml)', description: 'a place a terminal reaches a card: the kind of rig, its card, its engine, what it can do on cue (rigs/README.md)',
    scalars: 'core', wording: WORDING,
    schema: (kinds.length === 1 ? kinds[0]! : z.union(kinds as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])) as z.ZodType<Record<string, unknown>>,
  });
}

const KIND_ONLY = z.looseObject({ kind: z.string().optional() });

export function loadRigFile(nameOrPath: string): RigFile {
  const file = rigFilePath(nameOrPath);
  if (!file) throw new UnknownRigError(nameOrPath);
  const shown = path.relative(process.cwd(), file) || file;
  let doc: YamlDocument;
  try { doc = YamlDocument.read(file, 'core', shown); } catch (e) { throw e instanceof YamlError ? new RigFileError(e.issues) : e; }
  return rigFileOf(doc, file);
}

/** Parse and check one rig file's text. `file` names it in errors and anchors relative paths. */
export function parseRigFile(text: string, file: string): RigFile {
  const shown = path.relative(process.cwd(), file) || file;
  let doc: YamlDocument;
  try { doc = new YamlDocument(shown, text, 'core'); } catch (e) { throw e instanceof YamlError ? new RigFileError(e.issues) : e; }
  return rigFileOf(doc, file);
}

function rigFileOf(doc: YamlDocument, file: string): RigFile {
  const data = doc.value;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new RigFileError([{ file: doc.file, field: '(file)', message: 'a rig file is a mapping with at least `kind:`' }]);
  // The kind first: it says which fields the file may have.
  const kind = KIND_ONLY.safeParse(data).data?.kind;
  const driver = typeof kind === 'string' ? rigKind(kind) : undefined;
  if (!driver) {
    const written = (data as { kind?: unknown }).kind;
    const kindIssue = doc.issue(['kind'], written === undefined ? `missing; one of ${rigKindNames().join(', ')}` : `"${String(written)}" is not a rig kind; one of ${rigKindNames().join(', ')}`);
    // Without a known kind its own fields are unknown too: the common fields are still checked.
    const rest = check(defineFormat({ id: 'rig', title: 'rig file', scalars: 'core', wording: WORDING, schema: z.looseObject(common(file)) }), doc);
    throw new RigFileError([kindIssue, ...(rest.ok ? [] : rest.issues)]);
  }
  const r = check(defineFormat({ id: 'rig', title: 'rig file', scalars: 'core', wording: WORDING, schema: kindSchema(kind!, driver, file) }), doc);
  if (!r.ok) throw new RigFileError(r.issues);
  const v = r.value;
  const settings = settingsOf(v, driver);
  return {
    name: path.basename(file).replace(/\.ya?ml$/, ''), file, kind: kind!, description: v.description as string,
    card: v.card as string | undefined, engine: v.engine as EngineSpec, ledger: v.ledger as RigFile['ledger'],
    capabilities: (v.capabilities as RigCapability[] | undefined) ?? [...driver.capabilities(settings).max],
    exclusive: v.exclusive as string | undefined, settings,
  };
}

/** One line describing the engine, for listings. */
export function describeEngine(e: EngineSpec): string {
  switch (e.kind) {
    case 'embedded': return 'embedded (PGlite; PostgreSQL when DATABASE_URL is set)';
    case 'postgres': return `embedded on PostgreSQL ${e.url.replace(/\/\/[^@/]*@/, '//…@')}`;
    case 'url': return `external at ${e.url}`;
    case 'container': return `container ${e.image} (port ${e.port})`;
  }
}
