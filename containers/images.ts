// The images the container rigs need, built on this machine from Debian's packages and this
// project alone (no registry is reachable): medcard/base (debootstrap), medcard/postgres
// (Debian's PostgreSQL) and medcard/engine (the project with the host's Node: the engine,
// and `medcard emulate` for the remote-card rig). Each image carries a label with the hash
// of its inputs (and its parent's); a build whose hash matches the image present is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerApi } from './docker';
import type { ImageListing } from './types';

export const ROOT = path.resolve(__dirname, '..');
const IMAGES_DIR = path.join(__dirname, 'images');
/** Bump when the way images are built changes in a way the inputs below do not show. */
const RECIPE = '1';
export const INPUTS_LABEL = 'org.medcard.inputs';

export const BASE_IMAGE = 'medcard/base';
export const POSTGRES_IMAGE = 'medcard/postgres';
export const ENGINE_IMAGE = 'medcard/engine';
export const IMAGE_NAMES = [BASE_IMAGE, POSTGRES_IMAGE, ENGINE_IMAGE] as const;

const SUITE = 'bookworm';
const MIRROR = process.env.MEDCARD_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
/** What the engine image takes from the project (besides node_modules, copied separately). */
const APP_PATHS = ['bin', 'cli', 'spec', 'platform', 'schema', 'containers', 'engine', 'emulator', 'rigs', 'terminal', 'steps', 'fixtures', 'native', 'package.json', 'tsconfig.json'];

export type Log = (line: string) => void;

export interface BuildResult { name: string; hash: string; cached: boolean; seconds: number }

/** Where debootstrap works (outside the repository). */
export function cacheDir(): string {
  const dir = process.env.MEDCARD_CACHE_DIR
    || (process.getuid?.() === 0 ? '/var/cache/medcard' : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'medcard'));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function sha(): ReturnType<typeof createHash> { return createHash('sha256'); }

/** Adds the files under root/rel to `h`: names, modes, sizes and contents, in a stable order (also `medcard run`'s remembered checks). */
export function hashTree(h: ReturnType<typeof createHash>, root: string, rel: string): void {
  const full = path.join(root, rel);
  const st = fs.lstatSync(full, { throwIfNoEntry: false });
  if (!st) return;
  // A native addon's build folder holds generated files with absolute paths: only the built
  // module itself is an input of the image.
  if (st.isFile() && /(^|\/)build\//.test(rel) && rel.startsWith('native') && !rel.endsWith('.node')) return;
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(full).sort()) hashTree(h, root, path.join(rel, e));
  } else if (st.isSymbolicLink()) {
    h.update(`L ${rel} ${fs.readlinkSync(full)}\n`);
  } else if (st.isFile()) {
    h.update(`F ${rel} ${st.mode & 0o111 ? 'x' : '-'} ${st.size}\n`);
    h.update(fs.readFileSync(full));
  }
}

export function baseHash(): string {
  return sha().update(`recipe ${RECIPE}\ndebootstrap --variant=minbase ${SUITE} ${MIRROR}\n`).digest('hex').slice(0, 16);
}

export function postgresHash(): string {
  const h = sha().update(`recipe ${RECIPE}\nparent ${baseHash()}\n`);
  hashTree(h, IMAGES_DIR, 'postgres');
  return h.digest('hex').slice(0, 16);
}

export function engineHash(): string {
  const h = sha().update(`recipe ${RECIPE}\nparent ${baseHash()}\n`);
  hashTree(h, IMAGES_DIR, 'engine');
  const node = fs.statSync(process.execPath);
  h.update(`node ${process.version} ${process.execPath} ${node.size} ${node.mtimeMs}\n`);
  // node_modules: npm's own record of what is installed, plus the native addons' builds.
  for (const f of ['package-lock.json', 'node_modules/.package-lock.json']) hashTree(h, ROOT, f);
  for (const p of APP_PATHS) hashTree(h, ROOT, p);
  return h.digest('hex').slice(0, 16);
}

/** The inputs label of an image present in the engine, or undefined. */
export async function presentHash(name: string): Promise<string | undefined> {
  const image = await dockerApi<{ Config?: { Labels?: Record<string, string> | null } }>('GET', `/images/${name}/json`)
    .catch((e: { status?: number }) => { if (e.status === 404) return undefined; throw e; });
  return image?.Config?.Labels?.[INPUTS_LABEL] || undefined;
}

