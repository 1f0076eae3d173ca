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
import { Reason } from '../../src/rollout/reasons.ts';
import { LABEL } from '../../src/runtime/container/labels.ts';
import { expectOnly, startLiveLoad, until } from './controller-harness.ts';
import type { ContainerSpecOptions, ContainerWorld } from './container-world.ts';
import { createContainerWorld } from './container-world.ts';

let world: ContainerWorld;
let controller: Controller;
let load: LoadRun;

const TEMPLATES = [
  'analysis:',
  '  templates:',
  '    errors: { interval: 1s, count: 2, metrics: [ { successRate: { min: 0.95 } } ] }',
  '    vsStable: { interval: 1s, count: 1, metrics: [ { compareWithStable: {} } ] }',
].join('\n');

function canary(strategy: string, env = ''): ContainerSpecOptions {
  return { strategy, extra: `${TEMPLATES}\n${env === '' ? '' : `env: { ${env} }`}` };
}

async function deploy(version: string, options: ContainerSpecOptions): Promise<number> {
  const { spec, version: fromTag } = world.deployment(version, options);
  expect(fromTag).toBe(version);
  const view = await controller.deploy({ ...world.key, version, spec, requestedBy: 'tester' });
  return view.id;
}

function events(id: number, type: string) {
  return world.store
    .listEvents({ ...world.key, rolloutId: id })
    .filter((event) => event.type === type);
}

beforeAll(async () => {
  world = await createContainerWorld();
  for (const version of ['v1', 'v2', 'v3']) await world.buildVersion(version);
  controller = await world.startController('containers-canary');
});

afterAll(async () => {
  load?.stop();
  await load?.done;
  await controller?.stop();
  await world?.dispose();
});

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
    const done = await world.finished(id);
    expect(done.status).toBe('succeeded');
    expect(done.weights).toEqual([{ pool: 'green', weight: 100 }]);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    expect(load.snapshot().failed).toBe(0);
    // The background comparison measured the canary against stable all along, and passed.
    const measured = events(id, 'analysis.measurement').filter(
      (e) => e.data?.['template'] === 'vsStable',
    );
    expect(measured.length).toBeGreaterThan(0);
    expect(events(id, 'analysis.verdict').map((e) => e.data?.['verdict'])).not.toContain('failed');
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
    const done = await world.finished(id);
    expect(done.status).toBe('failed');
    expect(done.reason).toBe(Reason.AnalysisFailed);
    expect(done.message).toMatch(/error rate/i);
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    // Clients saw the canary's own 500s while it took traffic, and nothing else.
    const failures = load.snapshot().failures;
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.filter((failure) => failure !== 'HTTP 500 from v3')).toEqual([]);
    expect(events(id, 'analysis.verdict').map((e) => e.data?.['verdict'])).toEqual(['failed']);
    await until(async () => (await world.containers(`${LABEL.version}=v3`)).length === 0);
    expect(world.store.listInstances(world.key).map((i) => i.record.version)).toEqual(['v2', 'v2']);
    expect(await world.containers()).toEqual(world.storedContainers());
  });
});
