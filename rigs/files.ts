// Rig files: `rigs/<name>.yaml` describes a place (labgrid's word) — which kind of rig, which
// reader, which card profile the physical card corresponds to, which engine, and what the rig
// can do on cue. Validated on load; every error names the file, the line and the field.
// The schema (field names are relied on by the containers work; keep them):
//   kind: emulated | vpcd | pcsc | serial
//   description: text
//   reader: pcsc: exact name or /regex/; vpcd: optional list of reader names
//   card: path to a fixtures/cards profile (pcsc: the physical card's data; others: the default card)
//   serial: { path?, baudRate, timeoutMs }   (serial; no path: the harness serves the card on a socat pair)
//   engine: { kind: embedded } | { kind: postgres, url } | { kind: url, url } | { kind: container, image, port, env?, health? }
//   ledger: { image }                        (optional; with a container engine)
//   cards: { image }                         (vpcd: each card served by `medcard emulate` in a container; containers/remote-card.ts)
//   capabilities: [card-state, card-swap, card-remove]
//   exclusive: a tag; scenarios carrying it never run two at a time (atMostOnePicklePerTag)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import type { RigCapability } from './types';

export const RIG_KINDS = ['emulated', 'vpcd', 'pcsc', 'serial'] as const;
export type RigKind = typeof RIG_KINDS[number];
export const CAPABILITIES: readonly RigCapability[] = ['card-state', 'card-swap', 'card-remove'];

export type EngineSpec =
  | { kind: 'embedded' }
  | { kind: 'postgres'; url: string }
  | { kind: 'url'; url: string }
  | { kind: 'container'; image: string; port: number; env?: Record<string, string>; health?: unknown; [more: string]: unknown };

export interface SerialSpec {
  /** The serial device (e.g. /dev/ttyUSB0). Absent: the harness makes a socat pty pair per worker and serves the card itself. */
  path?: string;
  baudRate: number;
  /** How long to wait for a response frame (and, divided by 10, between bytes of one frame). */
  timeoutMs: number;
}

export interface RigFile {
  /** The file's stem: what `--rig` takes. */
  name: string;
  /** Absolute path of the file. */
  file: string;
  kind: RigKind;
  description: string;
  /** pcsc: an exact reader name, or a RegExp written `/…/`; vpcd: reader names. */
  reader?: string | RegExp | string[];
  /** Absolute path of the card profile. */
  card?: string;
  serial?: SerialSpec;
  engine: EngineSpec;
  ledger?: { image: string };
  /** vpcd: cards served from containers of this image (containers/remote-card.ts). */
  cards?: { image: string };
  capabilities: RigCapability[];
  exclusive?: string;
}

export interface RigFileIssue { file: string; line?: number; field: string; message: string }

