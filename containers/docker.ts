// The container engine seen from the harness: is one reachable, and the labels that mark
// everything we start, so that leftovers (a hard kill: the reaper is disabled here) are swept.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';

/** Every container, network and volume the harness starts carries these labels. */
export const LABEL_HARNESS = 'org.medcard.harness';
export const LABEL_PID = 'org.medcard.pid';
export const LABEL_RUN = 'org.medcard.run';
export const LABEL_NETWORK = 'org.medcard.network';

export function harnessLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_HARNESS]: '1', [LABEL_PID]: String(process.pid), [LABEL_RUN]: runId, ...extra };
}

/** A new run's id (LABEL_RUN): what it starts is found and removed by it. */
export function newRunId(): string { return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`; }

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

/** One call to the Docker Engine API (a few ms; the docker CLI costs a process start each). */
export function dockerApi<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T> {
  const ep = dockerEndpoint();
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: ep.socketPath, host: ep.host, port: ep.port, method, path: apiPath,
      headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 500) >= 400) {
          let msg = text.trim();
          try { msg = (JSON.parse(text) as { message?: string }).message ?? msg; } catch { /* not JSON */ }
          reject(Object.assign(new Error(`docker ${method} ${apiPath}: ${msg}`), { status: res.statusCode }));
        } else resolve((text ? JSON.parse(text) : undefined) as T);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const byLabel = (label: string) => `filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`;

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

type Labelled = { Labels?: Record<string, string> | null };

/**
 * Remove what earlier harness processes left (their pid is gone: a hard kill, a crash).
 * Containers of live processes (another run, a parallel test) are left alone.
 */
export function sweepLeftovers(): Promise<string[]> {
  return removeLabelled(LABEL_HARNESS, (o) => !alive(Number(o.Labels?.[LABEL_PID])));
}

/** Everything of one run, over the API (removeNow is the synchronous fallback). */
export function removeRun(run: string): Promise<string[]> {
  return removeLabelled(`${LABEL_RUN}=${run}`, () => true);
}

async function removeLabelled(label: string, which: (o: Labelled) => boolean): Promise<string[]> {
  const [containers, networks, volumes] = await Promise.all([
    dockerApi<Array<Labelled & { Id: string }>>('GET', `/containers/json?all=1&${byLabel(label)}`),
    dockerApi<Array<Labelled & { Name: string }>>('GET', `/networks?${byLabel(label)}`),
    dockerApi<{ Volumes: Array<Labelled & { Name: string }> | null }>('GET', `/volumes?${byLabel(label)}`),
  ]);
  const gone = (p: Promise<unknown>) => p.catch((e: { status?: number }) => { if (e.status !== 404) throw e; });
  const c = containers.filter(which).map((x) => x.Id.slice(0, 12));
  await Promise.all(c.map((id) => gone(dockerApi('DELETE', `/containers/${id}?force=1&v=1`))));
  // Networks and volumes once their containers are gone.
  const n = networks.filter(which).map((x) => x.Name);
  const v = (volumes.Volumes ?? []).filter(which).map((x) => x.Name);
  await Promise.all([
    ...n.map((name) => gone(dockerApi('DELETE', `/networks/${encodeURIComponent(name)}`))),
    ...v.map((name) => gone(dockerApi('DELETE', `/volumes/${encodeURIComponent(name)}?force=1`))),
  ]);
  return [...c.map((x) => `container ${x}`), ...n.map((x) => `network ${x}`), ...v.map((x) => `volume ${x}`)];
}

/** Synchronous removal of everything of one run (for process 'exit', where nothing async runs any more). */
export function removeNow(run: string): void {
  const f = `--filter label=${LABEL_RUN}=${run}`;
  spawnSync('sh', ['-c', `docker ps -aq ${f} | xargs -r docker rm -f -v; docker network ls -q ${f} | xargs -r docker network rm; docker volume ls -q ${f} | xargs -r docker volume rm -f`],
    { stdio: 'ignore', timeout: 60_000 });
}

export async function createNetwork(name: string, labels: Record<string, string>): Promise<void> {
  await dockerApi('POST', '/networks/create', { Name: name, Labels: labels, CheckDuplicate: true });
}

/** Where the containers' published ports are reached: the docker host's address, or loopback. */
export function containerHost(): string { return dockerEndpoint().host ?? '127.0.0.1'; }

/** A container of ours on the run's network, with one port published (on loopback for a local docker). */
export interface ContainerSpec {
  image: string;
  labels: Record<string, string>;
  network: string;
  aliases: string[];
  /** The port inside; the host's is picked by docker (hostPort after start). */
  port: number;
  env?: Record<string, string>;
}

/** Create (not start) a container; its id. */
export async function createContainer(s: ContainerSpec): Promise<string> {
  const key = `${s.port}/tcp`;
  const c = await dockerApi<{ Id: string }>('POST', '/containers/create', {
    Image: s.image, Labels: s.labels,
    Env: Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: { [key]: {} },
    // On this machine's docker, published on loopback only; a remote one (DOCKER_HOST=tcp://…) must publish where we can reach it.
    HostConfig: { NetworkMode: s.network, PortBindings: { [key]: [{ HostIp: dockerEndpoint().host ? '' : '127.0.0.1', HostPort: '' }] } },
    NetworkingConfig: { EndpointsConfig: { [s.network]: { Aliases: s.aliases } } },
  });
  return c.Id;
}

/** Start a created container; the host port docker published `port` on. */
export async function startContainer(id: string, port: number): Promise<number> {
  await dockerApi('POST', `/containers/${id}/start`);
  const info = await dockerApi<{ NetworkSettings: { Ports: Record<string, Array<{ HostPort: string }> | null> } }>('GET', `/containers/${id}/json`);
  const hostPort = Number(info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort);
  if (!hostPort) throw new Error(`docker published no host port for ${port}/tcp of container ${id.slice(0, 12)}`);
  return hostPort;
}

/** Resolves with the exit code once the container stops (or is removed: undefined). */
export function containerExit(id: string): Promise<number | undefined> {
  return dockerApi<{ StatusCode: number }>('POST', `/containers/${id}/wait`).then((r) => r.StatusCode, () => undefined);
}

/** The container's output, stdout and stderr (docker's multiplexed stream, unpacked); `follow`: as it comes, until stop(). */
export function containerLogs(id: string, onText: (text: string) => void, o: { follow?: boolean; tail?: number } = {}): { done: Promise<void>; stop: () => void } {
  const ep = dockerEndpoint();
  let stop: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const req = http.get({ socketPath: ep.socketPath, host: ep.host, port: ep.port,
      path: `/containers/${id}/logs?stdout=1&stderr=1&follow=${o.follow ? 1 : 0}${o.tail ? `&tail=${o.tail}` : ''}` }, (res) => {
      let pending = Buffer.alloc(0);
      res.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        // Each frame: stream (1), 0 0 0, length (4, big-endian), then the bytes.
        while (pending.length >= 8 && pending.length >= 8 + pending.readUInt32BE(4)) {
          onText(pending.subarray(8, 8 + pending.readUInt32BE(4)).toString());
          pending = pending.subarray(8 + pending.readUInt32BE(4));
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
    stop = () => { req.destroy(); resolve(); };
  });
  return { done, stop };
}

/** Remove a container now (killed if running), with its anonymous volumes. */
export async function removeContainer(id: string): Promise<void> {
  await dockerApi('DELETE', `/containers/${id}?force=1&v=1`).catch((e: { status?: number }) => { if (e.status !== 404) throw e; });
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
