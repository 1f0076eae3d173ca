/**
 * Blue/green with container instances on a real engine (Podman's
 * Docker-compatible API), end to end: a router process, the controller in
 * this process, images built for the test (busybox httpd, one tag per
 * version), and steady load through the router. Each version is deployed as
 * `deploy --image <repo>:<tag>` sends it, so the version is the tag and every
 * answer names the image that gave it. No request may fail through deploys
 * and the promote; old pools' containers leave the engine; an image that
 * was never built fails the rollout with a sentence saying so; a container
 * that exits is reported with its exit code and last log lines, removed and
 * replaced; `logs` reads containers through the API; a restarted controller
 * adopts the containers it finds and removes one a cut-short start left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { Reason } from '../../src/rollout/reasons.ts';
import { plannedRecord } from '../../src/controller/planned-instance.ts';
import { describeContainer } from '../../src/runtime/container/container-plan.ts';
import { LABEL } from '../../src/runtime/container/labels.ts';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import {
  expectOnly,
  startInProcessController,
  startLiveLoad,
  stopStarted,
  until,
  versionAt,
} from './controller-harness.ts';
import type { ContainerWorld } from './container-world.ts';
import { createContainerWorld } from './container-world.ts';
import { WEB_PORT } from './container-web-image.ts';

let world: ContainerWorld;
let controller: Controller;
let load: LoadRun;

async function deploy(version: string, options: Parameters<ContainerWorld['deployment']>[1] = {}) {
  const { spec, version: fromTag } = world.deployment(version, options);
  expect(fromTag).toBe(version);
  const view = await controller.deploy({ ...world.key, version, spec, requestedBy: 'tester' });
  return view.id;
}

function events(type: string) {
  return world.store.listEvents({ ...world.key }).filter((event) => event.type === type);
}

beforeAll(async () => {
  world = await createContainerWorld();
  await world.buildVersion('v1');
  await world.buildVersion('v2');
  controller = await startInProcessController(world, 'containers-bluegreen');
});

afterAll(() => stopStarted({ load, controller, world }));

describe('containers: blue/green under load', () => {
  it('first deploy runs two containers of v1 and routes all traffic to them', async () => {
    const id = await deploy('v1');
    expect((await world.finished(id)).status).toBe('succeeded');
    expect(await versionAt(world.listen)).toBe('v1');
    // The engine holds exactly the containers the store names, labelled with their pool.
    const stored = world.storedContainers();
    expect(stored).toHaveLength(2);
    expect(await world.containers()).toEqual(stored);
    expect(await world.containers(`${LABEL.version}=v1`)).toEqual(stored);
    load = startLiveLoad(world.listen, { concurrency: 3, pauseMs: 10, slowEvery: 8, slowMs: 300 });
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
  });

  it('deploys v2 beside v1, previews it, promotes, and removes the containers of v1', async () => {
    const id = await deploy('v2');
    await until(() => world.phase(id) === 'awaitingPromote');
    expect(await versionAt(world.preview)).toBe('v2');
    expect(await world.containers()).toHaveLength(4);
    await controller.promote(world.key, { full: false });
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });

    expect((await world.finished(id)).status).toBe('succeeded');
    const stored = world.storedContainers();
    expect(stored).toHaveLength(2);
    await until(async () => (await world.containers(`${LABEL.version}=v1`)).length === 0);
    expect(await world.containers()).toEqual(stored);
    expect(load.snapshot().failed).toBe(0);
  });

  it('an image that was never built fails the rollout, says so, and leaves v2 serving', async () => {
    const id = await deploy('v3', { startupTimeout: '3s' });
    const done = await world.finished(id);
    expect(done.status).toBe('failed');
    expect(done.reason).toBe(Reason.StartupTimeout);
    // The rollout's own message names the cause, not only the timeout.
    expect(done.message).toContain('Last: Could not start an instance of v3 in pool');
    expect(done.message).toContain(
      `image ${world.repository}:v3 not found on the container engine; build or load it first`,
    );
    const failures = events('instance.startFailed').map((e) => e.message);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toContain(
      `image ${world.repository}:v3 not found on the container engine; build or load it first`,
    );
    expect(await world.containers(`${LABEL.version}=v3`)).toEqual([]);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
  });

  it('lost no request through the deploys, the promote and the failed rollout', async () => {
    load.stop();
    const result = await load.done;
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(300);
  });

  it('reports a container that exits with its code and last log lines, removes it and starts another', async () => {
    const [victim] = world.store.listInstances(world.key).map((i) => i.record);
    if (victim === undefined) throw new Error('no instance to crash');
    const containerId = String(victim.handle['containerId']);
    const crash = await fetch(`http://${victim.host}:${victim.port}/cgi-bin/crash?code=3`);
    expect(crash.status).toBe(202);

    const exited = await until(() =>
      events('instance.exited').find((e) => e.data?.['instanceId'] === victim.instanceId),
    );
    expect(exited.data).toMatchObject({ state: 'exited', exitCode: 3 });
    expect(exited.data?.['logTail']).toContain('crashing with code 3');
    expect(exited.message).toContain('exit code 3');
    // Removed from the engine, and a new v2 container takes its place.
    expect(await world.engine.inspectContainer(containerId)).toBeUndefined();
    const replaced = await until(() => {
      const stored = world.storedContainers();
      return stored.length === 2 && !stored.includes(containerId) && stored;
    });
    await until(async () => (await versionAt(world.listen)) === 'v2');
    expect(await world.containers()).toEqual(replaced);
  });

  it('switchyard logs reads every instance through the engine API', async () => {
    const lines: { instanceId: string; line: string }[] = [];
    for await (const line of controller.logs(world.key, { tail: 1 })) lines.push(line);
    const ids = world.store.listInstances(world.key).map((i) => i.record.instanceId);
    expect(lines.map((l) => l.instanceId).sort()).toEqual([...ids].sort());
    expect(lines.map((l) => l.line)).toEqual([
      `version v2 listening on ${WEB_PORT}`,
      `version v2 listening on ${WEB_PORT}`,
    ]);
  });

  it('a restarted controller adopts the running containers, and removes the one a cut-short start left', async () => {
    const before = await world.containers();
    await controller.stop();
    // What a controller killed between creating a container and recording it
    // leaves: a planned record, and a container that only its labels name.
    const orphanId = `${world.key.service}-default-green-r9-deadbeef`;
    const planned = plannedRecord({
      instanceId: orphanId,
      runtime: 'container',
      ...world.key,
      revision: 9,
      version: 'v2',
      pool: 'green',
      at: new Date(),
    });
    world.store.putInstance(planned, true);
    const plan = describeContainer({
      request: { ...planned, env: {}, stopTimeoutMs: 5000 },
      launch: { image: `${world.repository}:v2`, port: WEB_PORT, pull: 'never' },
      hostPort: await findFreePort('127.0.0.1'),
    });
    const orphan = await world.engine.createContainer(plan);
    await world.engine.startContainer(orphan);
    expect(await world.containers()).toHaveLength(3);

    controller = await startInProcessController(world, 'containers-bluegreen');
    await controller.reconcileOnce();
    expect(await world.containers()).toEqual(before);
    expect(world.storedContainers()).toEqual(before);
    const stopped = world.store
      .listEvents({ ...world.key })
      .filter((e) => e.type === 'instance.orphanStopped');
    expect(stopped.map((e) => e.data?.['ended'])).toEqual([[`container ${orphan.slice(0, 12)}`]]);
    const status = await controller.status(world.key);
    expect(status.pools.flatMap((p) => p.instances.map((i) => i.state))).toEqual([
      'running',
      'running',
    ]);
    expect(await versionAt(world.listen)).toBe('v2');
  });
});