/**
 * Our images present (those carrying the inputs label), through the Engine API: the CLI's
 * `docker images --format` has no `.Labels` on Docker 20.10 (a template parsing error).
 */
export async function listImages(): Promise<ImageListing[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [INPUTS_LABEL] }));
  const images = await dockerApi<{ Id: string; RepoTags: string[] | null; Size: number; Created: number; Labels: Record<string, string> | null }[]>('GET', `/images/json?filters=${filters}`);
  return images.flatMap((i) => (i.RepoTags?.length ? i.RepoTags : ['<none>:<none>']).map((name) => ({
    name, id: i.Id.replace(/^sha256:/, '').slice(0, 12), sizeBytes: i.Size, created: new Date(i.Created * 1000), inputs: i.Labels?.[INPUTS_LABEL] ?? '',
  }))).sort((a, b) => a.name.localeCompare(b.name));
}

/** Run a command, passing each line of its output to `log`; reject with the tail of the output on failure. */
function runLogged(cmd: string, args: string[], log: Log, opts: { cwd?: string; shell?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, shell: opts.shell ?? false, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (buf: Buffer) => {
      for (const line of buf.toString().split(/\r?\n/)) {
        if (!line.trim() || /legacy builder is deprecated|Install the buildx|docs\.docker\.com\/go\/buildx|^\s*$/.test(line)) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        log(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`${opts.shell ? args[0] ?? cmd : `${cmd} ${args.join(' ')}`} failed (exit ${code}):\n${tail.join('\n')}`)));
  });
}

function shq(s: string): string { return `'${s.replace(/'/g, `'\\''`)}'`; }

async function buildBase(hash: string, log: Log): Promise<void> {
  const which = spawnSync('sh', ['-c', 'command -v debootstrap'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error('debootstrap is not installed: apt-get install -y debootstrap (or run scripts/setup-machine.sh as root)');
  if (process.getuid?.() !== 0) throw new Error('building medcard/base runs debootstrap, which needs root: run `sudo npx medcard images build` once');
  const dir = path.join(cacheDir(), `rootfs-${hash}`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    log(`debootstrap --variant=minbase ${SUITE} ${dir} ${MIRROR}`);
    await runLogged('debootstrap', ['--variant=minbase', SUITE, dir, MIRROR], log);
    // Keep the image lean: apt lists and caches are fetched again by Dockerfiles that need them.
    for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
      for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) if (e.isFile() && e.name !== 'lock') fs.rmSync(path.join(dir, sub, e.name));
    }
    log(`docker import ${BASE_IMAGE}`);
    const changes = [`LABEL ${INPUTS_LABEL}=${hash}`, 'ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]'].map((c) => `--change ${shq(c)}`).join(' ');
    await runLogged('sh', ['-c', `tar -C ${shq(dir)} -c . | docker import ${changes} - ${BASE_IMAGE}`], log);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function buildPostgres(hash: string, log: Log): Promise<void> {
  await runLogged('docker', ['build', '--label', `${INPUTS_LABEL}=${hash}`, '-t', POSTGRES_IMAGE, path.join(IMAGES_DIR, 'postgres')], log);
}

async function buildEngine(hash: string, log: Log): Promise<void> {
  // The context is streamed as a tar: Dockerfile, the host's node, deps/node_modules, app/<project files>.
  const present = APP_PATHS.filter((p) => fs.existsSync(path.join(ROOT, p)));
  const appRe = present.map((p) => p.replace(/\./g, '\\.')).join('\\|');
  const tar = [
    'tar -c',
    `--exclude=node_modules/.cache --exclude='*.log'`,
    `--transform=${shq('s,^node_modules,deps/node_modules,')}`,
    `--transform=${shq(`s,^\\(${appRe}\\)\\(/\\|$\\),app/\\1\\2,`)}`,
    `-C ${shq(path.join(IMAGES_DIR, 'engine'))} Dockerfile`,
    `-C ${shq(path.dirname(process.execPath))} ${shq(path.basename(process.execPath))}`,
    `-C ${shq(ROOT)} node_modules ${present.map(shq).join(' ')}`,
  ].join(' ');
  const nodeName = path.basename(process.execPath);
  const rename = nodeName === 'node' ? '' : ` --transform=${shq(`s,^${nodeName}$,node,`)}`;
  await runLogged('sh', ['-c', `${tar}${rename} | docker build --label ${INPUTS_LABEL}=${hash} -t ${ENGINE_IMAGE} -`], log);
}

/** Fails with a plain message when no Docker Engine answers. */
export function assertDocker(): void {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 15000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('the docker command is not installed: apt-get install -y docker.io (scripts/setup-machine.sh does it as root)');
  }
  if (r.status !== 0) {
    throw new Error(`no Docker Engine answers${process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : ''}: start one (as root: dockerd &, or run scripts/setup-machine.sh). ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
}

