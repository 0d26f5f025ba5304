// PostgreSQL's wire protocol as the PGlite adapter speaks it: frontend messages written
// straight into Buffers, and the backend's answer read from its bytes.
import { messages as wire } from '@electric-sql/pglite';

// Frontend messages written straight into one Buffer (PGlite's serializer grew a DataView per
// field and was a sixth of the engine's time): simple Query, and Parse/Bind/Describe/Execute/Sync.
const DESCRIBE_PORTAL = Buffer.from([0x44, 0, 0, 0, 6, 0x50, 0]);
const EXECUTE = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

export function queryMessage(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const b = Buffer.allocUnsafe(6 + n);
  b[0] = 0x51;
  b.writeInt32BE(5 + n, 1);
  b.write(text, 5);
  b[5 + n] = 0;
  return b;
}

/** [BEGIN] [Parse] Bind [Describe] Execute Sync [COMMIT] for the statement `name` (Parse when `text` is given). */
export function callMessage(name: string, text: string | null, values: Array<string | null>, describe: boolean, around: { begin?: boolean; commit?: boolean }): Buffer {
  const nameLen = Buffer.byteLength(name);
  const sizes = values.map((v) => (v === null ? -1 : Buffer.byteLength(v)));
  const bindLen = 4 + 1 + nameLen + 1 + 2 + 2 + sizes.reduce((a, n) => a + 4 + Math.max(n, 0), 0) + 2;
  const textLen = text === null ? 0 : Buffer.byteLength(text);
  const parts: Buffer[] = [];
  if (around.begin) parts.push(queryMessage('BEGIN'));
  if (text !== null) {
    const p = Buffer.allocUnsafe(1 + 4 + nameLen + 1 + textLen + 1 + 2);
    p[0] = 0x50;
    p.writeInt32BE(p.length - 1, 1);
    let at = 5 + p.write(name, 5);
    p[at++] = 0;
    at += p.write(text, at);
    p[at++] = 0;
    p.writeInt16BE(0, at); // parameter types: let the server infer them
    parts.push(p);
  }
  const b = Buffer.allocUnsafe(1 + bindLen);
  b[0] = 0x42;
  b.writeInt32BE(bindLen, 1);
  b[5] = 0; // the unnamed portal
  let at = 6 + b.write(name, 6);
  b[at++] = 0;
  at = b.writeInt16BE(0, at); // parameters in text format
  at = b.writeInt16BE(values.length, at);
  values.forEach((v, i) => {
    at = b.writeInt32BE(sizes[i]!, at);
    if (v !== null) at += b.write(v, at);
  });
  b.writeInt16BE(0, at); // results in text format
  parts.push(b);
  if (describe) parts.push(DESCRIBE_PORTAL);
  parts.push(EXECUTE, SYNC);
  if (around.commit) parts.push(queryMessage('COMMIT'));
  return Buffer.concat(parts);
}

export interface Column { name: string; type: number }
export interface Answer { rows: Array<Array<string | null>>; columns: Column[] | null; parsed: boolean; error?: Error }

/**
 * The backend's answer to one call, from PostgreSQL's wire format: the rows of the statement
 * after `skip` commands (BEGIN), its columns (from its RowDescription, or `known` when Describe
 * was not sent), whether Parse succeeded, and the first error as PGlite's DatabaseError.
 * PGlite's own parser builds an object per message and field and was a fifth of the suite's
 * engine time; this reads only what our statements produce.
 */
export function readAnswer(buf: Buffer, skip: number, known: Column[] | null): Answer {
  const answer: Answer = { rows: [], columns: known, parsed: false };
  let ready = 0;
  for (let at = 0; at + 5 <= buf.length;) {
    const type = buf[at]!;
    const end = at + 1 + buf.readInt32BE(at + 1);
    let p = at + 5;
    if (type === 0x5a /* Z ReadyForQuery */) ready++;
    else if (type === 0x31 /* 1 ParseComplete */) answer.parsed = true;
    else if (type === 0x45 /* E ErrorResponse */ && !answer.error) answer.error = readError(buf, p, end);
    else if (ready === skip) {
      if (type === 0x54 /* T RowDescription */) {
        const n = buf.readInt16BE(p);
        p += 2;
        const columns: Column[] = [];
        for (let i = 0; i < n; i++) {
          const z = buf.indexOf(0, p);
          columns.push({ name: buf.toString('utf8', p, z), type: buf.readInt32BE(z + 7) });
          p = z + 19;
        }
        answer.columns = columns;
      } else if (type === 0x6e /* n NoData */) {
        answer.columns = [];
      } else if (type === 0x44 /* D DataRow */) {
        const n = buf.readInt16BE(p);
        p += 2;
        const values: Array<string | null> = new Array(n);
        for (let i = 0; i < n; i++) {
          const len = buf.readInt32BE(p);
          p += 4;
          values[i] = len < 0 ? null : buf.toString('utf8', p, p + len);
          if (len > 0) p += len;
        }
        answer.rows.push(values);
      }
    }
    at = end;
  }
  return answer;
}

/** An ErrorResponse's fields on PGlite's DatabaseError (code, constraint… as pg names them). */
function readError(buf: Buffer, p: number, end: number): Error {
  const f: Record<string, string> = {};
  while (p < end && buf[p] !== 0) {
    const z = buf.indexOf(0, p + 1);
    f[String.fromCharCode(buf[p]!)] = buf.toString('utf8', p + 1, z);
    p = z + 1;
  }
  return Object.assign(new wire.DatabaseError(f.M ?? 'database error', end, 'error'), {
    severity: f.S, code: f.C, detail: f.D, hint: f.H, position: f.P, where: f.W,
    schema: f.s, table: f.t, column: f.c, dataType: f.d, constraint: f.n, routine: f.R,
  });
}
