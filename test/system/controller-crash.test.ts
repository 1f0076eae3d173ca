/**
 * A controller killed with SIGKILL at each step boundary of a blue/green
 * rollout, then started again, finishes the rollout; the store's instances
 * match the processes actually running (no orphan); and the router keeps
 * serving, with no failed request, while the controller is down.
 *
 * The controller runs as a child process (src/controller/bin.ts). The test
 * drives it the way the control API would: a ControllerCommands on the same
 * store writes intents (deploy, promote) and the child's loop acts on them.
 * Intents written while the child is dead are picked up when it returns.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { ControllerCommands } from '../../src/controller/controller-commands.ts';
import { plannedRecord } from '../../src/controller/planned-instance.ts';
import { startLoad } from '../../src/demo/load-generator.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import type { Rollout } from '../../src/state/store.ts';
import type { ControllerWorld } from './controller-harness.ts';
import {
  KEY,
  createWorld,
  runningProcesses,
  expectOnly,
  httpApp,
  until,
} from './controller-harness.ts';

const bin = fileURLToPath(new URL('../../src/controller/bin.ts', import.meta.url));
const HOLDER = 'crash-test-controller';

let world: ControllerWorld;
let commands: ControllerCommands;
let child: ChildProcess | undefined;
let load: LoadRun | undefined;

async function startChild(): Promise<void> {
  const proc = spawn(
    process.execPath,
    [bin, '--state', world.stateDir, '--holder', HOLDER, '--tick-ms', '50'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"ready":true')) resolve();
    });
    proc.once('exit', (code) =>
      reject(new Error(`the controller exited (${code}) before it was ready`)),
    );
  });
  proc.removeAllListeners('exit');
}

async function killChild(): Promise<void> {
  const proc = child;
  if (proc === undefined || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
  child = undefined;
}

function rollout(id: number): Rollout {
  return world.store.getRollout(id) as Rollout;
}

function phaseOf(id: number): string | undefined {
  return (rollout(id).data as { strategy?: { phase?: string } }).strategy?.phase;
}

/** Kill the controller, check that traffic flows without it, start it again. */
async function crashAndRestart(): Promise<void> {
  await killChild();
  const served = load?.snapshot().ok ?? 0;
  await until(() => (load?.snapshot().ok ?? 0) >= served + 50);
  expect(load?.snapshot().failed ?? 0).toBe(0);
  await startChild();
}

async function expectNoOrphans(): Promise<void> {
  // Instances being retired finish their drain and stop first.
  await until(() => world.store.listInstances(KEY).every((i) => i.desired));
  const stored = new Set(world.store.listInstances(KEY).map((i) => i.record.instanceId));
  const running = await until(() => {
    const now = runningProcesses(world.stateDir, KEY.service, KEY.environment);
    return now.instances.size === stored.size && now.supervisors === stored.size && now;
  }, 100);
  expect([...running.instances].sort()).toEqual([...stored].sort());
}

beforeAll(async () => {
  world = await createWorld();
  commands = new ControllerCommands({
    store: world.store,
    holderId: HOLDER,
    runtimeFor: () => world.runtime,
  });
  await startChild();
});

afterAll(async () => {
  load?.stop();
  await load?.done;
  if (child !== undefined) {
    const proc = child;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }
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
    await until(() => rollout(view.id).status === 'succeeded');
    load = startLoad({
      url: `http://127.0.0.1:${world.listen}/`,
      concurrency: 4,
      maxRequests: 1_000_000,
      maxDurationMs: 600_000,
      pauseMs: 5,
    });
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
    await expectNoOrphans();
  });

  it('resumes v2 after a kill at each boundary and ends succeeded with no orphan', async () => {
    const spec = world.spec({ strategy: '{ blueGreen: { scaleDownDelay: 3s } }' });
    const { id } = await commands.deploy({ ...KEY, version: 'v2', spec, requestedBy: 'tester' });

    // pending → starting
    await until(() => phaseOf(id) === 'waitingHealthy');
    await crashAndRestart();
    // instances of the new pool started and recorded
    await until(
      () =>
        world.store.listInstances({ ...KEY, pool: 'green' }).filter((i) => i.record.port > 0)
          .length === 2,
    );
    await crashAndRestart();
    // healthy, on preview, paused for promote
    await until(() => phaseOf(id) === 'awaitingPromote');
    await crashAndRestart();
    expect(phaseOf(id)).toBe('awaitingPromote');
    // during the pause; promote is written while the controller is dead
    await killChild();
    await commands.promote(KEY, { full: false });
    await startChild();
    // after the switch
    await until(() => phaseOf(id) === 'scaleDownDelay');
    expect(await expectOnly(load as LoadRun, 'v2')).toEqual({ v2: expect.any(Number) });
    await crashAndRestart();
    // during scaleDownDelay
    expect(phaseOf(id)).toBe('scaleDownDelay');
    await crashAndRestart();
    // after the drain began
    await until(() => phaseOf(id) === 'scalingDown' || rollout(id).status === 'succeeded');
    await crashAndRestart();

    await until(() => rollout(id).status === 'succeeded');
    await expectNoOrphans();
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
      command: `"${process.execPath}" "${httpApp}"`,
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
    await expectNoOrphans();
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

// Keeps the import honest: the in-process Controller is the same class bin.ts runs.
void Controller;