export interface BuildOptions { log?: Log; force?: boolean; only?: string[] }

/** Build what is missing or out of date, in order, one builder at a time; returns one result per image. */
export async function buildImages(o: BuildOptions = {}): Promise<BuildResult[]> {
  return withBuildLock(async () => {
    const results = await buildStale(o);
    // Older builds of ours, now untagged: remove them so they do not pile up (in use: docker refuses).
    spawnSync('sh', ['-c', `docker images -q --filter dangling=true --filter label=${INPUTS_LABEL} | xargs -r docker rmi >/dev/null 2>&1`]);
    return results;
  }, o.log ?? (() => undefined));
}

/** The build itself (the caller holds the build lock). */
async function buildStale(o: BuildOptions): Promise<BuildResult[]> {
  const log = o.log ?? (() => undefined);
  assertDocker();
  const plan: Array<{ name: string; hash: () => string; build: (h: string, log: Log) => Promise<void> }> = [
    { name: BASE_IMAGE, hash: baseHash, build: buildBase },
    { name: POSTGRES_IMAGE, hash: postgresHash, build: buildPostgres },
    { name: ENGINE_IMAGE, hash: engineHash, build: buildEngine },
  ];
  const results: BuildResult[] = [];
  for (const step of plan) {
    if (o.only && step.name !== BASE_IMAGE && !o.only.includes(step.name)) continue;
    const t0 = Date.now();
    const hash = step.hash();
    if (!o.force && await presentHash(step.name) === hash) {
      results.push({ name: step.name, hash, cached: true, seconds: (Date.now() - t0) / 1000 });
      continue;
    }
    await step.build(hash, (line) => log(`${step.name}: ${line}`));
    if (await presentHash(step.name) !== hash) throw new Error(`${step.name} was built but does not carry the inputs label ${hash}`);
    results.push({ name: step.name, hash, cached: false, seconds: (Date.now() - t0) / 1000 });
  }
  return results;
}

/** One builder at a time across processes (parallel workers, tests): a lock directory with the owner's pid. */
async function withBuildLock<T>(fn: () => Promise<T>, log: Log): Promise<T> {
  const lock = path.join(cacheDir(), 'build.lock');
  let said = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive = false;
      try { if (pid > 0) { process.kill(pid, 0); alive = true; } } catch { /* gone */ }
      if (!alive && pid > 0) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      if (!said) { log(`waiting for another build (pid ${pid || '?'}) to finish`); said = true; }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try { return await fn(); } finally { fs.rmSync(lock, { recursive: true, force: true }); }
}

async function stale(): Promise<boolean> {
  const present = await Promise.all(IMAGE_NAMES.map(presentHash));
  return present.some((h, i) => h !== [baseHash, postgresHash, engineHash][i]!());
}

/** Build whatever is stale, quietly unless it actually builds (tests and rigs call this). */
let ensured: Promise<void> | undefined;
export function ensureImages(log: Log = (l) => process.stderr.write(`  ${l}\n`)): Promise<void> {
  ensured ??= (async () => {
    if (!await stale()) return;
    await withBuildLock(async () => {
      if (!await stale()) return; // another process built them while we waited
      process.stderr.write('medcard: building container images (cached by their inputs; `npx medcard images build` does it ahead)…\n');
      await buildStale({ log }); // older builds stay: another process may be using them
    }, log);
  })();
  ensured.catch(() => { ensured = undefined; });
  return ensured;
}
