// Shared by the container tests: Docker must be there (they fail, saying what to install, when
// it is not), and `medcard` runs as a child whose containers we can find by its pid label.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ensureImages, LABEL_PID, pingDocker } from '../../containers';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MEDCARD = path.join(ROOT, 'bin', 'medcard.js');

/** Docker answering and our images built; otherwise the test fails with what to do. */
export async function needDocker(): Promise<void> {
  try {
    await pingDocker();
  } catch (err) {
    throw new Error(`these tests need a Docker Engine: as root, apt-get install -y docker.io debootstrap && dockerd & (scripts/setup-machine.sh does both).\n${(err as Error).message}`);
  }
  await ensureImages();
}

export function containersOf(pid: number, all = true): string[] {
  const r = spawnSync('docker', ['ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=${LABEL_PID}=${pid}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}
export function volumesOf(pid: number): string[] {
  const r = spawnSync('docker', ['volume', 'ls', '-q', '--filter', `label=${LABEL_PID}=${pid}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}
export function networksOf(pid: number): string[] {
  const r = spawnSync('docker', ['network', 'ls', '-q', '--filter', `label=${LABEL_PID}=${pid}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

export interface Child { child: ChildProcess; output: () => string; exited: Promise<number | null> }

export function medcard(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [MEDCARD, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { child, output: () => out, exited };
}

export async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
