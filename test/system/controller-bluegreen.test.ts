/**
 * The controller end to end on real parts: a SQLite store in a temp dir, a
 * router process, instances of the test app under the process runtime, and
 * bounded load through the router the whole time. Every deploy, promote,
 * abort and rollback must lose no request, and once a switch is done every
 * response must come from the expected version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { isSwitchyardError } from '../../src/errors.ts';
import { Reason } from '../../src/rollout/reasons.ts';
import type { ControllerWorld } from './controller-harness.ts';
import {
  KEY,
  createWorld,
  expectOnly,
  startInProcessController,
  startLiveLoad,
  stopStarted,
  until,
  versionAt,
} from './controller-harness.ts';

let world: ControllerWorld;
let controller: Controller;
let load: LoadRun;

async function phase(id: number, name: string): Promise<void> {
  await until(() => world.phase(id) === name);
}

/** Versions of the instances the store holds, sorted. */
function storedVersions(): string[] {
  return world.store
    .listInstances(KEY)
    .map((i) => i.record.version)
    .sort();
}

async function deploy(version: string, spec = world.spec()): Promise<number> {
  const view = await controller.deploy({ ...KEY, version, spec, requestedBy: 'tester' });
  return view.id;
}

beforeAll(async () => {
  world = await createWorld();
  controller = await startInProcessController(world, 'controller-under-test');
});

afterAll(() => stopStarted({ load, controller, world }));

