/**
 * Instances that die on their own are noticed and replaced, on real parts: a
 * router process, the process runtime, a SQLite store, bounded load through
 * the router the whole time. The dead instance leaves the router config, an
 * InstanceExited event carries its exit status and last log lines, a
 * replacement in the same pool joins once healthy, and no request fails.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { Reason } from '../../src/rollout/reasons.ts';
import { processHandleOf } from '../../src/runtime/process/process-runtime.ts';
import type { InstanceRecord } from '../../src/runtime/runtime.ts';
import type { StoredEvent } from '../../src/state/store.ts';
import type { ControllerWorld } from './controller-harness.ts';
import {
  KEY,
  createWorld,
  startInProcessController,
  startLiveLoad,
  stopStarted,
  until,
} from './controller-harness.ts';

let world: ControllerWorld;
let controller: Controller;
let load: LoadRun | undefined;

beforeAll(async () => {
  world = await createWorld();
  controller = await startInProcessController(world, 'instances-test');
});

afterAll(() => stopStarted({ load, controller, world }));

function blueRecords(): InstanceRecord[] {
  return world.store
    .listInstances(KEY)
    .filter((i) => i.desired && i.record.pool === 'blue')
    .map((i) => i.record);
}

/** Ids of the blue instances the router routes to and finds healthy: all 3 of them. */
async function threeHealthyBlue(): Promise<string[]> {
  return until(async () => {
    const [config, state] = await Promise.all([
      world.router.client.getConfig(),
      world.router.client.getState(),
    ]);
    const routed = config.services[0]?.pools.find((p) => p.name === 'blue')?.instances ?? [];
    const healthy = new Set(state.health.filter((h) => h.healthy).map((h) => h.instanceId));
    const ids = routed.map((i) => i.id);
    return ids.length === 3 && ids.every((id) => healthy.has(id)) && ids.sort();
  });
}

/** The app itself: the child of the instance's shell (its process group leader). */
function appPidOf(record: InstanceRecord): number {
  const shell = processHandleOf(record).pid;
  const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
  const pid = Number(children.split(/\s+/)[0]);
  expect(pid).toBeGreaterThan(0);
  return pid;
}

async function exitedEvent(instanceId: string): Promise<StoredEvent> {
  return until(() =>
    world.store
      .listEvents(KEY)
      .find((e) => e.reason === Reason.InstanceExited && e.data?.['instanceId'] === instanceId),
  );
}

/** Waits until `status` no longer shows the instance running (exited, or gone from the list). */
async function statusShowsNotRunning(instanceId: string): Promise<string> {
  return until(async () => {
    const status = await controller.status(KEY);
    const instance = status.pools
      .flatMap((p) => p.instances)
      .find((i) => i.instanceId === instanceId);
    if (instance === undefined) return 'absent';
    return instance.state !== 'running' && instance.state;
  });
}

/** After `victim` died: a replacement in blue, revision 1, healthy; blue back to 3 healthy. */
async function expectReplaced(victim: InstanceRecord, before: readonly string[]): Promise<void> {
  const healthy = await threeHealthyBlue();
  expect(healthy).not.toContain(victim.instanceId);
  const fresh = healthy.filter((id) => !before.includes(id));
  expect(fresh).toHaveLength(1);
  const replacement = blueRecords().find((r) => r.instanceId === fresh[0]);
  expect(replacement).toMatchObject({ pool: 'blue', revision: 1, version: 'v1' });
  const status = await controller.status(KEY);
  const blue = status.pools.find((p) => p.name === 'blue');
  expect(blue?.instances.map((i) => [i.state, i.healthy])).toEqual([
    ['running', true],
    ['running', true],
    ['running', true],
  ]);
  expect(world.store.listInstances(KEY).map((i) => i.record.instanceId)).not.toContain(
    victim.instanceId,
  );
}

