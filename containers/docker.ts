// The container engine seen from the harness: is one reachable, and the labels that mark
// everything we start, so that leftovers (a hard kill: the reaper is disabled here) are swept.
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';

/** Every container, network and volume the harness starts carries these labels. */
export const LABEL_HARNESS = 'org.medcard.harness';
export const LABEL_PID = 'org.medcard.pid';
export const LABEL_RUN = 'org.medcard.run';
export const LABEL_NETWORK = 'org.medcard.network';
export const LABEL_VOLUME = 'org.medcard.volume';

export function harnessLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_HARNESS]: '1', [LABEL_PID]: String(process.pid), [LABEL_RUN]: runId, ...extra };
}

export class ContainerRuntimeError extends Error {
  constructor(detail: string) {
    super(`no container engine can be reached (${detail}), so the container rig cannot start its engine, ledger or cards.\n`
      + '  Start one: as root, `dockerd &` (Debian: apt-get install -y docker.io), or run scripts/setup-machine.sh;\n'
      + '  or unset DOCKER_HOST if it points at an engine that is gone.\n'
      + '  Or choose an engine that needs no containers:\n'
      + '    --rig emulated              the embedded engine (PGlite; PostgreSQL with DATABASE_URL=postgres://…)\n'
      + '    a rig file with engine: { kind: postgres, url: postgres://… }   the embedded engine on your PostgreSQL\n'
      + '    --engine-url http://host:port   an engine already running (ours via `npx medcard engine`, or a vendor\'s)');
    this.name = 'ContainerRuntimeError';
  }
}

/** Where the Docker API is: DOCKER_HOST (unix:// or tcp://) or the default socket. */
export function dockerEndpoint(): { socketPath?: string; host?: string; port?: number; shown: string } {
  const h = process.env.DOCKER_HOST;
  if (!h) return { socketPath: '/var/run/docker.sock', shown: 'unix:///var/run/docker.sock' };
  if (h.startsWith('unix://')) return { socketPath: h.slice('unix://'.length), shown: h };
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?/.exec(h);
  if (m) return { host: m[1], port: Number(m[2] ?? 2375), shown: h };
  return { socketPath: h, shown: h };
}

/** GET /_ping on the engine DOCKER_HOST names (testcontainers would quietly fall back to another socket). */
export function pingDocker(timeoutMs = 5000): Promise<void> {
  const ep = dockerEndpoint();
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: ep.socketPath, host: ep.host, port: ep.port, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new ContainerRuntimeError(`${ep.shown} answered HTTP ${res.statusCode} to /_ping`));
    });
    req.on('timeout', () => { req.destroy(); reject(new ContainerRuntimeError(`${ep.shown} did not answer within ${timeoutMs / 1000} s`)); });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'no socket there' : e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EACCES' ? 'permission denied (add yourself to the docker group)' : e.message;
      reject(new ContainerRuntimeError(`${ep.shown}: ${why}`));
    });
  });
}

function docker(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() };
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Containers, networks and volumes of ours, for `docker ps -a`-style checks (tests). */
export function listOurs(filter: { run?: string } = {}): { containers: string[]; networks: string[]; volumes: string[] } {
  const f = ['--filter', `label=${filter.run ? `${LABEL_RUN}=${filter.run}` : LABEL_HARNESS}`];
  const lines = (r: { out: string }) => r.out.split('\n').filter(Boolean);
  return {
    containers: lines(docker(['ps', '-aq', ...f])),
    networks: lines(docker(['network', 'ls', '-q', ...f])),
    volumes: lines(docker(['volume', 'ls', '-q', ...f])),
  };
}

/**
 * Remove what earlier harness processes left (their pid is gone: a hard kill, a crash).
 * Containers of live processes (another run, a parallel test) are left alone. `all` sweeps
 * everything of ours regardless.
 */
export function sweepLeftovers(o: { all?: boolean; run?: string } = {}): string[] {
  const swept: string[] = [];
  const label = o.run ? `${LABEL_RUN}=${o.run}` : LABEL_HARNESS;
  const owned = (kind: 'container' | 'network' | 'volume') => {
    const ls = kind === 'container' ? ['ps', '-a'] : [kind, 'ls'];
    const r = docker([...ls, '--filter', `label=${label}`, '--format', `{{.${kind === 'container' ? 'ID' : 'Name'}}}\t{{.Label "${LABEL_PID}"}}`]);
    return r.out.split('\n').filter(Boolean).map((l) => l.split('\t')).filter(([, pid]) => o.all || o.run || !alive(Number(pid))).map(([id]) => id!);
  };
  const containers = owned('container');
  if (containers.length) { docker(['rm', '-f', '-v', ...containers]); swept.push(...containers.map((c) => `container ${c}`)); }
  const networks = owned('network');
  if (networks.length) { docker(['network', 'rm', ...networks]); swept.push(...networks.map((n) => `network ${n}`)); }
  const volumes = owned('volume');
  if (volumes.length) { docker(['volume', 'rm', '-f', ...volumes]); swept.push(...volumes.map((v) => `volume ${v}`)); }
  return swept;
}

/** Synchronous removal (for process 'exit', where nothing async runs any more). */
export function removeNow(run: string): void {
  sweepLeftovers({ run });
}

export function createNetwork(name: string, labels: Record<string, string>): void {
  const r = spawnSync('docker', ['network', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker network create ${name} failed: ${r.stderr.trim()}`);
}

export function createVolume(name: string, labels: Record<string, string>): void {
  const r = spawnSync('docker', ['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker volume create ${name} failed: ${r.stderr.trim()}`);
}

/** The gateway of a network (the host, seen from its containers). */
export function networkGateway(name: string): string {
  const r = docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}} {{.Subnet}}{{end}}', name]);
  const [gw, subnet] = r.out.split(' ');
  if (gw) return gw;
  // The default bridge often lists only its subnet: the gateway is its first address.
  const m = /^(\d+\.\d+\.\d+)\.\d+\//.exec(subnet ?? '');
  if (!r.ok || !m) throw new Error(`cannot read the gateway of docker network ${name}`);
  return `${m[1]}.1`;
}
