// Cards served from containers (the remote-card rig): one container per inserted card, all
// of this process's under one run, removed together. Started with testcontainers (11.x; its
// reaper is disabled: it cannot be pulled here, and we clean up by label).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { registerCleanup } from './cleanup';
import { harnessLabels, newRunId, pingDocker, removeNow } from './docker';
import { ENGINE_IMAGE } from './images';
import { prepare } from './prepare';
import type { CardContainer, CardContainerOptions } from './types';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
/** Loaded on first use: a quarter of a second, which a run without card containers never pays. */
const tc = () => require('testcontainers') as typeof import('testcontainers');

let cardRun: string | undefined;

/**
 * Serve one card profile (JSON, as the steps built it) in a container, with the emulator and
 * vpcd client `medcard emulate` uses (rigs/serve-card.ts), connecting to the host's
 * pcscd through vpcd (it listens on all addresses; the host is the bridge gateway).
 * Resolves once the card says it is inserted.
 */
export async function startCardContainer(profileJson: string, o: CardContainerOptions): Promise<CardContainer> {
  const image = o.image ?? ENGINE_IMAGE;
  if (!cardRun) {
    await pingDocker();
    await Promise.all([prepare([image], o.log ?? ((l) => process.stderr.write(`medcard containers: ${l}\n`))), tc().getContainerRuntimeClient()]);
    cardRun = newRunId();
    const run = cardRun;
    registerCleanup({ run, stop: async () => removeNow(run) });
  }
  const { GenericContainer, Wait } = tc();
  // host-gateway: Docker (20.10+) writes the bridge gateway, i.e. this host, into /etc/hosts.
  const host = o.vpcdHost ?? 'host.docker.internal';
  // vpcd takes a new card a moment after the last one left; a refused first connection
  // makes `medcard emulate` exit, so a few attempts are allowed, and the last output is shown.
  let c: import('testcontainers').StartedTestContainer | undefined;
  let output = '';
  const startupMs = o.startupTimeoutMs ?? 30_000;
  for (let attempt = 1; !c; attempt++) {
    const tag = randomBytes(4).toString('hex');
    output = '';
    try {
      c = await new GenericContainer(image)
        .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
        .withLabels({ ...harnessLabels(cardRun, { 'org.medcard.role': 'card', 'org.medcard.vpcd-port': String(o.vpcdPort), 'org.medcard.attempt': tag }) })
        .withCopyContentToContainer([{ content: profileJson, target: '/card.json' }])
        .withEntrypoint(['/usr/local/bin/node', '-r', '/app/steps/register.js', '/app/rigs/serve-card.ts'])
        .withCommand([host, String(o.vpcdPort)])
        .withLogConsumer((stream) => { stream.on('data', (d: Buffer | string) => { output += d.toString(); }); })
        .withAutoCleanup(false)
        .withWaitStrategy(Wait.forLogMessage(/inserted into vpcd/))
        .withStartupTimeout(startupMs)
        .start();
    } catch (err) {
      spawnSync('sh', ['-c', `docker ps -aq --filter label=org.medcard.attempt=${tag} | xargs -r docker rm -f >/dev/null 2>&1`]);
      // A container that ran the whole startup time without a card going in would do so again:
      // fail now. Only a quick failure (vpcd refusing a card a moment after the last left) is retried.
      if (/not received after|timed? ?out/i.test((err as Error).message)) {
        throw new Error(`the card container (${image}, medcard emulate → ${host}:${o.vpcdPort}) did not insert its card within ${startupMs / 1000} s, so it was removed: is vpcd reachable from the container (pcscd listening on all addresses, port ${o.vpcdPort}), and does the image serve cards (rigs/serve-card.ts)?${output.trim() ? `\nits output:\n${output.trim()}` : ' It printed nothing.'}`);
      }
      if (attempt >= 5) {
        throw new Error(`the card container (${image}, medcard emulate → ${host}:${o.vpcdPort}) did not insert its card after ${attempt} attempts: ${(err as Error).message}\n${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
  return {
    id: c.getId(),
    stop: async () => { await c.stop({ timeout: 2000, remove: true }).catch(() => undefined); },
  };
}

/** Stop every card container this process started (the remote-card rig's close). */
export function removeCardContainers(): void {
  if (cardRun) removeNow(cardRun);
}
