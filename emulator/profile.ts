// Card profiles: fixtures/cards/*.yaml → CardProfile, validated against the zod schema
// below (schema/ part; it also gives schemas/card-profile.schema.json) with errors that
// name the file, the line and the field. YAML is read as text (the failsafe schema: every
// scalar a string), so an unquoted 18-digit ID number never loses digits to floating point.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { defineFormat, identifier, loadYaml, ruled, Refusal, validAt, whenValid, YamlError, type Wording, type YamlIssue } from '../schema';
import type { BinaryFileSpec, CardProfile, Gen3Spec, PsamProfile } from './types';
import { contactlessDefaultAtr, defaultAtr, parseAtr, type Protocol } from './atr';
import { encodeGbk } from './gbk';
import { fromHex, toHex } from './hex';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, REGION_CODE, idBirthDate, idSex, isCalendarDate } from '../spec';

export type ProfileIssue = YamlIssue;

/** Every problem of one or more profiles (`.issues`), one a line: `file:line: field: message`. */
export class CardProfileError extends YamlError {
  constructor(issues: readonly ProfileIssue[]) {
    super(issues);
    this.name = 'CardProfileError';
  }
}

export const DEFAULT_AUTH_KEY = '00112233445566778899AABBCCDDEEFF';
/** The test RKSSSE master key a third-generation profile gets unless it names one (a PSAM would hold it). */
export const DEFAULT_MASTER_KEY = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';

// ------------------------------------------------------------------ values: text, checked

const got = (v: string): string => JSON.stringify(v);
const refuse = (message: string): never => { throw new Refusal(message); };

/**
 * A scalar's text, trimmed, read by `read` (which refuses it or returns the value); shown
 * to editors as `shape`. Required: absent or empty is "required". Optional ones are
 * `.optional()` and get their defaults when the profile is put together.
 */
function scalar<T>(shape: z.ZodType, read: (text: string) => T, { required = false } = {}) {
  return ruled(shape, (v): T => {
    if (v === undefined || v === null) return required ? refuse('required') : (undefined as T);
    if (typeof v !== 'string') return refuse('expected a single value');
    const text = v.trim();
    if (required && text === '') return refuse('required');
    return read(text);
  });
}
/** Text that `ok` accepts, else "expected <expected>, got "<text>"". */
const text = (shape: z.ZodType, ok: (v: string) => boolean, expected: string, o?: { required?: boolean }) =>
  scalar(shape, (v) => (ok(v) ? v : refuse(`expected ${expected}, got ${got(v)}`)), o);
const hexOf = (bytes: number) => (v: string) => new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(v.replace(/\s/g, ''));
const hexShape = (bytes: number) => z.string().regex(new RegExp(`^[0-9A-Fa-f\\s]{${bytes * 2},}$`));
const date = (o?: { required?: boolean }) => text(z.iso.date(), isCalendarDate, 'YYYY-MM-DD', o);
const bool = () => text(z.enum(['true', 'false']), (v) => v === 'true' || v === 'false', 'true or false').transform((v) => (v === undefined ? undefined : v === 'true'));
/** One of spec/'s identifiers, in its English words. */
const ident = (format: typeof ID_NUMBER, o?: { required?: boolean }) => scalar(z.string().max(format.maxLength), (v) => {
  const r = identifier(format, 'en').safeParse(v);
  return r.success ? r.data : refuse(r.error.issues[0]!.message);
}, o);

