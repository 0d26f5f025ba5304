// Readers are shared by every process on the machine: a run holds the readers its rig uses
// (the terminal side), and a card in a vpcd slot holds that slot (the card side), so a second
// run waits for the first, and a stray card process is named instead of timing out. A
// reservation is a file in <tmp>/medcard-readers/ with its holder's pid and process start
// time: released on exit, and a holder that died (SIGKILL, crash, a signal Node does not turn
// into 'exit') is seen as gone, so nothing needs cleaning up by hand.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Holder { pid: number; start: string; command: string; since: string }

export class ReservedError extends Error {
  override name = 'ReservedError';
  constructor(readonly what: string, readonly holder: Holder) {
    super(`${what} is held by ${describeHolder(holder)}: wait for it to finish, or stop it (kill ${holder.pid})`);
  }
}

const DIR = path.join(os.tmpdir(), 'medcard-readers');
const owned = new Set<string>();
let exitHook = false;

export function describeHolder(h: Holder): string {
  return `pid ${h.pid} (${h.command.length > 100 ? `${h.command.slice(0, 100)}…` : h.command}, since ${h.since})`;
}

const fileOf = (key: string) => path.join(DIR, `${key.replace(/[^A-Za-z0-9_.-]+/g, '_')}.lock`);

/** A process's start time (Linux /proc): with the pid, who it is, so a reused pid is not taken for the holder. */
function startOf(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = startOf(h.pid);
  return !h.start || !start || start === h.start;
}

function me(): Holder {
  const command = fs.existsSync(`/proc/${process.pid}/cmdline`) ? fs.readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') : process.argv.join(' ');
  return { pid: process.pid, start: startOf(process.pid), command, since: new Date().toISOString() };
}

/** Take `key` now, or say who holds it. Re-entrant within a process. */
export function tryReserve(key: string): Holder | null {
  const file = fileOf(key);
  if (!fs.existsSync(DIR)) {
    fs.mkdirSync(DIR, { recursive: true });
    try { fs.chmodSync(DIR, 0o1777); } catch { /* made by another user: theirs to open */ }
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me()), { flag: 'wx', mode: 0o644 });
      owned.add(file);
      if (!exitHook) { exitHook = true; process.on('exit', releaseAll); }
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: Holder;
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    } catch {
      continue; // being written or just removed: look again
    }
    if (holder.pid === process.pid) return null;
    if (alive(holder)) return holder;
    fs.rmSync(file, { force: true }); // its holder is gone
  }
  throw new Error(`could not take the reservation ${file}: it keeps changing hands`);
}

/**
 * Take `key`, waiting while a live process holds it: `onWait` hears who, once; past
 * `waitMs` a ReservedError names the holder.
 */
export async function reserve(key: string, what: string, o: { waitMs: number; onWait?: (h: Holder) => void }): Promise<void> {
  const deadline = Date.now() + o.waitMs;
  let told = false;
  for (;;) {
    const holder = tryReserve(key);
    if (!holder) return;
    if (Date.now() >= deadline) throw new ReservedError(what, holder);
    if (!told) { told = true; o.onWait?.(holder); }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function release(key: string): void {
  const file = fileOf(key);
  if (!owned.delete(file)) return;
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    if (h.pid === process.pid) fs.rmSync(file, { force: true });
  } catch { /* already gone */ }
}

function releaseAll(): void {
  for (const file of owned) {
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as Holder).pid === process.pid) fs.rmSync(file, { force: true });
    } catch { /* already gone */ }
  }
  owned.clear();
}

/** The key of a PC/SC reader's terminal side, and of a vpcd slot's card side. */
export const readerKey = (reader: string) => `reader-${reader}`;
export const vpcdSlotKey = (port: number) => `vpcd-card-${port}`;
