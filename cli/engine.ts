// `medcard engine [--port N] [--host H] [--allow-host NAME] [--database-url URL] [--fixtures DIR] [--empty]`:
// serve the reference settlement engine (platform API over HTTP).
import { parseOptions } from './args';

const HELP = `usage: medcard engine [options]

Serve the reference settlement engine: POST /fsi/api/rsfComIfsService/callService.

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
  --log                log errors and refused HTTP requests to stderr
  -h, --help           this help`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, {
    port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'allow-host': { type: 'string', multiple: true },
    'database-url': { type: 'string' }, 'pglite-dir': { type: 'string' }, fixtures: { type: 'string' },
    empty: { type: 'boolean', default: false }, log: { type: 'boolean', default: false }, 'wait-for-database': { type: 'string', default: '0' },
  }, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`medcard engine: --port must be 0–65535, got ${v.port}`);
    return 2;
  }
  const wait = Number(v['wait-for-database']);
  if (!Number.isFinite(wait) || wait < 0) {
    console.error(`medcard engine: --wait-for-database wants seconds, got ${v['wait-for-database']}`);
    return 2;
  }
  const { createEngine } = require('../engine') as typeof import('../engine');
  const databaseUrl = (v['database-url'] as string | undefined) ?? process.env.DATABASE_URL ?? undefined;
  const engine = await createEngine({
    databaseUrl: databaseUrl || undefined, pgliteDir: v['pglite-dir'] as string | undefined, fixturesDir: v.fixtures as string | undefined,
    world: v.empty ? 'empty' : 'fixtures', log: !!v.log, waitForDatabaseMs: wait * 1000, allowedHosts: v['allow-host'] as string[] | undefined,
  });
  const { url } = await engine.listen(port, v.host as string);
  console.log(`medcard engine (${engine.backend}) listening on ${url}/fsi/api/rsfComIfsService/callService`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await engine.close();
  return 0;
}
