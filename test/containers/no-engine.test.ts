// No container engine reachable: a container rig fails at once, saying so and naming the
// engines that need no containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerRuntimeError, startContainerEngine } from '../../containers';
import { loadRigFile } from '../../rigs';
import { medcard } from './helpers';

const DEAD = 'unix:///tmp/medcard-no-such-docker.sock';

test('startContainerEngine with DOCKER_HOST at a dead socket rejects with the plain message', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = DEAD;
  try {
    const t0 = Date.now();
    await assert.rejects(startContainerEngine(loadRigFile('containers')), (err: Error) => {
      assert.ok(err instanceof ContainerRuntimeError, err.message);
      assert.match(err.message, /no container engine can be reached/);
      assert.match(err.message, /medcard-no-such-docker\.sock: no socket there/);
      assert.match(err.message, /--rig emulated/);
      assert.match(err.message, /kind: postgres/);
      assert.match(err.message, /--engine-url/);
      return true;
    });
    // No waiting for a runtime that is not there: a generous limit for a busy machine, well
    // under testcontainers' own start-up timeouts (a minute and more).
    assert.ok(Date.now() - t0 < 20_000, `fails at once (took ${Date.now() - t0} ms; generous limit 20 s)`);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST; else process.env.DOCKER_HOST = saved;
  }
});

test('medcard run --rig containers with a dead DOCKER_HOST exits 2 at once with the message', async () => {
  const t0 = Date.now();
  const run = medcard(['run', '--rig', 'containers', '--quiet', '--reports', '/tmp/medcard-test-no-engine'], { DOCKER_HOST: DEAD });
  const code = await run.exited;
  assert.equal(code, 2, run.output());
  assert.match(run.output(), /medcard run: no container engine can be reached \(unix:\/\/\/tmp\/medcard-no-such-docker\.sock: no socket there\)/);
  assert.match(run.output(), /--rig emulated/);
  assert.match(run.output(), /--engine-url/);
  assert.doesNotMatch(run.output(), /scenarios \(/, 'no scenario ran');
  // The CLI's start-up and cucumber's loading, then the refusal: a generous limit for a busy machine.
  assert.ok(Date.now() - t0 < 45_000, `took ${Date.now() - t0} ms (generous limit 45 s)`);
});