/** An ATR in hex, checked for structure and TCK. */
const atrText = () => scalar(z.string(), (v): string => {
  let bytes: Uint8Array;
  try { bytes = fromHex(v); } catch { return refuse(`expected hex bytes, got ${got(v)}`); }
  const info = parseAtr(bytes);
  return typeof info === 'string' ? refuse(`${info} (${got(v)})`) : toHex(bytes);
});
/** Text in GBK of at most `max` bytes. */
const gbkText = (max: number, o?: { required?: boolean }) => scalar(z.string().max(max), (v) => {
  let n: number;
  try { n = encodeGbk(v).length; } catch (e) { return refuse(`cannot be encoded in GBK: ${(e as Error).message}`); }
  return n > max ? refuse(`expected at most ${max} bytes in GBK, got ${n} bytes for ${got(v)}`) : v;
}, o);
const tries = () => text(z.string().regex(/^\d+$/), (v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 15, 'a whole number from 1 to 15');

const SEX_WORDS: Record<string, '1' | '2'> = { '1': '1', '2': '2', male: '1', female: '2', '男': '1', '女': '2' };

// ------------------------------------------------------------------ sections

const holder = z.strictObject({
  name: gbkText(30, { required: true }).describe('姓名, GBK, at most 30 bytes (15 Chinese characters)'),
  idNumber: ident(ID_NUMBER, { required: true }).describe('18 characters, GB 11643 check digit verified'),
  sex: scalar(z.enum(Object.keys(SEX_WORDS) as [string, ...string[]]), (v) => SEX_WORDS[v.toLowerCase()]
    ?? refuse(`expected 1 (male), 2 (female), male, female, 男 or 女, got ${got(v)}`)).optional().describe('default: from the ID number'),
  nation: text(z.string().regex(/^\d{2}$/), (v) => /^\d{2}$/.test(v), '2 digits (01 = Han)').optional(),
  birthplace: text(z.string().regex(/^\d{1,6}$/), (v) => /^\d{1,6}$/.test(v), 'up to 6 digits (region code)').optional().describe('default: the ID number\'s first 6 digits'),
  birthDate: date().optional().describe('default: from the ID number; must agree with it'),
}).superRefine((h, ctx) => {
  const idS = idSex(h.idNumber);
  if (h.sex !== undefined && h.sex !== idS) ctx.addIssue({ code: 'custom', path: ['sex'], message: `is ${h.sex} but the ID number's 17th digit says ${idS} (${idS === '1' ? 'male' : 'female'})` });
}, whenValid(['idNumber'], ['sex'])).superRefine((h, ctx) => {
  const idBirth = idBirthDate(h.idNumber);
  if (h.birthDate !== undefined && h.birthDate !== idBirth) ctx.addIssue({ code: 'custom', path: ['birthDate'], message: `is ${h.birthDate} but the ID number says ${idBirth}` });
}, whenValid(['idNumber'], ['birthDate']));

const card = z.strictObject({
  number: ident(CARD_NUMBER, { required: true }).describe('卡号: 9 letters or digits'),
  identificationCode: ident(CARD_SN, { required: true }).describe('卡识别码: 32 hex digits'),
  type: text(hexShape(1), hexOf(1), '2 hex digits').optional().describe('default 01'),
  specVersion: text(z.string().regex(/^[\x20-\x7e]{4}$/), (v) => /^[\x20-\x7e]{4}$/.test(v), '4 ASCII characters, e.g. "3.00"').optional().describe('default 2.00, or 3.00 on a third-generation card; 3.x only there (terminals authenticate 3.x cards through the PSAM)'),
  issuerCode: text(hexShape(12), hexOf(12), '24 hex digits (12 bytes)').optional().describe('default: the region and zeros'),
  issueDate: date({ required: true }),
  expiryDate: date({ required: true }).describe('after issueDate'),
  region: ident(REGION_CODE, { required: true }).describe('issuing region, 6 digits'),
}).superRefine((c, ctx) => {
  if (c.expiryDate <= c.issueDate) ctx.addIssue({ code: 'custom', path: ['expiryDate'], message: `must be after card.issueDate ${c.issueDate}, got ${got(c.expiryDate)}` });
}, whenValid(['issueDate'], ['expiryDate']));

const pin = z.strictObject({
  value: text(z.string().regex(/^\d{6}$/), (v) => /^\d{6}$/.test(v), '6 digits', { required: true }),
  tries: tries().optional().describe('1–15, default 3'),
  isInitial: bool().optional().describe('the issuing default PIN, not yet changed'),
});

const auth = z.strictObject({
  algorithm: text(z.enum(['SM4', '3DES']), (v) => v === 'SM4' || v === '3DES', 'SM4 or 3DES').optional().describe('default SM4'),
  key: scalar(hexShape(16), (v) => v.replace(/\s/g, '')).optional().describe('hex; SM4: 32 digits, 3DES: 32 or 48; default the test key'),
}).superRefine((a, ctx) => {
  if (a.key === undefined) return;
  const des = a.algorithm === '3DES';
  if (!(des ? hexOf(16)(a.key) || hexOf(24)(a.key) : hexOf(16)(a.key))) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: `expected ${des ? '32 or 48 hex digits (a 2- or 3-key 3DES key)' : '32 hex digits (a 16-byte SM4 key)'}, got ${got(a.key)}` });
  }
}, whenValid(['algorithm'], ['key']));

