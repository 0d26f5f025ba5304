// Card profiles: fixtures/cards/*.yaml → CardProfile, validated with errors that name the
// file, the line and the field. YAML is read with the failsafe schema (every scalar a
// string), so an unquoted 18-digit ID number never loses digits to floating point.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import type { BinaryFileSpec, CardProfile } from './types';
import { defaultAtr, parseAtr, type Protocol } from './atr';
import { encodeGbk } from './gbk';
import { fromHex, toHex } from './hex';
import { CARD_NUMBER, CARD_SN, ID_NUMBER, REGION_CODE, idBirthDate, idSex as sexOfId, isCalendarDate, type IdFormat } from '../spec';

export interface ProfileIssue { file: string; line?: number; field: string; message: string }

export class CardProfileError extends Error {
  constructor(readonly issues: ProfileIssue[]) {
    super(issues.map((i) => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.field}: ${i.message}`).join('\n'));
    this.name = 'CardProfileError';
  }
}

export const DEFAULT_AUTH_KEY = '00112233445566778899AABBCCDDEEFF';

type Shape = { [k: string]: Shape | true };
const SHAPE: Shape = {
  description: true, atr: true, protocol: true, activated: true, replaces: true, reportedLost: true,
  holder: { name: true, idNumber: true, sex: true, nation: true, birthplace: true, birthDate: true },
  card: { number: true, identificationCode: true, type: true, specVersion: true, issuerCode: true, issueDate: true, expiryDate: true, region: true },
  pin: { value: true, tries: true, isInitial: true },
  auth: { algorithm: true, key: true },
  files: { readNeedsPin: true, binary: true },
};

/** Parse and validate one profile. `fileName` is used for the id (its stem) and in messages. */
export function parseCardProfile(yamlText: string, fileName: string): CardProfile {
  const issues: ProfileIssue[] = [];
  const lc = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lc, schema: 'failsafe', prettyErrors: true, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number | undefined => {
    const r = node?.range;
    return r ? lc.linePos(r[0]).line : undefined;
  };
  for (const e of doc.errors.slice(0, 3)) {
    issues.push({ file: fileName, line: e.linePos?.[0]?.line, field: '(yaml)', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') });
  }
  if (issues.length) throw new CardProfileError(issues);
  if (!isMap(doc.contents)) throw new CardProfileError([{ file: fileName, line: 1, field: '(root)', message: 'expected a mapping with holder:, card:, pin: …' }]);

  /** The key node of `parts` in its parent mapping (its line is where the section starts). */
  const keyNode = (parts: string[]): Node | undefined => {
    const parent = parts.length > 1 ? doc.getIn(parts.slice(0, -1), true) : doc.contents;
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === parts[parts.length - 1]);
    return pair ? (pair.key as Node) : undefined;
  };
  const fail = (field: string, message: string, node?: Node | null): void => {
    let n = node;
    if (!n) { // a missing field: point at the key of its nearest existing parent
      const parts = field.split('.');
      while (parts.length && !n) { parts.pop(); n = parts.length ? keyNode(parts) : undefined; }
    }
    issues.push({ file: fileName, line: lineOf(n ?? doc.contents), field, message });
  };

  // Unknown fields (typos) are errors.
  const checkShape = (node: unknown, shape: Shape, prefix: string): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const f = prefix ? `${prefix}.${key}` : key;
      if (!(key in shape)) fail(f, `unknown field (expected one of: ${Object.keys(shape).join(', ')})`, pair.key as Node);
      else if (shape[key] !== true) {
        if (pair.value && !isMap(pair.value)) fail(f, 'expected a mapping', pair.value as Node);
        else checkShape(pair.value, shape[key] as Shape, f);
      }
    }
  };
  checkShape(doc.contents, SHAPE, '');

  const nodeAt = (field: string): Node | undefined => doc.getIn(field.split('.'), true) as Node | undefined;
  /** A scalar string, or undefined if absent; a non-scalar is an issue. */
  const str = (field: string): string | undefined => {
    const n = nodeAt(field);
    if (n === undefined || n === null) return undefined;
    if (!isScalar(n)) { fail(field, 'expected a single value', n); return undefined; }
    if (n.value === null || n.value === undefined) return undefined;
    return String(n.value).trim();
  };
  const required = (field: string): string | undefined => {
    const v = str(field);
    if (v === undefined || v === '') { fail(field, 'required'); return undefined; }
    return v;
  };
  const got = (v: string): string => JSON.stringify(v);
  const check = (field: string, v: string | undefined, ok: (v: string) => boolean, expected: string): string | undefined => {
    if (v === undefined) return undefined;
    if (!ok(v)) { fail(field, `expected ${expected}, got ${got(v)}`, nodeAt(field)); return undefined; }
    return v;
  };
  const date = (field: string, v: string | undefined) => check(field, v, isCalendarDate, 'YYYY-MM-DD');
  /** A value of one of the standard identifier formats (spec/identifiers.ts), normalized. */
  const identifier = (field: string, v: string | undefined, format: IdFormat): string | undefined => {
    if (v === undefined) return undefined;
    const n = format.normalize(v);
    const problem = format.problem(n);
    if (problem) { fail(field, problem.en, nodeAt(field)); return undefined; }
    return n;
  };
  const hexOf = (bytes: number) => (v: string) => new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(v.replace(/\s/g, ''));
  const bool = (field: string, dflt: boolean): boolean => {
    const v = str(field);
    if (v === undefined) return dflt;
    if (v === 'true') return true;
    if (v === 'false') return false;
    fail(field, `expected true or false, got ${got(v)}`, nodeAt(field));
    return dflt;
  };

  // holder
  const name = required('holder.name');
  if (name !== undefined) {
    try {
      const n = encodeGbk(name).length;
      if (n > 30) fail('holder.name', `expected at most 30 bytes in GBK, got ${n} bytes for ${got(name)}`, nodeAt('holder.name'));
    } catch (e) {
      fail('holder.name', `cannot be encoded in GBK: ${(e as Error).message}`, nodeAt('holder.name'));
    }
  }
  const idNumber = identifier('holder.idNumber', required('holder.idNumber'), ID_NUMBER);
  const idBirth = idNumber ? idBirthDate(idNumber) : undefined;
  const idSex = idNumber ? sexOfId(idNumber) : undefined;

  let sexRaw = str('holder.sex');
  const sexWords: Record<string, '1' | '2'> = { '1': '1', '2': '2', male: '1', female: '2', '男': '1', '女': '2' };
  let sex: '1' | '2' | undefined;
  if (sexRaw !== undefined) {
    sex = sexWords[sexRaw.toLowerCase()];
    if (!sex) { fail('holder.sex', `expected 1 (male), 2 (female), male, female, 男 or 女, got ${got(sexRaw)}`, nodeAt('holder.sex')); sexRaw = undefined; }
    else if (idSex && sex !== idSex) fail('holder.sex', `is ${sex} but the ID number's 17th digit says ${idSex} (${idSex === '1' ? 'male' : 'female'})`, nodeAt('holder.sex'));
  } else sex = idSex as '1' | '2' | undefined;

  const nation = check('holder.nation', str('holder.nation') ?? '01', (v) => /^\d{2}$/.test(v), '2 digits (01 = Han)');
  const birthDateRaw = date('holder.birthDate', str('holder.birthDate'));
  if (birthDateRaw && idBirth && birthDateRaw !== idBirth) fail('holder.birthDate', `is ${birthDateRaw} but the ID number says ${idBirth}`, nodeAt('holder.birthDate'));
  const birthDate = birthDateRaw ?? idBirth;

  // card
  const region = identifier('card.region', required('card.region'), REGION_CODE);
  const birthplace = check('holder.birthplace', str('holder.birthplace') ?? idNumber?.slice(0, 6) ?? region, (v) => /^\d{1,6}$/.test(v), 'up to 6 digits (region code)');
  const number = identifier('card.number', required('card.number'), CARD_NUMBER);
  const identificationCode = identifier('card.identificationCode', required('card.identificationCode'), CARD_SN);
  const type = check('card.type', str('card.type') ?? '01', hexOf(1), '2 hex digits')?.toUpperCase();
  const specVersion = check('card.specVersion', str('card.specVersion') ?? '3.00', (v) => /^[\x20-\x7e]{4}$/.test(v), '4 ASCII characters, e.g. "3.00"');
  const issuerCode = check('card.issuerCode', str('card.issuerCode') ?? (region ? region.padEnd(24, '0') : undefined), hexOf(12), '24 hex digits (12 bytes)')?.toUpperCase();
  const issueDate = date('card.issueDate', required('card.issueDate'));
  const expiryDate = date('card.expiryDate', required('card.expiryDate'));
  if (issueDate && expiryDate && expiryDate <= issueDate) fail('card.expiryDate', `must be after card.issueDate ${issueDate}, got ${got(expiryDate)}`, nodeAt('card.expiryDate'));

  // pin
  const pinValue = check('pin.value', required('pin.value'), (v) => /^\d{6}$/.test(v), '6 digits');
  const triesRaw = check('pin.tries', str('pin.tries') ?? '3', (v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 15, 'a whole number from 1 to 15');
  const isInitial = bool('pin.isInitial', false);

  // card behaviour
  const protocol = check('protocol', str('protocol') ?? 'T=0', (v) => v === 'T=0' || v === 'T=1', 'T=0 or T=1') as Protocol | undefined;
  let atr: string | undefined;
  const atrRaw = str('atr');
  if (atrRaw !== undefined) {
    let bytes: Uint8Array | undefined;
    try { bytes = fromHex(atrRaw); } catch { fail('atr', `expected hex bytes, got ${got(atrRaw)}`, nodeAt('atr')); }
    if (bytes) {
      const info = parseAtr(bytes);
      if (typeof info === 'string') fail('atr', `${info} (${got(atrRaw)})`, nodeAt('atr'));
      else atr = toHex(bytes);
    }
  }
  const id = path.basename(fileName).replace(/\.ya?ml$/i, '');
  if (atrRaw === undefined) atr = toHex(defaultAtr(id, protocol ?? 'T=0'));
  const activated = bool('activated', true);
  const algorithm = check('auth.algorithm', str('auth.algorithm') ?? 'SM4', (v) => v === 'SM4' || v === '3DES', 'SM4 or 3DES') as 'SM4' | '3DES' | undefined;
  const keyRaw = str('auth.key')?.replace(/\s/g, '');
  const key = check('auth.key', keyRaw ?? DEFAULT_AUTH_KEY,
    (v) => (algorithm === '3DES' ? hexOf(16)(v) || hexOf(24)(v) : hexOf(16)(v)),
    algorithm === '3DES' ? '32 or 48 hex digits (a 2- or 3-key 3DES key)' : '32 hex digits (a 16-byte SM4 key)')?.toUpperCase();
  const description = str('description');
  const replaces = identifier('replaces', str('replaces'), CARD_NUMBER);
  const reportedLost = bool('reportedLost', false);

  // files
  let files: CardProfile['files'];
  const rnp = nodeAt('files.readNeedsPin');
  const readNeedsPin: Array<'EF05' | 'EF06'> = [];
  if (rnp !== undefined) {
    if (!isSeq(rnp)) fail('files.readNeedsPin', 'expected a list such as [EF06]', rnp);
    else rnp.items.forEach((it, i) => {
      const v = isScalar(it) ? String(it.value).toUpperCase() : '';
      if (v === 'EF05' || v === 'EF06') readNeedsPin.push(v);
      else fail(`files.readNeedsPin[${i}]`, `expected EF05 or EF06, got ${got(isScalar(it) ? String(it.value) : '(a collection)')}`, it as Node);
    });
  }
  const binNode = nodeAt('files.binary');
  const binary: BinaryFileSpec[] = [];
  if (binNode !== undefined) {
    if (!isSeq(binNode)) fail('files.binary', 'expected a list of files', binNode);
    else binNode.items.forEach((it, i) => {
      const f = `files.binary[${i}]`;
      if (!isMap(it)) { fail(f, 'expected a mapping with label, fid, parent and data or size', it as Node); return; }
      const get = (k: string): string | undefined => { const n = it.get(k, true); return isScalar(n) ? String(n.value).trim() : undefined; };
      const at = (k: string): Node => (it.get(k, true) as Node | undefined) ?? (it as Node);
      for (const pair of it.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!['label', 'fid', 'sfi', 'parent', 'data', 'size', 'readNeedsPin'].includes(k)) fail(`${f}.${k}`, 'unknown field (expected one of: label, fid, sfi, parent, data, size, readNeedsPin)', pair.key as Node);
      }
      const label = get('label') ?? `EF${get('fid') ?? '?'}`;
      const fid = get('fid')?.toUpperCase();
      if (!fid || !/^[0-9A-F]{4}$/.test(fid) || ['3F00', 'EF05', 'EF06', '3FFF', 'FFFF'].includes(fid)) { fail(`${f}.fid`, `expected 4 hex digits other than 3F00, EF05, EF06, got ${got(fid ?? '')}`, at('fid')); return; }
      const sfiRaw = get('sfi');
      let sfi: number | undefined;
      if (sfiRaw !== undefined) {
        sfi = /^\d+$/.test(sfiRaw) ? Number(sfiRaw) : NaN;
        if (!(sfi >= 1 && sfi <= 30) || sfi === 5 || sfi === 6) { fail(`${f}.sfi`, `expected 1–30 other than 5 and 6, got ${got(sfiRaw)}`, at('sfi')); return; }
      }
      const parent = (get('parent') ?? 'SSSE').toUpperCase();
      if (parent !== 'MF' && parent !== 'SSSE') { fail(`${f}.parent`, `expected MF or SSSE, got ${got(parent)}`, at('parent')); return; }
      let data: string | undefined;
      const dataRaw = get('data');
      const sizeRaw = get('size');
      if (dataRaw !== undefined) {
        try { data = toHex(fromHex(dataRaw)); } catch { fail(`${f}.data`, 'expected hex bytes', at('data')); return; }
      } else if (sizeRaw !== undefined) {
        const n = /^\d+$/.test(sizeRaw) ? Number(sizeRaw) : NaN;
        if (!(n >= 1 && n <= 32767)) { fail(`${f}.size`, `expected 1–32767, got ${got(sizeRaw)}`, at('size')); return; }
        data = toHex(Uint8Array.from({ length: n }, (_, j) => j & 0xff));
      } else { fail(`${f}.data`, 'required (hex bytes), or size: N for N pattern bytes 00 01 02 …', it as Node); return; }
      const rp = get('readNeedsPin');
      if (rp !== undefined && rp !== 'true' && rp !== 'false') { fail(`${f}.readNeedsPin`, `expected true or false, got ${got(rp)}`, at('readNeedsPin')); return; }
      binary.push({ label, fid, ...(sfi !== undefined ? { sfi } : {}), parent: parent as 'MF' | 'SSSE', data, readNeedsPin: rp === 'true' });
    });
    const seen = new Set<string>();
    binary.forEach((b, i) => {
      const key = `${b.parent}/${b.fid}`;
      if (seen.has(key)) fail(`files.binary[${i}].fid`, `duplicate file ${b.fid} under ${b.parent}`);
      seen.add(key);
    });
  }
  if (readNeedsPin.length || binary.length) files = { ...(readNeedsPin.length ? { readNeedsPin } : {}), ...(binary.length ? { binary } : {}) };

  if (issues.length) throw new CardProfileError(issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  const profile: CardProfile = {
    id,
    ...(description !== undefined ? { description } : {}),
    holder: { name: name!, idNumber: idNumber!, sex: sex!, nation: nation!, birthplace: birthplace!, birthDate: birthDate! },
    card: {
      number: number!, identificationCode: identificationCode!, type: type!, specVersion: specVersion!,
      issuerCode: issuerCode!, issueDate: issueDate!, expiryDate: expiryDate!, region: region!,
    },
    pin: { value: pinValue!, tries: Number(triesRaw), isInitial },
    atr: atr!,
    activated,
    auth: { algorithm: algorithm!, key: key! },
    protocol: protocol!,
    ...(replaces !== undefined ? { replaces } : {}),
    ...(reportedLost ? { reportedLost } : {}),
    ...(files ? { files } : {}),
  };
  return profile;
}

/** Load and validate one profile file. */
export function loadCardProfile(file: string): CardProfile {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new CardProfileError([{ file: shown, field: '(file)', message: `cannot read: ${(e as Error).message}` }]);
  }
  const p = parseCardProfile(text, shown);
  p.source = shown;
  return p;
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
