// Reading analysts' YAML with errors that name the file, the line and the field.
import fs from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import { toFen, MoneyError } from '../platform';

export class YamlError extends Error {
  constructor(readonly file: string, readonly line: number, readonly field: string, readonly problem: string) {
    super(`${file}:${line}: ${field}: ${problem}`);
    this.name = 'YamlError';
  }
}

export type Path = Array<string | number>;

export class YamlFile {
  readonly doc: Document;
  private readonly lc = new LineCounter();
  constructor(readonly file: string, text?: string) {
    this.doc = parseDocument(text ?? fs.readFileSync(file, 'utf8'), { lineCounter: this.lc, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? 1;
      throw new YamlError(file, line, '(yaml)', err.message.split('\n')[0]);
    }
  }
  /** Line of the node at path, or of its nearest existing parent. */
  line(path: Path): number {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.lc.linePos(range[0]).line;
    }
    return 1;
  }
  fail(path: Path, problem: string): never {
    throw new YamlError(this.file, this.line(path), fieldName(path), problem);
  }
  has(path: Path): boolean { return this.doc.hasIn(path); }
  raw(path: Path): unknown {
    const v = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    if (v === undefined || v === null) return undefined;
    return (v as { toJSON?: () => unknown }).toJSON ? (v as { toJSON: () => unknown }).toJSON() : v;
  }
  /** A mapping with only the allowed keys; `required` must all be there. */
  map(path: Path, allowed: string[], required: string[] = []): void {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    if (!isMap(node)) this.fail(path, '应为映射（key: value）/ expected a mapping');
    for (const item of node.items) {
      const key = String((item.key as { value?: unknown })?.value ?? item.key);
      if (!allowed.includes(key)) this.fail([...path, key], `未知字段 / unknown field (allowed: ${allowed.join(', ')})`);
    }
    for (const key of required) if (!this.doc.hasIn([...path, key])) this.fail(path, `缺少字段 ${key} / missing field ${key}`);
  }
  seqLength(path: Path, opts: { min?: number } = {}): number {
    const node = path.length ? this.doc.getIn(path, true) : this.doc.contents;
    if (!isSeq(node)) this.fail(path, '应为列表 / expected a list');
    if (node.items.length < (opts.min ?? 0)) this.fail(path, `至少 ${opts.min} 项 / at least ${opts.min} items`);
    return node.items.length;
  }
  str(path: Path, opts: { re?: RegExp; max?: number; optional?: boolean; what?: string } = {}): string {
    const v = this.raw(path);
    if (v === undefined) {
      if (opts.optional) return '';
      this.fail(path, '缺少字段 / missing');
    }
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(path, '应为文本 / expected text');
    const s = String(v);
    if (opts.max !== undefined && s.length > opts.max) this.fail(path, `过长（最多 ${opts.max} 字符）/ too long`);
    if (opts.re && !opts.re.test(s)) this.fail(path, `格式不正确，应为 ${opts.what ?? opts.re.source} / bad format`);
    return s;
  }
  optStr(path: Path, opts: { re?: RegExp; max?: number; what?: string } = {}): string | null {
    return this.raw(path) === undefined ? null : this.str(path, opts);
  }
  /** Yuan amount → fen. Accepts "400.00" or 400. */
  yuan(path: Path): number {
    const v = this.raw(path);
    if (v === undefined) this.fail(path, '缺少金额 / missing amount');
    try { return toFen(v); } catch (e) { if (e instanceof MoneyError) this.fail(path, `${e.message} / bad amount`); throw e; }
  }
  /** "2.5%" → 250 basis points (1 bp = 0.01%). At most 100% unless `maxBp` says more ("300%" base ceilings). */
  pct(path: Path, { maxBp = 10000 }: { maxBp?: number } = {}): number {
    const v = this.raw(path);
    if (v === undefined) this.fail(path, '缺少比例 / missing percentage');
    const m = typeof v === 'string' ? /^\s*([0-9]{1,4})(?:\.([0-9]{1,2}))?\s*%\s*$/.exec(v) : null;
    if (!m) this.fail(path, '比例应写成百分数，如 "2.5%" / expected a percentage like "2.5%"');
    const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
    if (bp > maxBp) this.fail(path, `比例不能超过 ${maxBp / 100}% / over ${maxBp / 100}%`);
    return bp;
  }
  int(path: Path, opts: { min?: number; max?: number } = {}): number {
    const v = this.raw(path);
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, '应为整数 / expected an integer');
    if (opts.min !== undefined && v < opts.min) this.fail(path, `不能小于 ${opts.min} / below ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) this.fail(path, `不能大于 ${opts.max} / above ${opts.max}`);
    return v;
  }
  bool(path: Path, dflt?: boolean): boolean {
    const v = this.raw(path);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(path, '应为 true 或 false / expected true or false');
    return v;
  }
  date(path: Path, optional = false): string | null {
    const v = this.raw(path);
    if (v === undefined && optional) return null;
    const s = this.str(path, { re: /^\d{4}-\d{2}-\d{2}$/, what: 'yyyy-MM-dd' });
    if (!validDate(s)) this.fail(path, '不是有效日期 / not a valid date');
    return s;
  }
}

export function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(document)';
}

export function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}