const gen3 = z.strictObject({
  nameExtension: gbkText(40).optional().describe('姓名扩展, EF06 record 4E: GBK, at most 40 bytes; default empty'),
  algorithm: text(hexShape(1), hexOf(1), '2 hex digits').optional().describe('tag 9F0C in the SSSE FCI; default 01'),
  externalAuth: text(z.enum(['required', 'off']), (v) => v === 'required' || v === 'off', 'required or off').optional()
    .describe('required (default): EF06 answers 69 82 until EXTERNAL AUTHENTICATE; off: readable at once'),
  masterKey: text(hexShape(16), hexOf(16), '32 hex digits (a 16-byte SM4 key)').optional().describe('RKSSSE master key; default the test master key'),
  externalAuthTries: tries().optional().describe('EXTERNAL AUTHENTICATE attempts, 1–15, default 3'),
  contactlessAtr: atrText().optional().describe('ATR of the contactless presentation; default 3B 8K 80 01 and the profile id'),
  bankNumber: text(z.string().regex(/^\d{16,19}$/), (v) => /^\d{16,19}$/.test(v), '16–19 digits').optional()
    .describe('银行卡号: the bank application (PPSE, UnionPay AID) is present only with it'),
});

const RESERVED_FIDS = ['3F00', 'EF05', 'EF06', '3FFF', 'FFFF'];
const binaryFile = z.strictObject({
  label: scalar(z.string(), (v) => v).optional().describe('trace label; default EF<fid>'),
  fid: ruled(z.string().regex(/^[0-9A-Fa-f]{4}$/), (v): string => {
    const fid = typeof v === 'string' ? v.trim().toUpperCase() : undefined;
    return fid && /^[0-9A-F]{4}$/.test(fid) && !RESERVED_FIDS.includes(fid) ? fid : refuse(`expected 4 hex digits other than 3F00, EF05, EF06, got ${got(fid ?? '')}`);
  }),
  sfi: text(z.string().regex(/^\d+$/), (v) => { const n = /^\d+$/.test(v) ? Number(v) : NaN; return n >= 1 && n <= 30 && n !== 5 && n !== 6; }, '1–30 other than 5 and 6').optional(),
  parent: scalar(z.enum(['MF', 'SSSE']), (v) => { const p = v.toUpperCase(); return p === 'MF' || p === 'SSSE' ? p : refuse(`expected MF or SSSE, got ${got(p)}`); }).optional().describe('default SSSE'),
  data: scalar(z.string(), (v) => { try { return toHex(fromHex(v)); } catch { return refuse('expected hex bytes'); } }).optional().describe('content, hex'),
  size: text(z.string().regex(/^\d+$/), (v) => { const n = /^\d+$/.test(v) ? Number(v) : NaN; return n >= 1 && n <= 32767; }, '1–32767').optional().describe('or: N pattern bytes 00 01 02 …'),
  readNeedsPin: bool().optional(),
}, { error: (iss) => (iss.code === 'invalid_type' && iss.input !== undefined ? 'expected a mapping with label, fid, parent and data or size' : undefined) }).superRefine((b, ctx) => {
  if (b.data === undefined && b.size === undefined) ctx.addIssue({ code: 'custom', path: ['data'], message: 'required (hex bytes), or size: N for N pattern bytes 00 01 02 …' });
}).transform((b): BinaryFileSpec => ({
  label: b.label ?? `EF${b.fid}`, fid: b.fid, ...(b.sfi !== undefined ? { sfi: Number(b.sfi) } : {}),
  parent: (b.parent ?? 'SSSE') as 'MF' | 'SSSE',
  data: b.data ?? toHex(Uint8Array.from({ length: Number(b.size) }, (_, j) => j & 0xff)),
  readNeedsPin: b.readNeedsPin ?? false,
}));

