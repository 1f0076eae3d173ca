/**
 * A controller killed with SIGKILL at each step boundary of a blue/green
 * rollout, then started again, finishes the rollout; the store's instances
 * match the processes actually running (no orphan); and the router keeps
 * serving, with no failed request, while the controller is down.
 *
 * The controller runs as a child process (src/daemon/controller-bin.ts). The test
 * drives it the way the control API would: a ControllerCommands on the same
 * store writes intents (deploy, promote) and the child's loop acts on them.
 * Intents written while the child is dead are picked up when it returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerCommands } from '../../src/controller/controller-commands.ts';
import { plannedRecord } from '../../src/controller/planned-instance.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { httpAppCommand } from '../support/apps.ts';
import { runningProcesses } from '../support/processes.ts';
import type { ControllerChild, ControllerWorld } from './controller-harness.ts';
import {
  KEY,
  commandsFor,
  createWorld,
  expectNoOrphans,
  expectOnly,
  startControllerProcess,
  startLiveLoad,
  until,
} from './controller-harness.ts';

const HOLDER = 'crash-test-controller';

let world: ControllerWorld;
let commands: ControllerCommands;
let child: ControllerChild | undefined;
let load: LoadRun | undefined;

async function startChild(): Promise<void> {
  child = await startControllerProcess(world.stateDir, HOLDER);
}

async function killChild(): Promise<void> {
  await child?.kill('SIGKILL');
  child = undefined;
}

/** Kill the controller, check that traffic flows without it, start it again. */
async function crashAndRestart(): Promise<void> {
  await killChild();
  const served = load?.snapshot().ok ?? 0;
  await until(() => (load?.snapshot().ok ?? 0) >= served + 50);
  expect(load?.snapshot().failed ?? 0).toBe(0);
  await startChild();
}

beforeAll(async () => {
  world = await createWorld();
  commands = commandsFor(world, HOLDER);
  await startChild();
});

afterAll(async () => {
  load?.stop();
  await load?.done;
  await child?.kill('SIGTERM');
  await world?.dispose();
});

describe('controller: SIGKILL at every step boundary of a blue/green rollout', () => {
  it('deploys v1 with the controller in a child process', async () => {
    const view = await commands.deploy({
      ...KEY,
      version: 'v1',
      spec: world.spec(),
      requestedBy: 'tester',
    });
    await until(() => world.rollout(view.id).status === 'succeeded');
    load = startLiveLoad(world.listen);
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
    await expectNoOrphans(world);
  });

  it('resumes v2 after a kill at each boundary and ends succeeded with no orphan', async () => {
    const spec = world.spec({ strategy: '{ blueGreen: { scaleDownDelay: 3s } }' });
    const { id } = await commands.deploy({ ...KEY, version: 'v2', spec, requestedBy: 'tester' });

    // pending → starting
    await until(() => world.phase(id) === 'waitingHealthy');
    await crashAndRestart();
    // instances of the new pool started and recorded
    await until(
      () =>
        world.store.listInstances({ ...KEY, pool: 'green' }).filter((i) => i.record.port > 0)
          .length === 2,
    );
    await crashAndRestart();
    // healthy, on preview, paused for promote
    await until(() => world.phase(id) === 'awaitingPromote');
    await crashAndRestart();
    expect(world.phase(id)).toBe('awaitingPromote');
    // during the pause; promote is written while the controller is dead
    await killChild();
    await commands.promote(KEY, { full: false });
    await startChild();
    // after the switch
    await until(() => world.phase(id) === 'scaleDownDelay');
    expect(await expectOnly(load as LoadRun, 'v2')).toEqual({ v2: expect.any(Number) });
    await crashAndRestart();
    // during scaleDownDelay
    expect(world.phase(id)).toBe('scaleDownDelay');
    await crashAndRestart();
    // after the drain began
    await until(
      () => world.phase(id) === 'scalingDown' || world.rollout(id).status === 'succeeded',
    );
    await crashAndRestart();

    await until(() => world.rollout(id).status === 'succeeded');
    await expectNoOrphans(world);
    expect(world.store.listInstances(KEY).map((i) => i.record.version)).toEqual(['v2', 'v2']);
    expect(await expectOnly(load as LoadRun, 'v2')).toEqual({ v2: expect.any(Number) });
    expect(world.store.getLock(KEY)).toBeUndefined();
  });

  it('stops an instance whose start was cut short before its record was saved', async () => {
    await killChild();
    // What a controller killed inside runtime.start leaves: a planned record
    // and a running process that no record names.
    const instanceId = 'shop-default-blue-r99-cutshort';
    const request = {
      service: KEY.service,
      environment: KEY.environment,
      revision: 99,
      version: 'v99',
      pool: 'blue',
      instanceId,
    };
    world.store.putInstance(
      plannedRecord({ ...request, runtime: 'process', at: new Date() }),
      true,
    );
    await world.runtime.start({
      ...request,
      command: httpAppCommand,
      env: {},
      stopTimeoutMs: 2_000,
    });
    await until(() =>
      runningProcesses(world.stateDir, KEY.service, KEY.environment).instances.has(instanceId),
    );
    await startChild();
    await until(
      () =>
        !runningProcesses(world.stateDir, KEY.service, KEY.environment).instances.has(instanceId),
    );
    expect(world.store.listInstances(KEY).some((i) => i.record.instanceId === instanceId)).toBe(
      false,
    );
    await expectNoOrphans(world);
    expect(
      world.store.listEvents({ ...KEY }).some((e) => e.type === 'instance.orphanStopped'),
    ).toBe(true);
  });

  it('lost no request while the controller was down', async () => {
    load?.stop();
    const result = await (load as LoadRun).done;
    load = undefined;
    expect(result.failures).toEqual([]);
  });
});