describe('controller: instances that die on their own', () => {
  it('deploys v1 with 3 replicas under load', async () => {
    const view = await controller.deploy({
      ...KEY,
      version: 'v1',
      spec: world.spec({ replicas: 3 }),
      requestedBy: 'tester',
    });
    const done = await world.finished(view.id);
    expect(done.status).toBe('succeeded');
    await threeHealthyBlue();
    load = startLiveLoad(world.listen);
    await until(() => (load?.snapshot().ok ?? 0) >= 50);
  });

  it('replaces an instance whose app was killed with SIGKILL', async () => {
    const before = await threeHealthyBlue();
    const victim = blueRecords()[0] as InstanceRecord;
    process.kill(appPidOf(victim), 'SIGKILL');

    const event = await exitedEvent(victim.instanceId);
    // The shell reports its app's death by SIGKILL as 128 + 9.
    expect(event.data).toMatchObject({ pool: 'blue', revision: 1, state: 'exited', exitCode: 137 });
    expect(event.message).toContain('exit code 137');
    expect(event.data?.['logTail']).toEqual(
      expect.arrayContaining([expect.stringContaining('listening on')]),
    );
    expect(['exited', 'absent']).toContain(await statusShowsNotRunning(victim.instanceId));

    await expectReplaced(victim, before);
    const snapshot = load?.snapshot();
    expect(snapshot?.failures).toEqual([]);
    expect(snapshot?.failed).toBe(0);
  });

  it('replaces an instance whose whole process group was killed, backing off on a second exit', async () => {
    const before = await threeHealthyBlue();
    const victim = blueRecords()[1] as InstanceRecord;
    process.kill(-processHandleOf(victim).pid, 'SIGKILL');

    const event = await exitedEvent(victim.instanceId);
    expect(event.data).toMatchObject({ pool: 'blue', state: 'exited', signal: 'SIGKILL' });
    // The second exit in pool blue soon after the first: the replacement waits.
    expect(event.data?.['exitsInRow']).toBe(2);
    expect(event.data?.['restartDelayMs']).toBeGreaterThan(0);
    expect(event.message).toContain('backing off');
    expect(['exited', 'absent']).toContain(await statusShowsNotRunning(victim.instanceId));

    await expectReplaced(victim, before);
    expect(load?.snapshot().failures).toEqual([]);
  });

  it('keeps serving from an instance whose supervisor was killed, and replaces it once its app dies too', async () => {
    const before = await threeHealthyBlue();
    const victim = blueRecords().find((r) => before.includes(r.instanceId)) as InstanceRecord;
    const handle = processHandleOf(victim);
    // The supervisor runs in its own process group, apart from the app's.
    process.kill(-handle.supervisorPid, 'SIGKILL');
    // The app still runs and serves: the loop (inspecting about every second)
    // leaves it alone while a good deal of load goes through.
    const sent = load?.snapshot().ok ?? 0;
    await until(() => (load?.snapshot().ok ?? 0) >= sent + 1_500);
    expect(await threeHealthyBlue()).toEqual(before);
    const status = await controller.status(KEY);
    expect(
      status.pools.flatMap((p) => p.instances).find((i) => i.instanceId === victim.instanceId),
    ).toMatchObject({ state: 'running', healthy: true });
    expect(
      world.store.listEvents(KEY).filter((e) => e.data?.['instanceId'] === victim.instanceId),
    ).not.toContainEqual(expect.objectContaining({ reason: Reason.InstanceExited }));

    // With no supervisor, nothing records how the app ended: it is "gone".
    process.kill(-handle.pid, 'SIGKILL');
    const event = await exitedEvent(victim.instanceId);
    expect(event.data).toMatchObject({ pool: 'blue', state: 'gone', exitCode: null });
    expect(event.message).toContain('is gone');
    await expectReplaced(victim, before);
    expect(load?.snapshot().failures).toEqual([]);
  });

  it('replaces new-pool instances that die before they were healthy only until startupTimeout', async () => {
    const view = await controller.deploy({
      ...KEY,
      version: 'v2',
      spec: world.spec({
        replicas: 3,
        command: 'echo boom-before-listening; exit 3',
        startupTimeout: '4s',
      }),
      requestedBy: 'tester',
    });
    const done = await world.finished(view.id);
    expect(done.status).toBe('failed');
    expect(done.reason).toBe(Reason.StartupTimeout);
    const exits = world.store
      .listEvents(KEY)
      .filter((e) => e.reason === Reason.InstanceExited && e.data?.['pool'] === 'green');
    expect(exits.length).toBeGreaterThan(0);
    expect(exits[0]?.data).toMatchObject({ revision: 2, state: 'exited', exitCode: 3 });
    expect(exits[0]?.data?.['logTail']).toContain('boom-before-listening');
    // The pool kept dying: its replacements were spaced out.
    expect(Math.max(...exits.map((e) => Number(e.data?.['exitsInRow'])))).toBeGreaterThan(1);
    // The failed pool is removed and not replaced any more; v1 serves on.
    await until(() => world.store.listInstances(KEY).every((i) => i.record.pool === 'blue'));
    const count = exits.length;
    await threeHealthyBlue();
    const sent = load?.snapshot().ok ?? 0;
    await until(() => (load?.snapshot().ok ?? 0) >= sent + 1_000);
    expect(
      world.store
        .listEvents(KEY)
        .filter((e) => e.reason === Reason.InstanceExited && e.data?.['pool'] === 'green'),
    ).toHaveLength(count);
    expect(world.store.listInstances(KEY).map((i) => i.record.pool)).toEqual([
      'blue',
      'blue',
      'blue',
    ]);
    expect(load?.snapshot().failures).toEqual([]);
    expect(load?.snapshot().lastVersion).toBe('v1');
  });
});
