/**
 * Instances SIGKILLed mid-rollout, in the stable pool and in the new one:
 * the router ejects them and retries the connect failure on another
 * instance, so idempotent GETs (on the live listener and the preview
 * listener) see no error; the controller records an InstanceExited event
 * and starts a replacement. Replicas are 2, so another instance is always
 * there to take the retry; one instance is killed at a time, and the next
 * kill waits for the replacement to be healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerCommands } from '../../src/controller/controller-commands.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { routerServiceName } from '../../src/controller/rollout-data.ts';
import { pidsOfInstance } from '../support/processes.ts';
import type { ControllerChild, ControllerWorld } from '../system/controller-harness.ts';
import {
  KEY,
  commandsFor,
  createWorld,
  startControllerProcess,
  startLiveLoad,
  until,
} from '../system/controller-harness.ts';

const HOLDER = 'reliability-instance-kills';

let world: ControllerWorld;
let commands: ControllerCommands;
let controller: ControllerChild | undefined;
const loads: LoadRun[] = [];
const killed: string[] = [];

function load(port: number): LoadRun {
  const run = startLiveLoad(port);
  loads.push(run);
  return run;
}

/** Instances of a pool the router sees healthy now. */
async function healthy(pool: string): Promise<string[]> {
  const ids = new Set(world.store.listInstances({ ...KEY, pool }).map((i) => i.record.instanceId));
  const state = await world.router.client.getState();
  return state.health
    .filter((h) => h.service === routerServiceName(KEY) && h.healthy && ids.has(h.instanceId))
    .map((h) => h.instanceId);
}

/** SIGKILLs one instance of a pool, then waits until a replacement is healthy. */
async function killOne(pool: string, traffic: LoadRun): Promise<void> {
  const [victim] = await until(async () => {
    const now = await healthy(pool);
    return now.length === 2 && now;
  });
  const pids = pidsOfInstance(victim as string);
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  killed.push(victim as string);
  const served = traffic.snapshot().ok;
  // Replaced: two healthy instances again, the victim not among them.
  await until(async () => {
    const now = await healthy(pool);
    return now.length === 2 && !now.includes(victim as string);
  }, 500);
  await until(() => traffic.snapshot().ok >= served + 100);
  await until(() =>
    world.store
      .listEvents({ ...KEY })
      .some((e) => e.type === 'instance.exited' && JSON.stringify(e).includes(victim as string)),
  );
}

beforeAll(async () => {
  world = await createWorld();
  commands = commandsFor(world, HOLDER);
  controller = await startControllerProcess(world.stateDir, HOLDER);
});

afterAll(async () => {
  for (const run of loads) run.stop();
  await Promise.all(loads.map((run) => run.done));
  await controller?.kill('SIGTERM');
  await world?.dispose();
});

describe('instances SIGKILLed mid-rollout', () => {
  it('loses no idempotent request while stable and new instances die', async () => {
    const v1 = await commands.deploy({
      ...KEY,
      version: 'v1',
      spec: world.spec({ replicas: 2, strategy: '{ blueGreen: { autoPromote: 0s } }' }),
      requestedBy: 'tester',
    });
    await until(() => world.rollout(v1.id).status === 'succeeded');
    const stablePool = world.store.listInstances(KEY)[0]?.record.pool as string;
    const live = load(world.listen);
    await until(() => live.snapshot().ok >= 100);

    // A stable instance dies with no rollout in flight.
    await killOne(stablePool, live);

    const v2 = await commands.deploy({
      ...KEY,
      version: 'v2',
      spec: world.spec({ replicas: 2, strategy: '{ blueGreen: { scaleDownDelay: 2s } }' }),
      requestedBy: 'tester',
    });
    await until(() => world.phase(v2.id) === 'awaitingPromote');
    const newPool = world.store.listInstances(KEY).find((i) => i.record.version === 'v2')?.record
      .pool as string;
    const preview = load(world.preview);
    await until(() => preview.snapshot().ok >= 100);

    // Mid-rollout: a stable instance, then a new one (seen on preview).
    await killOne(stablePool, live);
    await killOne(newPool, preview);
    expect(world.phase(v2.id)).toBe('awaitingPromote');

    await commands.promote(KEY, { full: false });
    await until(() => live.snapshot().lastVersion === 'v2');
    // After the switch, the new pool is live: kill one of it again.
    await killOne(newPool, live);
    await until(() => world.rollout(v2.id).status === 'succeeded');

    for (const run of loads) run.stop();
    const results = await Promise.all(loads.map((run) => run.done));
    loads.length = 0;
    console.log(
      `instance-kills: killed ${killed.length} instances; live load ${results[0]?.ok} ok / ${results[0]?.failed} failed, preview load ${results[1]?.ok} ok / ${results[1]?.failed} failed`,
    );
    expect(results.map((r) => r.failures)).toEqual([[], []]);
  });
});
