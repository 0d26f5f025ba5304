// The file system layer: MF, DFs, record EFs (TLV records numbered by their identifier) and
// transparent EFs, plus the selection state (current DF, current EF, current record).
// It raises status words; it knows nothing of APDUs or transport.

import { SW, raise } from './sw';

/** Read access: always; after VERIFY; after EXTERNAL AUTHENTICATE (third-generation EF06). */
export type Access = 'always' | 'pin' | 'external-auth';

interface FileBase {
  /** Short display name for traces, e.g. 'MF', 'SSSE', 'EF05'. */
  readonly label: string;
  readonly fid: number | null;
  parent: DedicatedFile | null;
}

export class DedicatedFile implements FileBase {
  readonly kind = 'DF' as const;
  parent: DedicatedFile | null = null;
  readonly children: AnyFile[] = [];
  /** false: the application is not activated (SELECT answers 6283). */
  active = true;
  /** Contents of the FCI's proprietary template A5 (e.g. tag 9F0C on a third-generation SSSE), or null. */
  proprietary: Uint8Array | null = null;
  constructor(readonly label: string, readonly fid: number | null, readonly name: Uint8Array | null) {}
  add<T extends AnyFile>(f: T): T {
    f.parent = this;
    this.children.push(f);
    return f;
  }
}

/** A record in a linear variable EF: the record number and identifier are both its tag. */
export interface CardRecord {
  id: number;
  /** The whole TLV: tag, length, value. */
  bytes: Uint8Array;
}

export class RecordFile implements FileBase {
  readonly kind = 'RECORD' as const;
  parent: DedicatedFile | null = null;
  readonly records: CardRecord[] = [];
  constructor(readonly label: string, readonly fid: number | null, readonly sfi: number, readonly read: Access = 'always') {}
  /** Record by number; number = identifier on this card (records 01–07 in EF05, 08–0D in EF06). */
  byNumber(n: number): CardRecord | undefined {
    for (const r of this.records) if (r.id === n) return r;
    return undefined;
  }
  indexOf(r: CardRecord | null): number { return r ? this.records.indexOf(r) : -1; }
  setRecord(id: number, value: Uint8Array): void {
    if (value.length > 253) throw new Error(`record ${id}: value too long (${value.length} bytes)`);
    const bytes = new Uint8Array(value.length + 2);
    bytes[0] = id;
    bytes[1] = value.length;
    bytes.set(value, 2);
    this.setRecordBytes(id, bytes);
  }
  /** A record whose bytes are not `<id> L value` (an EMV record: `70 L …`). */
  setRecordBytes(id: number, bytes: Uint8Array): void {
    const old = this.byNumber(id);
    if (old) old.bytes = bytes;
    else {
      this.records.push({ id, bytes });
      this.records.sort((a, b) => a.id - b.id);
    }
  }
}

export class TransparentFile implements FileBase {
  readonly kind = 'BINARY' as const;
  parent: DedicatedFile | null = null;
  constructor(readonly label: string, readonly fid: number | null, readonly sfi: number | null, public data: Uint8Array, readonly read: Access = 'always') {}
}

export type ElementaryFile = RecordFile | TransparentFile;
export type AnyFile = DedicatedFile | ElementaryFile;

/** Selection state plus lookups; every failed lookup raises and leaves the selection unchanged. */
export class FileSystem {
  currentDf: DedicatedFile;
  currentEf: ElementaryFile | null = null;
  currentRecord: CardRecord | null = null;

  constructor(readonly mf: DedicatedFile) {
    this.currentDf = mf;
  }

  reset(): void {
    this.currentDf = this.mf;
    this.currentEf = null;
    this.currentRecord = null;
  }

  selectDf(df: DedicatedFile): void {
    this.currentDf = df;
    this.currentEf = null;
    this.currentRecord = null;
  }

  selectEf(ef: ElementaryFile): void {
    if (this.currentEf !== ef) this.currentRecord = null;
    this.currentEf = ef;
    this.currentDf = ef.parent ?? this.mf;
  }

  /** A child of `df` by file identifier. */
  childByFid(df: DedicatedFile, fid: number): AnyFile | undefined {
    for (const c of df.children) if (c.fid === fid) return c;
    return undefined;
  }

  /** P1=00: MF by 3F00, else a child of the current DF, else a child of the MF. */
  findAnyByFid(fid: number): AnyFile {
    if (fid === 0x3f00) return this.mf;
    return this.childByFid(this.currentDf, fid) ?? this.childByFid(this.mf, fid) ?? raise(SW.FILE_NOT_FOUND);
  }

  /** DF by name; a right-truncated name matches (ISO 7816-4), searched depth first from the MF. */
  findDfByName(name: Uint8Array): DedicatedFile {
    const walk = (df: DedicatedFile): DedicatedFile | undefined => {
      if (df.name && name.length <= df.name.length && prefixOf(name, df.name)) return df;
      for (const c of df.children) if (c.kind === 'DF') { const f = walk(c); if (f) return f; }
      return undefined;
    };
    return walk(this.mf) ?? raise(SW.FILE_NOT_FOUND);
  }

  /** An EF of the current DF by short file identifier. */
  efBySfi(sfi: number): ElementaryFile {
    for (const c of this.currentDf.children) if (c.kind !== 'DF' && c.sfi === sfi) return c;
    return raise(SW.FILE_NOT_FOUND);
  }

  /** Every EF, depth first, with its path (for snapshots). */
  allEfs(): Array<{ path: string; ef: ElementaryFile }> {
    const out: Array<{ path: string; ef: ElementaryFile }> = [];
    const walk = (df: DedicatedFile, path: string): void => {
      for (const c of df.children) {
        const p = `${path}/${c.label}`;
        if (c.kind === 'DF') walk(c, p);
        else out.push({ path: p, ef: c });
      }
    };
    walk(this.mf, this.mf.label);
    return out;
  }

  findEfByLabel(label: string): ElementaryFile | undefined {
    return this.allEfs().find((e) => e.ef.label === label)?.ef;
  }
}

function prefixOf(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
