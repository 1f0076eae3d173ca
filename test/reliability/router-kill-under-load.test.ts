/**
 * The router SIGKILLed under load and started again on the same state dir
 * serves its last config at once. A measurement, not a promise of zero
 * errors: requests sent while no router listens fail, and the test counts
 * and prints them for each run (docs/reliability.md has the figures). It
 * asserts only that requests succeed again after the restart and that the
 * config served is the one the router had before.
 *
 * The controller is stopped before the kills, so the restarted router can
 * only have its config from its own saved file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { spawnRouter } from '../../src/router/spawn-router.ts';
import type { RouterProcess } from '../../src/router/spawn-router.ts';
import { alive } from '../support/processes.ts';
import type { ControllerWorld } from '../system/controller-harness.ts';
import {
  KEY,
  commandsFor,
  createWorld,
  startControllerProcess,
  startLiveLoad,
  until,
} from '../system/controller-harness.ts';

const RUNS = 3;
const HOLDER = 'reliability-router-kill';

let world: ControllerWorld;
let router: RouterProcess;
const restarted: RouterProcess[] = [];
let load: LoadRun | undefined;

beforeAll(async () => {
  world = await createWorld();
  router = world.router;
  const commands = commandsFor(world, HOLDER);
  const controller = await startControllerProcess(world.stateDir, HOLDER);
  try {
    const { id } = await commands.deploy({
      ...KEY,
      version: 'v1',
      spec: world.spec({ replicas: 2, strategy: '{ blueGreen: { autoPromote: 0s } }' }),
      requestedBy: 'tester',
    });
    await until(() => world.rollout(id).status === 'succeeded');
  } finally {
    await controller.kill('SIGTERM');
  }
});

afterAll(async () => {
  load?.stop();
  await load?.done;
  for (const r of restarted) await r.stop();
  await world?.dispose();
});

async function killRouter(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await until(() => !alive(pid), 10);
}

describe('router SIGKILLed under load, restarted on the same state dir', () => {
  it(`serves its last config at once after each of ${RUNS} kills`, async () => {
    load = startLiveLoad(world.listen, { pauseMs: 10 });
    await until(() => (load as LoadRun).snapshot().ok >= 100);
    expect(load.snapshot().failed).toBe(0);
    const figures: string[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const before = await router.client.getConfig();
      const generation = (await router.client.getState()).generation;
      const failedBefore = load.snapshot().failed;
      await router.client.close();
      const killedAt = performance.now();
      await killRouter(router.pid);
      const failedAtKill = load.snapshot().failed;
      router = await spawnRouter({ stateDir: world.stateDir });
      restarted.push(router);
      const downMs = Math.round(performance.now() - killedAt);
      const okAtRestart = load.snapshot().ok;
      // Served at once: the first request after the restart succeeds.
      const response = await fetch(`http://127.0.0.1:${world.listen}/`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { version: string }).version).toBe('v1');
      await until(() => (load as LoadRun).snapshot().ok >= okAtRestart + 100);
      const failedAfter = load.snapshot().failed;
      const failedSinceRestart = load.snapshot();
      expect(await router.client.getConfig()).toEqual(before);
      expect((await router.client.getState()).generation).toBe(generation);
      // The next 100 requests all succeed.
      const settled = failedSinceRestart.failed;
      const okSettled = failedSinceRestart.ok;
      await until(() => (load as LoadRun).snapshot().ok >= okSettled + 100);
      expect(load.snapshot().failed).toBe(settled);
      const line =
        `run ${run}: ${failedAfter - failedBefore} failed requests ` +
        `(${failedAtKill - failedBefore} cut at the kill, the rest refused), ` +
        `down ${downMs} ms until the new router was ready`;
      figures.push(line);
    }
    load.stop();
    const result = await load.done;
    load = undefined;
    const kinds = new Map<string, number>();
    for (const f of result.failures) kinds.set(f, (kinds.get(f) ?? 0) + 1);
    console.log(
      `router-kill-under-load: ${result.sent} requests, ${result.failed} failed in all\n  ${figures.join('\n  ')}\n  errors: ${JSON.stringify(Object.fromEntries(kinds))}`,
    );
  });
});
