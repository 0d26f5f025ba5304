// Rig files: `rigs/<name>.yaml` describes a place (labgrid's word) — which kind of rig, which
// card profile the physical card corresponds to, which engine, and what the rig can do on
// cue. Validated on load; every error names the file, the line and the field. The fields
// every kind has are checked here; a kind's own fields (reader, serial, cards, …) by its
// driver (rigs/kinds/<kind>.ts, through the registry):
//   kind: emulated | vpcd | pcsc | serial | remote-card | a lab's own kind
//   description: text
//   card: path to a fixtures/cards profile (pcsc: the physical card's data; others: the default card)
//   engine: { kind: embedded } | { kind: postgres, url } | { kind: url, url } | { kind: container, image, port, env?, health? }
//   ledger: { image }                        (optional; with a container engine)
//   capabilities: [card-state, card-swap, card-remove]
//   exclusive: a tag; scenarios carrying it never run two at a time (atMostOnePicklePerTag)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { rigKind, rigKindNames, rigsDir } from './registry';
import type { EngineSpec, RigCapability, RigFile } from './types';

export const CAPABILITIES: readonly RigCapability[] = ['card-state', 'card-swap', 'card-remove'];

export interface RigFileIssue { file: string; line?: number; field: string; message: string }

export class RigFileError extends Error {
  constructor(readonly issues: RigFileIssue[]) {
    super(issues.map((i) => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.field}: ${i.message}`).join('\n'));
    this.name = 'RigFileError';
  }
}

export const ROOT = path.resolve(__dirname, '..');

const COMMON_KEYS = ['card', 'engine', 'ledger', 'capabilities', 'exclusive'];

/** The rig names in `rigsDir()`: the built-in emulated and vpcd first, then the rest by name. */
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

export function loadRigFile(nameOrPath: string): RigFile {
  const file = rigFilePath(nameOrPath);
  if (!file) throw new UnknownRigError(nameOrPath);
  return parseRigFile(fs.readFileSync(file, 'utf8'), file);
}

/** Parse and validate one rig file's text. `file` names it in errors and anchors relative paths. */
export function parseRigFile(text: string, file: string): RigFile {
  const shown = path.relative(process.cwd(), file) || file;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const issues: RigFileIssue[] = [];
  const lineOf = (node: unknown) => {
    const range = (node as Node | undefined)?.range;
    return range ? lc.linePos(range[0]).line : undefined;
  };
  const issue = (field: string, message: string, node?: unknown) => issues.push({ file: shown, line: lineOf(node), field, message });
  if (doc.errors.length) {
    throw new RigFileError(doc.errors.map((e) => ({ file: shown, line: e.linePos?.[0]?.line, field: '(yaml)', message: e.message.split('\n')[0] })));
  }
  if (!isMap(doc.contents)) throw new RigFileError([{ file: shown, field: '(file)', message: 'a rig file is a mapping with at least `kind:`' }]);
  const root = doc.contents;
  const nodeOf = (key: string, map = root) => map.items.find((p) => (p.key as any)?.value === key)?.value;
  const data = doc.toJS() as Record<string, unknown>;

  const kind = typeof data.kind === 'string' ? data.kind : undefined;
  const driver = kind === undefined ? undefined : rigKind(kind);
  if (data.kind === undefined) issue('kind', `missing; one of ${rigKindNames().join(', ')}`);
  else if (!driver) issue('kind', `"${String(data.kind)}" is not a rig kind; one of ${rigKindNames().join(', ')}`, nodeOf('kind'));

  const keys = ['kind', 'description', ...(driver?.fields ?? []), ...COMMON_KEYS];
  // Without a known kind its own fields are unknown too: the kind's issue says it all.
  for (const pair of driver ? root.items : []) {
    const key = String((pair.key as any)?.value);
    if (!keys.includes(key)) issue(key, `unknown field; a rig file has ${keys.join(', ')}`, pair.key);
  }

  const description = data.description === undefined ? '' : data.description;
  if (typeof description !== 'string') issue('description', 'must be text', nodeOf('description'));

  // card
  let card: string | undefined;
  if (data.card !== undefined) {
    if (typeof data.card !== 'string') issue('card', 'a path to a card profile, e.g. fixtures/cards/zhang-san.yaml', nodeOf('card'));
    else {
      const candidates = [path.resolve(path.dirname(file), data.card), path.resolve(ROOT, data.card)];
      card = candidates.find((c) => fs.existsSync(c));
      if (!card) issue('card', `no card profile at ${data.card} (relative to the rig file or the project root)`, nodeOf('card'));
    }
  }

  // the kind's own fields, checked by its driver
  const settings = driver?.settings({
    value: (field) => data[field],
    issue: (field, message, at) => {
      const fieldNode = nodeOf(field);
      let node: unknown = fieldNode;
      if (at !== undefined) node = (typeof at === 'number' ? (isSeq(fieldNode) ? fieldNode.items[at] : undefined) : (isMap(fieldNode) ? nodeOf(at, fieldNode) : undefined)) ?? fieldNode;
      const shownField = at === undefined ? field : typeof at === 'number' ? `${field}[${at}]` : `${field}.${at}`;
      issue(shownField, message, node);
    },
  }) ?? {};

  // engine
  let engine: EngineSpec = { kind: 'embedded' };
  if (data.engine !== undefined) {
    const e = data.engine as Record<string, unknown>;
    const eNode = nodeOf('engine');
    const sub = (k: string) => (isMap(eNode) ? nodeOf(k, eNode) : undefined);
    if (!e || typeof e !== 'object' || Array.isArray(e)) issue('engine', 'a mapping with kind: embedded | postgres | url | container', eNode);
    else {
      const isUrl = (u: unknown, schemes: RegExp) => typeof u === 'string' && schemes.test(u);
      switch (e.kind) {
        case undefined: case 'embedded': engine = { kind: 'embedded' }; break;
        case 'postgres':
          if (!isUrl(e.url, /^postgres(ql)?:\/\//)) issue('engine.url', 'a PostgreSQL URL, postgres://user@host:5432/db', sub('url') ?? eNode);
          engine = { kind: 'postgres', url: String(e.url) }; break;
        case 'url':
          if (!isUrl(e.url, /^https?:\/\//)) issue('engine.url', 'the engine\'s base URL, http://host:port', sub('url') ?? eNode);
          engine = { kind: 'url', url: String(e.url) }; break;
        case 'container':
          if (typeof e.image !== 'string' || !e.image) issue('engine.image', 'the image name, e.g. medcard-engine:latest', sub('image') ?? eNode);
          if (!Number.isInteger(e.port) || (e.port as number) < 1 || (e.port as number) > 65535) issue('engine.port', 'the port the engine listens on inside the container', sub('port') ?? eNode);
          if (e.env !== undefined && (typeof e.env !== 'object' || Array.isArray(e.env) || Object.values(e.env as object).some((v) => typeof v !== 'string' && typeof v !== 'number'))) issue('engine.env', 'a mapping of NAME: value', sub('env'));
          engine = { ...(e as object), kind: 'container', image: String(e.image), port: Number(e.port) } as EngineSpec; break;
        default:
          issue('engine.kind', `"${String(e.kind)}" is not an engine kind; one of embedded, postgres, url, container`, sub('kind') ?? eNode);
      }
    }
  }

  let ledger: RigFile['ledger'];
  if (data.ledger !== undefined) {
    const l = data.ledger as Record<string, unknown>;
    if (!l || typeof l !== 'object' || typeof l.image !== 'string') issue('ledger', 'a mapping { image: <image name> }', nodeOf('ledger'));
    else ledger = { image: l.image };
  }

  // capabilities
  let capabilities: RigCapability[] = [];
  const { max, why } = driver?.capabilities(settings) ?? { max: [], why: '' };
  if (data.capabilities === undefined) capabilities = [...max];
  else if (!Array.isArray(data.capabilities)) issue('capabilities', `a list, e.g. [${CAPABILITIES.join(', ')}]`, nodeOf('capabilities'));
  else {
    const cNode = nodeOf('capabilities');
    data.capabilities.forEach((c, i) => {
      const at = isSeq(cNode) ? cNode.items[i] : cNode;
      if (!CAPABILITIES.includes(c as RigCapability)) issue(`capabilities[${i}]`, `"${String(c)}" is not a capability; one of ${CAPABILITIES.join(', ')}`, at);
      else if (!max.includes(c as RigCapability)) issue(`capabilities[${i}]`, `a ${kind} rig cannot offer ${String(c)}: ${why}`, at);
      else capabilities.push(c as RigCapability);
    });
  }

  let exclusive: string | undefined;
  if (data.exclusive !== undefined) {
    if (typeof data.exclusive !== 'string' || !/^@?[^\s@]+$/.test(data.exclusive)) issue('exclusive', 'a tag name, e.g. "@reader-1"', nodeOf('exclusive'));
    else exclusive = data.exclusive.startsWith('@') ? data.exclusive : `@${data.exclusive}`;
  }

  if (issues.length) throw new RigFileError(issues);
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  return { name, file, kind: kind!, description: description as string, card, engine, ledger, capabilities, exclusive, settings };
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
