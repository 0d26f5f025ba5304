// Running Debian's vicc (vsmartcard-vpicc) for the benchmarks' anchors: Debian's own
// /usr/bin/python3 (the first python3 on PATH lacks Debian's modules), the virtualsmartcard
// package on PYTHONPATH, and a `Crypto` link to pycryptodome's `Cryptodome`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const VICC_PYTHON = '/usr/bin/python3';
const PACKAGE = '/usr/lib/python3/site-packages/virtualsmartcard';

export function withViccEnv<T>(fn: (env: NodeJS.ProcessEnv) => T): T {
  if (!fs.existsSync(VICC_PYTHON) || !fs.existsSync(PACKAGE)) {
    throw new Error('vicc is not installed: apt-get install -y vsmartcard-vpicc python3-pycryptodome');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vicc-crypto-'));
  fs.symlinkSync('/usr/lib/python3/dist-packages/Cryptodome', path.join(dir, 'Crypto'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const env = { ...process.env, PYTHONPATH: `${PACKAGE}:${dir}` };
  let result: T;
  try {
    result = fn(env);
  } catch (err) {
    cleanup();
    throw err;
  }
  if (result instanceof Promise) return result.finally(cleanup) as T;
  cleanup();
  return result;
}