describe('controller: blue/green under load', () => {
  it('first deploy starts v1, waits for health and routes 100%', async () => {
    // A secret reaches the instance from the daemon's environment (and only a
    // named one: instances do not inherit the rest of it).
    process.env['SY_TEST_SECRET'] = 'hunter2';
    process.env['SY_TEST_NOT_NAMED'] = 'leak';
    const id = await deploy(
      'v1',
      world.spec({
        extra: 'secrets: [SY_TEST_SECRET]\nenv: { ECHO_ENV: "SY_TEST_SECRET,SY_TEST_NOT_NAMED" }',
      }),
    );
    const done = await world.finished(id);
    expect(done.status).toBe('succeeded');
    expect(done.weights).toEqual([{ pool: 'blue', weight: 100 }]);
    expect(await versionAt(world.listen)).toBe('v1');
    const answer = (await (await fetch(`http://127.0.0.1:${world.listen}/`)).json()) as {
      env: Record<string, string>;
    };
    expect(answer.env['SY_TEST_SECRET']).toBe('hunter2');
    expect(answer.env['SY_TEST_NOT_NAMED']).toBeUndefined();
    delete process.env['SY_TEST_SECRET'];
    delete process.env['SY_TEST_NOT_NAMED'];
    // Every 8th request takes 300 ms, so requests are in flight at every switch.
    load = startLiveLoad(world.listen, { slowEvery: 8, slowMs: 300 });
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
  });

  it('deploys v2 beside v1, previews it, switches on promote in one update, stops v1 after scaleDownDelay', async () => {
    const id = await deploy('v2');
    await phase(id, 'awaitingPromote');
    expect(world.rollout(id).status).toBe('paused');
    expect(await versionAt(world.preview)).toBe('v2');
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
    const generation = (await world.router.client.getConfig()).generation;

    await controller.promote(KEY, { full: false });
    await phase(id, 'scaleDownDelay');
    const switched = await world.router.client.getConfig();
    expect(switched.generation).toBe(generation + 1);
    const pools = switched.services[0]?.pools.map((p) => [p.name, p.weight, p.instances.length]);
    expect(pools).toEqual([
      ['green', 100, 2],
      ['blue', 0, 2],
    ]);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });

    const done = await world.finished(id);
    expect(done.status).toBe('succeeded');
    expect(storedVersions()).toEqual(['v2', 'v2']);
    expect(load.snapshot().failed).toBe(0);
  });

  it('abort before promote keeps traffic on v2 and removes v3', async () => {
    const id = await deploy('v3');
    await phase(id, 'awaitingPromote');
    await controller.abort(KEY);
    const done = await world.finished(id);
    expect(done.status).toBe('aborted');
    expect(storedVersions()).toEqual(['v2', 'v2']);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    expect(load.snapshot().failed).toBe(0);
  });

  it('rollback within scaleDownDelay is one router update back to v2', async () => {
    const id = await deploy(
      'v3',
      world.spec({ strategy: '{ blueGreen: { scaleDownDelay: 1h } }' }),
    );
    await phase(id, 'awaitingPromote');
    await controller.promote(KEY, { full: false });
    await phase(id, 'scaleDownDelay');
    expect(await expectOnly(load, 'v3')).toEqual({ v3: expect.any(Number) });
    const generation = (await world.router.client.getConfig()).generation;

    await controller.rollback(KEY, { requestedBy: 'tester' });
    await phase(id, 'removingNew');
    const back = await until(async () => {
      const config = await world.router.client.getConfig();
      return config.generation > generation && config;
    });
    expect(back.generation).toBe(generation + 1);
    expect(back.services[0]?.pools.map((p) => [p.name, p.weight])).toEqual([['green', 100]]);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    const done = await world.finished(id);
    expect(done.status).toBe('rolledBack');
    expect(storedVersions()).toEqual(['v2', 'v2']);
  });

  it('rollback after the old pool is gone is a new rollout of the earlier revision', async () => {
    const id = await deploy(
      'v4',
      world.spec({ strategy: '{ blueGreen: { autoPromote: 0s, scaleDownDelay: 0s } }' }),
    );
    expect((await world.finished(id)).status).toBe('succeeded');
    expect(await expectOnly(load, 'v4')).toEqual({ v4: expect.any(Number) });

    const view = await controller.rollback(KEY, { requestedBy: 'tester' });
    expect(view.id).not.toBe(id);
    expect(view.version).toBe('v2');
    expect(view.reason).toBe(Reason.RollbackCreated);
    // v2's stored spec waits for promote, as it did when it was deployed.
    await phase(view.id, 'awaitingPromote');
    await controller.promote(KEY, { full: false });
    expect((await world.finished(view.id)).status).toBe('succeeded');
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    expect(storedVersions()).toEqual(['v2', 'v2']);
    expect(load.snapshot().failed).toBe(0);
  });

  it('a failing preDeploy fails the rollout with nothing switched and nothing started', async () => {
    const id = await deploy(
      'v5',
      world.spec({ hooks: 'hooks: { preDeploy: "echo migrating; echo broken >&2; exit 3" }' }),
    );
    const done = await world.finished(id);
    expect(done.status).toBe('failed');
    expect(done.reason).toBe(Reason.HookFailed);
    const hookEvent = world.store
      .listEvents({ ...KEY, rolloutId: id })
      .find((e) => e.type === 'hook.finished');
    expect(hookEvent?.data).toMatchObject({ hook: 'preDeploy', ok: false, detail: 'exit code 3' });
    expect(String(hookEvent?.data?.['output'])).toContain('broken');
    expect(storedVersions()).toEqual(['v2', 'v2']);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
  });

  it('a v6 that never gets healthy fails at startupTimeout and is removed; traffic stays on v2', async () => {
    const id = await deploy('v6', world.spec({ command: 'exec sleep 600', startupTimeout: '2s' }));
    const done = await world.finished(id);
    expect(done.status).toBe('failed');
    expect(done.reason).toBe(Reason.StartupTimeout);
    expect(storedVersions()).toEqual(['v2', 'v2']);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
  });

  it('a second deploy while one runs is refused with exit code 3, naming the holder', async () => {
    const id = await deploy('v7');
    let error: unknown;
    try {
      await deploy('v8');
    } catch (caught) {
      error = caught;
    }
    expect(isSwitchyardError(error) && error.exitCode).toBe(3);
    expect(isSwitchyardError(error) && error.code).toBe('LOCK_HELD');
    expect((error as Error).message).toContain('controller-under-test');
    expect(world.store.listRevisions(KEY).map((r) => r.version)).not.toContain('v8');
    await controller.abort(KEY);
    expect((await world.finished(id)).status).toBe('aborted');
    expect(world.store.getLock(KEY)).toBeUndefined();
  });

  it('lost no request through all of it', async () => {
    load.stop();
    const result = await load.done;
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(1000);
  });
});
