// `medcard engine [--port N] [--host H] [--allow-host NAME] [--database-url URL] [--fixtures DIR] [--empty]`:
// serve the reference settlement engine (the platform interface and the control API over HTTP).
import { isIP } from 'node:net';
import { parseOptions, UsageError } from './args';
import { say } from './lang';

const isLoopback = (host: string) => host === 'localhost' || (isIP(host) === 4 ? host.startsWith('127.') : host === '::1');

const HELP = `usage: medcard engine [options]

Serve the reference settlement engine: the platform interface at
POST /fsi/api/rsfComIfsService/callService (every institution signs with its key), and the
harness's control API at POST /medcard/control/<op> (the run's token; engine/README.md), and
beside it the local e-voucher component at POST /localcfc/api/hsecfc/localQrCodeQuery.

options:
  --port N             port (default 8080; 0 picks a free one and prints it)
  --host H             address to bind (default 127.0.0.1); any other than loopback lets other
                       machines send transactions, and a warning says so
  --allow-host NAME    a name accepted in Host besides the bound address (repeatable), e.g. the
                       name a proxy or a container's clients use
  --database-url URL   PostgreSQL (default: $DATABASE_URL, else embedded PGlite in memory)
  --pglite-dir DIR     keep the PGlite database in DIR
  --fixtures DIR       reference data root (default <project>/fixtures)
  --empty              start with an empty world (policies only)
  --wait-for-database S
                       wait up to S seconds for a PostgreSQL that is not up yet (default 0:
                       fail at once); for an engine started beside its database
  --signatures on|off  check institutions' signatures and inf_time (default on); off only
                       to debug a vendor's first connection: every answer then says so
  --freshness S        how far inf_time may lie from the business clock (default 300 s)
  --control-on-all-addresses
                       serve the control API on a non-loopback --host too (a container
                       reached through a mapped port); otherwise it is on loopback only
  --log                log errors and refused HTTP requests to stderr
  -h, --help           this help

environment:
  MEDCARD_CONTROL_TOKEN  the control API's token (default: a new random one, printed)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {
    port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'allow-host': { type: 'string', multiple: true },
    'database-url': { type: 'string' }, 'pglite-dir': { type: 'string' }, fixtures: { type: 'string' },
    empty: { type: 'boolean', default: false }, log: { type: 'boolean', default: false }, 'wait-for-database': { type: 'string', default: '0' },
    signatures: { type: 'string', default: 'on' }, freshness: { type: 'string', default: '300' }, 'control-on-all-addresses': { type: 'boolean', default: false },
  }, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError({ zh: `--port 应为 0–65535，而不是 ${v.port}`, en: `--port must be 0–65535, got ${v.port}` });
  const wait = Number(v['wait-for-database']);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError({ zh: `--wait-for-database 应为秒数，而不是 ${v['wait-for-database']}`, en: `--wait-for-database wants seconds, got ${v['wait-for-database']}` });
  if (v.signatures !== 'on' && v.signatures !== 'off') throw new UsageError({ zh: `--signatures 只能是 on 或 off，而不是 ${v.signatures}`, en: `--signatures is on or off, got ${v.signatures}` });
  const freshness = Number(v.freshness);
  if (!Number.isInteger(freshness) || freshness < 1) throw new UsageError({ zh: `--freshness 应为整秒数（至少 1），而不是 ${v.freshness}`, en: `--freshness wants whole seconds (at least 1), got ${v.freshness}` });
  const { createEngine } = require('../engine') as typeof import('../engine');
  const { EC_QUERY_PATH } = require('../platform') as typeof import('../platform');
  const databaseUrl = (v['database-url'] as string | undefined) ?? process.env.DATABASE_URL ?? undefined;
  const engine = await createEngine({
    databaseUrl: databaseUrl || undefined, pgliteDir: v['pglite-dir'] as string | undefined, fixturesDir: v.fixtures as string | undefined,
    world: v.empty ? 'empty' : 'fixtures', log: !!v.log, waitForDatabaseMs: wait * 1000,
    controlToken: process.env.MEDCARD_CONTROL_TOKEN || undefined, signatures: v.signatures, freshnessSeconds: freshness,
    allowedHosts: v['allow-host'] as string[] | undefined, controlOnAllAddresses: !!v['control-on-all-addresses'],
  });
  const { url } = await engine.listen(port, v.host as string);
  console.log(`medcard engine (${engine.backend}) listening on ${url}/fsi/api/rsfComIfsService/callService`);
  if (isLoopback(v.host as string) || v['control-on-all-addresses']) {
    console.log(`control API: POST ${url}/medcard/control/<op>, Authorization: Bearer ${engine.controlToken}  (for medcard run: MEDCARD_CONTROL_TOKEN=${engine.controlToken})`);
    console.log(`e-voucher component (ec.query): POST ${url}${EC_QUERY_PATH}`);
  } else {
    console.log(`control API and e-voucher component: not served on ${v.host} (loopback only; --control-on-all-addresses serves them there)`);
  }
  if (v.signatures === 'off') {
    console.error(`medcard engine: ${say(parsed.lang, {
      zh: '签名校验已关闭：任何一方都能冒充任何机构；每个应答的 warn_msg 都会说明。只用于调试第一次连接。',
      en: 'signatures are OFF: any party can act as any institution; every answer says so in warn_msg. For debugging a first connection only.',
    })}`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await engine.close();
  return 0;
}
