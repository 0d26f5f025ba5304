// Files that files name (a rig file's `card:`, a step's fixture): read only inside the
// fixtures folders, and only regular files under a size cap. A path written in a file can
// then never make the harness read, or echo in an error, something like /etc/shadow, nor
// hang on /dev/zero.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The largest YAML file read (analysts' files are a few KiB; this bounds memory before parsing). */
export const MAX_YAML_BYTES = 1 << 20;

const PROJECT_FIXTURES = path.resolve(__dirname, '..', 'fixtures');

/** The folders a file may name: the project's fixtures/ and the run's `--fixtures` folder (MEDCARD_FIXTURES). */
export function fixtureRoots(): string[] {
  const extra = process.env.MEDCARD_FIXTURES ? [path.resolve(process.env.MEDCARD_FIXTURES)] : [];
  return [...new Set([PROJECT_FIXTURES, ...extra])];
}

const real = (p: string): string => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };
const inside = (file: string, root: string): boolean => {
  const rel = path.relative(real(root), real(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * The file `ref` names, tried against each of `bases` in turn (the naming file's folder,
 * the project root …): the first that exists, provided it lies inside one of `roots`
 * (symbolic links followed). Otherwise the reason, which never quotes the file's content.
 */
export function namedFile(ref: string, bases: readonly string[], roots: readonly string[] = fixtureRoots()): { file: string } | { problem: string } {
  const shownRoots = roots.map((r) => path.relative(process.cwd(), r) || r).join(' or ');
  const candidates = bases.map((b) => path.resolve(b, ref));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) return { problem: `not found` };
  if (!roots.some((r) => inside(found, r))) return { problem: `outside the fixtures folders: a file may only name files under ${shownRoots} (medcard run --fixtures DIR adds one)` };
  return { file: found };
}

/** A YAML file's text: a regular file of at most MAX_YAML_BYTES, refused before reading otherwise. */
export function readYamlText(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_YAML_BYTES) throw new Error(`${st.size} bytes; a YAML file may be at most ${MAX_YAML_BYTES} bytes (1 MiB)`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const got = fs.readSync(fd, buf, n, st.size - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