const files = z.strictObject({
  readNeedsPin: z.array(ruled(z.enum(['EF05', 'EF06']), (v): 'EF05' | 'EF06' => {
    const t = typeof v === 'string' ? v.toUpperCase() : '';
    return t === 'EF05' || t === 'EF06' ? t : refuse(`expected EF05 or EF06, got ${got(typeof v === 'string' ? v : '(a collection)')}`);
  }), { error: 'expected a list such as [EF06]' }).optional().describe('EFs whose READ RECORD needs the PIN (69 82 until VERIFY)'),
  binary: z.array(binaryFile, { error: 'expected a list of files' }).optional().describe('transparent EFs for READ BINARY'),
}).superRefine((f, ctx) => {
  const seen = new Set<string>();
  (f.binary ?? []).forEach((b, i) => {
    if (!validAt(ctx, ['binary', i])) return;
    const key = `${b.parent}/${b.fid}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['binary', i, 'fid'], message: `duplicate file ${b.fid} under ${b.parent}` });
    seen.add(key);
  });
}, whenValid());

/** The profile's sections, its defaults resolved except those that need the file name (the ATR). */
const profileSchema = z.strictObject({
  description: scalar(z.string(), (v) => v).optional().describe('free text: what the card is for'),
  atr: atrText().optional().describe('hex; checked (TS, structure, TCK); default 3B 0K and the profile id'),
  protocol: text(z.enum(['T=0', 'T=1']), (v) => v === 'T=0' || v === 'T=1', 'T=0 or T=1').optional().describe('default T=0 (61xx / 6Cxx)'),
  activated: bool().optional().describe('default true'),
  replaces: ident(CARD_NUMBER).optional().describe('the card number this card replaces'),
  reportedLost: bool().optional().describe('the holder reported this card lost'),
  generation: text(z.enum(['2', '3']), (v) => v === '2' || v === '3', '2 or 3').optional().describe('card generation; default 2; 3 enables gen3'),
  holder, card, pin,
  auth: auth.optional().describe('INTERNAL AUTHENTICATE test key'),
  gen3: gen3.optional().describe('third-generation card (card-spec §7); only with generation: 3'),
  files: files.optional().describe('extra files and access rules (card-spec §2)'),
}).superRefine((p, ctx) => {
  if (p.gen3 !== undefined && p.generation !== '3') ctx.addIssue({ code: 'custom', path: ['gen3'], message: 'only for a third-generation card: add generation: 3' });
}, whenValid(['generation'])).superRefine((p, ctx) => {
  // card-spec §7: a terminal reads a card whose version starts with 3 through its PSAM, so the version says the generation.
  const v = p.card.specVersion;
  if (v !== undefined && v.startsWith('3') !== (p.generation === '3')) {
    ctx.addIssue({ code: 'custom', path: ['card', 'specVersion'], message: p.generation === '3'
      ? `a third-generation card's version starts with 3, got ${got(v)}`
      : `${got(v)} is a third-generation version (terminals then authenticate through a PSAM): add generation: 3, or give a 2.x version` });
  }
}, whenValid(['generation'], ['card', 'specVersion'])).transform((p): Omit<CardProfile, 'id' | 'atr'> & { atr?: string } => {
  const files = {
    ...(p.files?.readNeedsPin?.length ? { readNeedsPin: p.files.readNeedsPin } : {}),
    ...(p.files?.binary?.length ? { binary: p.files.binary } : {}),
  };
  const algorithm = (p.auth?.algorithm ?? 'SM4') as 'SM4' | '3DES';
  return {
    ...(p.description !== undefined ? { description: p.description } : {}),
    holder: {
      name: p.holder.name, idNumber: p.holder.idNumber, sex: p.holder.sex ?? idSex(p.holder.idNumber),
      nation: p.holder.nation ?? '01', birthplace: p.holder.birthplace ?? p.holder.idNumber.slice(0, 6),
      birthDate: p.holder.birthDate ?? idBirthDate(p.holder.idNumber),
    },
    card: {
      number: p.card.number, identificationCode: p.card.identificationCode, type: (p.card.type ?? '01').toUpperCase(),
      specVersion: p.card.specVersion ?? (p.generation === '3' ? '3.00' : '2.00'), issuerCode: (p.card.issuerCode ?? p.card.region.padEnd(24, '0')).toUpperCase(),
      issueDate: p.card.issueDate, expiryDate: p.card.expiryDate, region: p.card.region,
    },
    pin: { value: p.pin.value, tries: Number(p.pin.tries ?? '3'), isInitial: p.pin.isInitial ?? false },
    atr: p.atr, // the default needs the id: fromFile
    activated: p.activated ?? true,
    auth: { algorithm, key: (p.auth?.key ?? DEFAULT_AUTH_KEY).toUpperCase() },
    protocol: (p.protocol ?? 'T=0') as Protocol,
    ...(p.replaces !== undefined ? { replaces: p.replaces } : {}),
    ...(p.reportedLost ? { reportedLost: true } : {}),
    ...(Object.keys(files).length ? { files } : {}),
    generation: p.generation === '3' ? 3 : 2,
    ...(p.generation === '3' ? { gen3: gen3Spec(p.gen3 ?? {}) } : {}),
  };
});

