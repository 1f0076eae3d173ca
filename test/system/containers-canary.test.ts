/**
 * Canary with container instances on a real engine (Podman's
 * Docker-compatible API), under steady load through a router process. A
 * healthy canary climbs its steps and is promoted with no failed request; a
 * canary whose image fails 20% of its requests (busybox httpd's CGI script,
 * deterministically through a counter file) is aborted by the background
 * comparison with stable, all traffic back on stable and its containers
 * removed from the engine. Each version is its own image tag, deployed as
 * `deploy --image` sends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { LABEL } from '../../src/runtime/container/labels.ts';
import type { WorldSpecOptions } from '../support/world-spec.ts';
import {
  canarySpecOptions,
  expectAbortedByAnalysis,
  expectPromoted,
  otherFailures,
} from './canary-support.ts';
import {
  expectOnly,
  startInProcessController,
  startLiveLoad,
  stopStarted,
  until,
} from './controller-harness.ts';
import type { ContainerWorld } from './container-world.ts';
import { createContainerWorld } from './container-world.ts';

let world: ContainerWorld;
let controller: Controller;
let load: LoadRun;

function canary(strategy: string, env = ''): WorldSpecOptions {
  return canarySpecOptions({ strategy, templates: ['errors', 'vsStable'], env });
}

async function deploy(version: string, options: WorldSpecOptions): Promise<number> {
  const { spec, version: fromTag } = world.deployment(version, options);
  expect(fromTag).toBe(version);
  const view = await controller.deploy({ ...world.key, version, spec, requestedBy: 'tester' });
  return view.id;
}

beforeAll(async () => {
  world = await createContainerWorld();
  for (const version of ['v1', 'v2', 'v3']) await world.buildVersion(version);
  controller = await startInProcessController(world, 'containers-canary');
});

afterAll(() => stopStarted({ load, controller, world }));

describe('containers: canary with analysis, under load', () => {
  it('first deploy of v1 takes all traffic', async () => {
    const id = await deploy('v1', canary('{ canary: { steps: [ { setWeight: 50 } ] } }'));
    expect((await world.finished(id)).status).toBe('succeeded');
    load = startLiveLoad(world.listen, { concurrency: 3, pauseMs: 10, slowEvery: 10, slowMs: 100 });
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
  });

  it('promotes a healthy canary through its weights with the background comparison running, losing no request', async () => {
    const id = await deploy(
      'v2',
      canary(
        '{ canary: { analysis: { templates: [vsStable] }, steps: [ { setWeight: 25 }, { pause: 2s }, { setWeight: 50 }, { pause: 1s } ] } }',
      ),
    );
    await until(() => world.rollout(id).weights.some((w) => w.weight === 25));
    await expectPromoted({ world, load, id }, 'v2');
    // The background comparison measured the canary against stable all along, and passed.
    const measured = world
      .events(id, 'analysis.measurement')
      .filter((e) => e.data?.['template'] === 'vsStable');
    expect(measured.length).toBeGreaterThan(0);
    expect(world.events(id, 'analysis.verdict').map((e) => e.data?.['verdict'])).not.toContain(
      'failed',
    );
    await until(async () => (await world.containers(`${LABEL.version}=v1`)).length === 0);
    expect(await world.containers()).toEqual(world.storedContainers());
  });

  it('aborts a canary that fails 20% of its requests: stable takes all traffic back, the canary containers go', async () => {
    const id = await deploy(
      'v3',
      canary(
        '{ canary: { analysis: { templates: [vsStable] }, steps: [ { setWeight: 20 }, { pause: 5m } ] } }',
        'FAIL_RATE: "0.2"',
      ),
    );
    await expectAbortedByAnalysis({ world, load, id }, { because: /error rate/i, stable: 'v2' });
    // Clients saw the canary's own 500s while it took traffic, and nothing else.
    expect(load.snapshot().failures.length).toBeGreaterThan(0);
    expect(otherFailures(load, 'v3')).toEqual([]);
    expect(world.events(id, 'analysis.verdict').map((e) => e.data?.['verdict'])).toEqual([
      'failed',
    ]);
    await until(async () => (await world.containers(`${LABEL.version}=v3`)).length === 0);
    expect(world.store.listInstances(world.key).map((i) => i.record.version)).toEqual(['v2', 'v2']);
    expect(await world.containers()).toEqual(world.storedContainers());
  });
});
