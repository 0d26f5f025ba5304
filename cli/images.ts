// `medcard images build [--force] [--quiet]`: build the container images the container rigs
// need (medcard/base, medcard/postgres, medcard/engine) from Debian's packages and this
// project; cached by a hash of their inputs. `medcard images list` shows what is present.
import { parseOptions, UsageError } from './args';

const HELP = `usage: medcard images build [--force] [--quiet]
       medcard images list

Builds, on this machine (no registry needed), the images of the container rigs:
  medcard/base      Debian bookworm (debootstrap --variant=minbase; root needed the first time)
  medcard/postgres  Debian's PostgreSQL, trust auth on the container's own network
  medcard/engine    this project with the host's Node: \`medcard engine\`, \`medcard emulate\`
Each image is labelled with a hash of its inputs; an image whose inputs did not change is
not rebuilt, so a second build takes seconds.

  --force   rebuild even when the inputs did not change
  --quiet   no build output, only the summary`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv, { force: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } }, HELP, 1);
  if (!parsed) return 0;
  const [sub] = parsed.positionals;
  const images = require('../containers') as typeof import('../containers');
  if (sub === 'list') {
    try {
      await images.pingDocker();
    } catch (err) {
      console.error(`medcard images: ${(err as Error).message}`);
      return 2;
    }
    const present = await images.listImages();
    if (!present.length) console.log('no medcard images here: `npx medcard images build` builds them');
    for (const i of present) {
      console.log([i.name.padEnd(24), i.id, `${(i.sizeBytes / 1e6).toFixed(0).padStart(5)} MB`, i.created.toISOString().slice(0, 16).replace('T', ' '), `inputs ${i.inputs}`].join('  '));
    }
    return 0;
  }
  if (sub !== 'build') throw new UsageError({ zh: '请说明要做什么：build 或 list', en: 'say what to do: build or list' }, HELP);
  const t0 = Date.now();
  try {
    const tty = process.stdout.isTTY;
    const results = await images.buildImages({
      force: !!parsed.values.force,
      log: parsed.values.quiet ? undefined : (line) => {
        const shown = tty && line.length > process.stdout.columns ? `${line.slice(0, process.stdout.columns - 1)}…` : line;
        console.log(shown);
      },
    });
    for (const r of results) console.log(`${r.name.padEnd(18)} ${r.cached ? 'up to date' : 'built     '}  ${r.hash}  ${r.seconds.toFixed(1)} s`);
    console.log(`medcard images: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error(`medcard images: ${(err as Error).message}`);
    return 1;
  }
}