/** The gen3 section with its defaults; the contactless ATR's default needs the id (fromFile). */
function gen3Spec(g: { nameExtension?: string; algorithm?: string; externalAuth?: string; masterKey?: string; externalAuthTries?: string; contactlessAtr?: string; bankNumber?: string }): Gen3Spec {
  return {
    nameExtension: g.nameExtension ?? '',
    algorithm: (g.algorithm ?? '01').toUpperCase(),
    externalAuth: g.externalAuth === 'off' ? 'off' : 'required',
    masterKey: (g.masterKey ?? DEFAULT_MASTER_KEY).replace(/\s/g, '').toUpperCase(),
    externalAuthTries: Number(g.externalAuthTries ?? '3'),
    contactlessAtr: g.contactlessAtr ?? '',
    ...(g.bankNumber !== undefined ? { bankNumber: g.bankNumber } : {}),
  };
}

const WORDING: Wording = {
  missing: () => 'required',
  unknownField: (_key, allowed) => `unknown field (expected one of: ${allowed.join(', ')})`,
  notMapping: (field) => (field === '(root)' ? 'expected a mapping with holder:, card:, pin: …' : 'expected a mapping'),
  notList: () => 'expected a list',
};

/** The card profile format (schemas/card-profile.schema.json; fixtures/cards/README.md). */
export const CARD_PROFILE_FORMAT = defineFormat({
  id: 'card-profile',
  title: '社保卡卡片 / card profile (fixtures/cards/<id>.yaml)',
  description: 'One emulated card: holder, card data, PIN, ATR and behaviour (fixtures/cards/README.md, card-spec.md).',
  schema: profileSchema, scalars: 'text', wording: WORDING,
});

/** Parse and validate one profile. `fileName` is used for the id (its stem) and in messages. */
export function parseCardProfile(yamlText: string, fileName: string): CardProfile {
  return fromFile(() => loadYaml(CARD_PROFILE_FORMAT, fileName, { text: yamlText, root: '(root)' }), fileName);
}

/** Load and validate one profile file. */
export function loadCardProfile(file: string): CardProfile {
  const shown = path.relative(process.cwd(), file) || file;
  const p = fromFile(() => loadYaml(CARD_PROFILE_FORMAT, file, { shown, root: '(root)' }), shown);
  p.source = shown;
  return p;
}

