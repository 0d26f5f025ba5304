// In-memory PGlite runs initdb at every start (seconds). A database that has only been
// initialised and migrated is the same every time, so it is saved once as a tarball keyed
// by the PGlite version and the migrations, and later starts load it (well under a second).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** MEDCARD_PGLITE_CACHE=<dir> moves the cache (a read-only node_modules, tests). */
const cacheDir = () => process.env.MEDCARD_PGLITE_CACHE || path.join(__dirname, '..', 'node_modules', '.cache', 'medcard-pglite');

function snapshotFile(schemaKey: string): string {
  // PGlite's "exports" hide its package.json from require: read the file itself.
  const pkg = path.join(__dirname, '..', 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  // v4: snapshots without the template databases, checkpointed, set for memory (below).
  const key = createHash('sha256').update(version).update('\0v4\0').update(schemaKey).digest('hex').slice(0, 16);
  return path.join(cacheDir(), `${key}.tar`);
}

/**
 * The snapshot as PGlite reads a tarball: it only calls arrayBuffer() (and looks at `type` for
 * gzip). A Blob would copy the 24 MB twice and hand them back in 64 KB chunks: ~25 ms a start.
 */
function tarball(bytes: Buffer): Blob {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const arrayBuffer = async () => (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
  return { type: 'application/x-tar', size: bytes.byteLength, arrayBuffer } as unknown as Blob;
}

/**
 * A fresh in-memory PGlite with the schema in place. `migrate` runs only when no snapshot
 * matches; its result is saved for the next start. A broken snapshot is ignored and replaced.
 */
export async function freshPglite(schemaKey: string, migrate: (lite: PGlite) => Promise<void>): Promise<PGlite> {
  const file = snapshotFile(schemaKey);
  if (fs.existsSync(file)) {
    try {
      const lite = new PGlite({ loadDataDir: tarball(fs.readFileSync(file)) });
      await lite.waitReady;
      return lite;
    } catch {
      fs.rmSync(file, { force: true });
    }
  }
  const lite = new PGlite();
  await lite.waitReady;
  await migrate(lite);
  try {
    // Smaller and quicker to load: the engine uses the "postgres" database only (no CREATE
    // DATABASE, so no templates), and a checkpoint spares the next start a WAL replay.
    await lite.exec(`ALTER DATABASE template0 IS_TEMPLATE false; ALTER DATABASE template1 IS_TEMPLATE false`);
    await lite.exec(`DROP DATABASE template0`);
    await lite.exec(`DROP DATABASE template1`);
    // In memory, a crash loses everything anyway: no torn-page images, no replication WAL,
    // no flush at commit, no statistics (all take effect when the snapshot starts). 32 MB of
    // shared buffers hold the whole database (8 MB) four times over; the default 128 MB took
    // ~90 ms more to set up at every start.
    for (const set of ["shared_buffers = '32MB'", 'full_page_writes = off', 'wal_level = minimal', 'max_wal_senders = 0', 'synchronous_commit = off', 'track_counts = off', 'autovacuum = off']) {
      await lite.exec(`ALTER SYSTEM SET ${set}`);
    }
    await lite.exec('CHECKPOINT');
    const dump = await lite.dumpDataDir('none');
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file); // atomic: parallel workers never read half a snapshot
    // Snapshots of other PGlite versions or schemas are dead weight (40 MB each).
    for (const old of fs.readdirSync(dir)) if (old.endsWith('.tar') && path.join(dir, old) !== file) fs.rmSync(path.join(dir, old), { force: true });
  } catch {
    // No cache (read-only node_modules, say): every start migrates, as before.
  }
  return lite;
}