export class RigFileError extends Error {
  constructor(readonly issues: RigFileIssue[]) {
    super(issues.map((i) => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.field}: ${i.message}`).join('\n'));
    this.name = 'RigFileError';
  }
}

export const ROOT = path.resolve(__dirname, '..');
/** Where rig files live; MEDCARD_RIGS_DIR points elsewhere (tests, a lab's own places). */
export function rigsDir(): string {
  return process.env.MEDCARD_RIGS_DIR ? path.resolve(process.env.MEDCARD_RIGS_DIR) : __dirname;
}

/** What each kind can do at most, and by default. */
const KIND_CAPS: Record<RigKind, { max: RigCapability[]; why: string }> = {
  emulated: { max: [...CAPABILITIES], why: '' },
  vpcd: { max: [...CAPABILITIES], why: '' },
  pcsc: { max: [], why: 'a real card in a real reader cannot be changed, swapped or removed by the harness' },
  serial: { max: [...CAPABILITIES], why: '' },
};
const SERIAL_EXTERNAL_MAX: RigCapability[] = ['card-remove'];

const TOP_KEYS = ['kind', 'description', 'reader', 'card', 'serial', 'engine', 'ledger', 'cards', 'capabilities', 'exclusive'];

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

  for (const pair of root.items) {
    const key = String((pair.key as any)?.value);
    if (!TOP_KEYS.includes(key)) issue(key, `unknown field; a rig file has ${TOP_KEYS.join(', ')}`, pair.key);
  }

  const kind = data.kind as RigKind;
  if (data.kind === undefined) issue('kind', `missing; one of ${RIG_KINDS.join(', ')}`);
  else if (!RIG_KINDS.includes(kind)) issue('kind', `"${String(data.kind)}" is not a rig kind; one of ${RIG_KINDS.join(', ')}`, nodeOf('kind'));

  const description = data.description === undefined ? '' : data.description;
  if (typeof description !== 'string') issue('description', 'must be text', nodeOf('description'));

  // reader
  let reader: RigFile['reader'];
  const r = data.reader;
  if (r !== undefined && r !== null) {
    if (kind === 'pcsc') {
      if (typeof r !== 'string' || !r.trim()) issue('reader', 'a reader name, or a /regular expression/ matching one', nodeOf('reader'));
      else if (/^\/.*\/[a-z]*$/.test(r)) {
        const m = /^\/(.*)\/([a-z]*)$/.exec(r)!;
        try { reader = new RegExp(m[1], m[2]); } catch (e) { issue('reader', `bad regular expression: ${(e as Error).message}`, nodeOf('reader')); }
      } else reader = r;
    } else if (kind === 'vpcd') {
      if (!Array.isArray(r) || r.some((x) => typeof x !== 'string' || !/^Virtual PCD \d\d \d\d$/.test(x))) issue('reader', 'a list of vpcd reader names, e.g. ["Virtual PCD 00 00", "Virtual PCD 00 01"]', nodeOf('reader'));
      else reader = r as string[];
    } else if (kind !== undefined) {
      issue('reader', `a ${kind} rig has no reader field`, nodeOf('reader'));
    }
  } else if (kind === 'pcsc') {
    issue('reader', 'missing: the PC/SC reader\'s exact name, or a /regular expression/ (`pcsc_scan` or `npx medcard doctor` lists them)');
  }

  // card
  let card: string | undefined;
  if (data.card !== undefined) {
    if (typeof data.card !== 'string') issue('card', 'a path to a card profile, e.g. fixtures/cards/zhang-san.yaml', nodeOf('card'));
    else {
      const candidates = [path.resolve(path.dirname(file), data.card), path.resolve(ROOT, data.card)];
      card = candidates.find((c) => fs.existsSync(c));
      if (!card) issue('card', `no card profile at ${data.card} (relative to the rig file or the project root)`, nodeOf('card'));
    }
  } else if (kind === 'pcsc') {
    issue('card', 'missing: the card profile (fixtures/cards/…) holding the physical test card\'s data');
  }

  // serial
  let serial: SerialSpec | undefined;
  if (data.serial !== undefined) {
    const s = data.serial as Record<string, unknown>;
    const sNode = nodeOf('serial');
    if (kind !== 'serial') issue('serial', `only a serial rig has serial settings (this is kind ${kind})`, sNode);
    else if (!s || typeof s !== 'object' || Array.isArray(s)) issue('serial', 'a mapping: { path, baudRate, timeoutMs }', sNode);
    else {
      const sub = (k: string) => (isMap(sNode) ? nodeOf(k, sNode) : undefined);
      for (const k of Object.keys(s)) if (!['path', 'baudRate', 'timeoutMs'].includes(k)) issue(`serial.${k}`, 'unknown field; serial has path, baudRate, timeoutMs', sub(k));
      if (s.path !== undefined && (typeof s.path !== 'string' || !s.path)) issue('serial.path', 'a device path, e.g. /dev/ttyUSB0', sub('path'));
      const baud = s.baudRate ?? 115200;
      if (!Number.isInteger(baud) || (baud as number) < 300 || (baud as number) > 4_000_000) issue('serial.baudRate', `a baud rate such as 9600 or 115200, not ${JSON.stringify(baud)}`, sub('baudRate'));
      const t = s.timeoutMs ?? 2000;
      if (!Number.isInteger(t) || (t as number) < 10) issue('serial.timeoutMs', `milliseconds (at least 10), not ${JSON.stringify(t)}`, sub('timeoutMs'));
      serial = { path: s.path as string | undefined, baudRate: baud as number, timeoutMs: t as number };
    }
  } else if (kind === 'serial') {
    serial = { baudRate: 115200, timeoutMs: 2000 };
  }

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

  let cards: RigFile['cards'];
  if (data.cards !== undefined) {
    const c = data.cards as Record<string, unknown>;
    if (kind !== 'vpcd') issue('cards', `only a vpcd rig serves its cards from containers (this is kind ${kind})`, nodeOf('cards'));
    else if (!c || typeof c !== 'object' || typeof c.image !== 'string') issue('cards', 'a mapping { image: <image name> }, e.g. { image: medcard/engine }', nodeOf('cards'));
    else cards = { image: c.image };
  }

  // capabilities
  let capabilities: RigCapability[] = [];
  const serialExternal = kind === 'serial' && !!serial?.path;
  const max = serialExternal ? SERIAL_EXTERNAL_MAX : KIND_CAPS[kind]?.max ?? [];
  if (data.capabilities === undefined) capabilities = [...max];
  else if (!Array.isArray(data.capabilities)) issue('capabilities', `a list, e.g. [${CAPABILITIES.join(', ')}]`, nodeOf('capabilities'));
  else {
    const cNode = nodeOf('capabilities');
    data.capabilities.forEach((c, i) => {
      const at = isSeq(cNode) ? cNode.items[i] : cNode;
      if (!CAPABILITIES.includes(c as RigCapability)) issue(`capabilities[${i}]`, `"${String(c)}" is not a capability; one of ${CAPABILITIES.join(', ')}`, at);
      else if (!max.includes(c as RigCapability)) {
        const why = serialExternal ? 'the card at the far end of serial.path is not run by the harness (only insert/eject reach it)' : KIND_CAPS[kind]?.why;
        issue(`capabilities[${i}]`, `a ${kind} rig cannot offer ${String(c)}: ${why}`, at);
      } else capabilities.push(c as RigCapability);
    });
  }

  let exclusive: string | undefined;
  if (data.exclusive !== undefined) {
    if (typeof data.exclusive !== 'string' || !/^@?[^\s@]+$/.test(data.exclusive)) issue('exclusive', 'a tag name, e.g. "@reader-1"', nodeOf('exclusive'));
    else exclusive = data.exclusive.startsWith('@') ? data.exclusive : `@${data.exclusive}`;
  }

  if (issues.length) throw new RigFileError(issues);
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  return { name, file, kind, description: description as string, reader, card, serial, engine, ledger, cards, capabilities, exclusive };
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