/** The validated sections, the id (the file's stem) and the default ATR, which is made from the id. */
function fromFile(load: () => Omit<CardProfile, 'id' | 'atr'> & { atr?: string }, fileName: string): CardProfile {
  let p: ReturnType<typeof load>;
  try { p = load(); } catch (e) {
    if (e instanceof YamlError && !(e instanceof CardProfileError)) throw new CardProfileError(e.issues);
    throw e;
  }
  const id = path.basename(fileName).replace(/\.ya?ml$/i, '');
  const profile: CardProfile = { id, ...p, atr: p.atr ?? '' };
  profile.atr ||= toHex(defaultAtr(id, p.protocol ?? 'T=0'));
  if (profile.gen3) profile.gen3.contactlessAtr ||= toHex(contactlessDefaultAtr(id));
  return profile;
}

/**
 * Load every *.yaml / *.yml profile in a folder, keyed by id (file stem). All files are
 * checked; one CardProfileError lists every issue. Duplicate card numbers are an error.
 */
export function loadCardProfiles(dir: string): Map<string, CardProfile> {
  const issues: ProfileIssue[] = [];
  const out = new Map<string, CardProfile>();
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f)).sort();
  const byNumber = new Map<string, string>();
  for (const f of files) {
    try {
      const p = loadCardProfile(path.join(dir, f));
      const other = byNumber.get(p.card.number);
      if (other) issues.push({ file: p.source!, field: 'card.number', message: `${p.card.number} is also the number of ${other}` });
      byNumber.set(p.card.number, p.source!);
      out.set(p.id, p);
    } catch (e) {
      if (e instanceof CardProfileError) issues.push(...e.issues);
      else throw e;
    }
  }
  if (issues.length) throw new CardProfileError(issues);
  return out;
}

// ------------------------------------------------------------------ PSAM profiles

/** Default PSAM ATR: T=0, historical bytes "PSAM-SSE" (our decision; real PSAMs carry their maker's). */
export const DEFAULT_PSAM_ATR = toHex(defaultAtr('PSAM-SSE'));

const psamSchema = z.strictObject({
  description: scalar(z.string(), (v) => v).optional().describe('free text: which terminal this PSAM is for'),
  terminalNumber: text(z.string().regex(/^\d{12}$/), (v) => /^\d{12}$/.test(v), '12 digits', { required: true })
    .describe('终端机编号: 12 digits, READ BINARY SFI 16; field 10 of the reader interface line'),
  masterKey: text(hexShape(16), hexOf(16), '32 hex digits (a 16-byte SM4 key)').optional()
    .describe('RKSSSE master key the external-authentication keys of the cards are diversified from; default the test master key'),
  atr: atrText().optional().describe('hex; default 3B 08 "PSAM-SSE"'),
}).transform((p): Omit<PsamProfile, 'id'> => ({
  ...(p.description !== undefined ? { description: p.description } : {}),
  terminalNumber: p.terminalNumber,
  masterKey: (p.masterKey ?? DEFAULT_MASTER_KEY).replace(/\s/g, '').toUpperCase(),
  atr: p.atr ?? DEFAULT_PSAM_ATR,
}));

/** The PSAM profile format (schemas/psam-profile.schema.json; fixtures/psam/README.md). */
export const PSAM_PROFILE_FORMAT = defineFormat({
  id: 'psam-profile',
  title: 'PSAM 安全模块 / PSAM profile (fixtures/psam/<id>.yaml)',
  description: 'The terminal\'s secure access module for third-generation cards: terminal number, master key, ATR (card-spec.md §7).',
  schema: psamSchema, scalars: 'text',
  wording: { ...WORDING, notMapping: (field) => (field === '(root)' ? 'expected a mapping with terminalNumber: …' : 'expected a mapping') },
});

/** Load and validate one PSAM profile file. */
export function loadPsamProfile(file: string): PsamProfile {
  const shown = path.relative(process.cwd(), file) || file;
  let p: Omit<PsamProfile, 'id'>;
  try { p = loadYaml(PSAM_PROFILE_FORMAT, file, { shown, root: '(root)' }); } catch (e) {
    if (e instanceof YamlError && !(e instanceof CardProfileError)) throw new CardProfileError(e.issues);
    throw e;
  }
  return { id: path.basename(file).replace(/\.ya?ml$/i, ''), ...p, source: shown };
}
