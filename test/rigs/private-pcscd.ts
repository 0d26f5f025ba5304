// A pcscd of the test's own, so a test can stop it, restart it without its reader (the reader
// "unplugged") and with it again, without touching the machine's shared pcscd. pcscd 1.9.9
// always puts its socket in /run/pcscd, so it runs in a mount namespace of its own where
// /run/pcscd is a folder of ours; the client library finds it through PCSCLITE_CSOCK_NAME.
// Its one reader is a vpcd driver on a port of the test's choosing: "Lab Reader 00 00" on
// `port`, "Lab Reader 00 01" on `port + 1`. Needs root and unshare(1).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

/** Why a private pcscd cannot run here (a reason to skip), or undefined when it can. */
export function privatePcscdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'a private pcscd needs root (a mount namespace for /run/pcscd): run the test as root';
  if (spawnSync('unshare', ['--version']).status !== 0) return 'unshare(1) is missing (Debian package util-linux)';
  if (spawnSync('pcscd', ['--version']).error) return 'pcscd is not installed (npm run setup)';
  if (!fs.existsSync(VPCD_DRIVER)) return `the vpcd driver ${VPCD_DRIVER} is missing (apt-get install vsmartcard-vpcd)`;
  // unshare -m can be refused inside some containers even as root.
  const probe = spawnSync('unshare', ['-m', 'true']);
  if (probe.status !== 0) return `unshare -m is refused here (${String(probe.stderr).trim() || `exit ${probe.status}`})`;
  return undefined;
}

export class PrivatePcscd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medcard-pcscd-'));
  /** The client library's socket for this pcscd: set PCSCLITE_CSOCK_NAME to it. */
  readonly socket = path.join(this.dir, 'run', 'pcscd.comm');
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private log = '';

  /** @param port the vpcd port of "Lab Reader 00 00" (00 01 is port + 1); 35984 and up keep clear of the shared readers. */
  constructor(readonly port: number, readonly readerName = 'Lab Reader') {
    fs.mkdirSync(path.join(this.dir, 'run'));
  }

  get pid(): number | undefined { return this.child?.pid; }
  output(): string { return this.log; }

  /** Start pcscd, with its reader (`withReader`) or with an empty reader list (the reader unplugged); resolves once its socket is there. */
  async start(withReader = true): Promise<void> {
    if (this.child) throw new Error('private pcscd already running: stop it first');
    const conf = path.join(this.dir, withReader ? 'conf' : 'conf-empty');
    fs.mkdirSync(conf, { recursive: true });
    if (withReader) {
      const id = `0x${this.port.toString(16).toUpperCase()}`;
      fs.writeFileSync(path.join(conf, 'vpcd'), `FRIENDLYNAME "${this.readerName}"\nDEVICENAME /dev/null:${id}\nLIBPATH ${VPCD_DRIVER}\nCHANNELID ${id}\n`);
    }
    fs.rmSync(this.socket, { force: true });
    fs.rmSync(path.join(this.dir, 'run', 'pcscd.pid'), { force: true });
    // unshare execs sh, which execs pcscd: the child's pid is pcscd's, so it is killed by it.
    const child = spawn('unshare', ['-m', 'sh', '-c', `mount --bind "${path.join(this.dir, 'run')}" /run/pcscd && exec pcscd -f -c "${conf}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => { this.log += d; });
    child.stderr!.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => child.on('exit', () => { this.child = undefined; resolve(); }));
    // Generous: a busy 2-core machine can be slow to start a process.
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(this.socket)) {
      if (!this.child) throw new Error(`private pcscd exited at start:\n${this.log}`);
      if (Date.now() > deadline) { await this.stop(); throw new Error(`private pcscd made no socket within 20 s:\n${this.log}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stop pcscd by its pid (SIGTERM; SIGKILL after 10 s), or kill it outright (`SIGKILL`: pcscd gone without a word). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stop it and remove its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
