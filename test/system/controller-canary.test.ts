/**
 * Canary and rolling end to end on real parts: a router process, instances of
 * the test app under the process runtime, analysis reading the router's own
 * windows, and steady load through the router the whole time. A healthy
 * canary is promoted with no failed request; a canary that fails 20% of its
 * requests, or answers too slowly, is aborted by analysis with all traffic
 * back on stable; a rolling update of five instances loses no request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import {
  canarySpecOptions,
  expectAbortedByAnalysis,
  expectPromoted,
  otherFailures,
} from './canary-support.ts';
import type { ControllerWorld } from './controller-harness.ts';
import {
  KEY,
  createWorld,
  expectOnly,
  startInProcessController,
  startLiveLoad,
  stopStarted,
  until,
} from './controller-harness.ts';

let world: ControllerWorld;
let controller: Controller;
let load: LoadRun;

function canarySpec(strategy: string, env = '') {
  const templates = ['errors', 'latency', 'vsStable'] as const;
  return world.spec(canarySpecOptions({ strategy, templates, env }));
}

async function deploy(version: string, spec: ReturnType<typeof canarySpec>): Promise<number> {
  const view = await controller.deploy({ ...KEY, version, spec, requestedBy: 'tester' });
  return view.id;
}

beforeAll(async () => {
  world = await createWorld();
  controller = await startInProcessController(world, 'canary-controller');
});

afterAll(() => stopStarted({ load, controller, world }));

describe('controller: canary with analysis, under load', () => {
  it('first deploy of v1 takes all traffic', async () => {
    const id = await deploy('v1', canarySpec('{ canary: { steps: [ { setWeight: 50 } ] } }'));
    expect((await world.finished(id)).status).toBe('succeeded');
    load = startLiveLoad(world.listen, { slowEvery: 10, slowMs: 100 });
    expect(await expectOnly(load, 'v1')).toEqual({ v1: expect.any(Number) });
  });

  it('promotes a healthy canary through setWeight, pause, inline analysis and the background comparison', async () => {
    const id = await deploy(
      'v2',
      canarySpec(
        '{ canary: { analysis: { templates: [vsStable] }, steps: [ { setWeight: 25 }, { pause: 2s }, { analysis: { templates: [errors] } }, { setWeight: 50 }, { pause: 1s } ] } }',
      ),
    );
    await until(() => world.rollout(id).weights.some((w) => w.weight === 25));
    await expectPromoted({ world, load, id }, 'v2');
    // The inline analysis measured twice and passed; each measurement is an event.
    const measured = world
      .events(id, 'analysis.measurement')
      .filter((e) => e.data?.['template'] === 'errors');
    expect(measured).toHaveLength(2);
    expect(measured.every((e) => e.data?.['phase'] === 'successful')).toBe(true);
    const verdicts = world
      .events(id, 'analysis.verdict')
      .map((e) => [e.data?.['template'], e.data?.['verdict']]);
    expect(verdicts).toContainEqual(['errors', 'successful']);
    const status = await controller.status(KEY);
    expect(status.rollout?.analysis.map((a) => [a.run, a.template])).toEqual([
      ['background', 'vsStable'],
      ['step-2', 'errors'],
    ]);
  });

  it('aborts a canary that fails 20% of its requests: the comparison with stable decides, all traffic back on v2', async () => {
    const id = await deploy(
      'v3',
      canarySpec(
        '{ canary: { analysis: { templates: [vsStable] }, steps: [ { setWeight: 20 }, { pause: 5m } ] } }',
        'FAIL_RATE: "0.2"',
      ),
    );
    await expectAbortedByAnalysis({ world, load, id }, { because: /error rate/i, stable: 'v2' });
    // Clients saw the canary's own 500s while it took traffic, and nothing else.
    expect(otherFailures(load, 'v3')).toEqual([]);
    expect(load.snapshot().failures.length).toBeGreaterThan(0);
    expect(world.store.listInstances(KEY).map((i) => i.record.version)).toEqual(['v2', 'v2']);
    const verdict = world.events(id, 'analysis.verdict');
    expect(verdict.map((e) => e.data?.['verdict'])).toEqual(['failed']);
  });

  it('aborts a slow canary (p99 over its limit) in an inline analysis step', async () => {
    const before = load.snapshot().failed;
    const id = await deploy(
      'v4',
      canarySpec(
        '{ canary: { steps: [ { setWeight: 20 }, { analysis: { templates: [latency] } }, { setWeight: 100 } ] } }',
        'DELAY_MS: "400"',
      ),
    );
    await expectAbortedByAnalysis({ world, load, id }, { because: /latencyP99/, stable: 'v2' });
    expect(load.snapshot().failed).toBe(before);
  });

  it('abort by hand during a pause returns every request to v2 in one router update', async () => {
    const before = load.snapshot().failed;
    const id = await deploy(
      'v5',
      canarySpec('{ canary: { steps: [ { setWeight: 30 }, { pause: {} } ] } }'),
    );
    await until(() => world.rollout(id).status === 'paused');
    // Sticky by default, and a tester reaches the canary by header at any weight.
    const during = await world.router.client.getConfig();
    expect(during.services[0]?.sticky).toBe(true);
    for (let i = 0; i < 5; i++) {
      const answer = await fetch(`http://127.0.0.1:${world.listen}/`, {
        headers: { 'x-switchyard-pool': 'canary' },
      });
      expect(((await answer.json()) as { version: string }).version).toBe('v5');
    }
    const generation = during.generation;
    await controller.abort(KEY);
    await until(() => world.rollout(id).weights.length === 1);
    const config = await world.router.client.getConfig();
    expect(config.generation).toBeGreaterThanOrEqual(generation + 1);
    expect(config.services[0]?.pools.map((p) => [p.name, p.weight])).toContainEqual(['green', 100]);
    expect((await world.finished(id)).status).toBe('aborted');
    expect(await expectOnly(load, 'v2')).toEqual({ v2: expect.any(Number) });
    expect(load.snapshot().failed).toBe(before);
  });
});

describe('controller: rolling update under load', () => {
  it('replaces 5 instances one at a time with maxUnavailable 0 and loses no request', async () => {
    const before = load.snapshot().failed;
    const first = await deploy(
      'r1',
      world.spec({ replicas: 5, strategy: '{ rolling: { maxSurge: 1, maxUnavailable: 0 } }' }),
    );
    expect((await world.finished(first)).status).toBe('succeeded');
    expect(await expectOnly(load, 'r1')).toEqual({ r1: expect.any(Number) });
    const id = await deploy(
      'r2',
      world.spec({ replicas: 5, strategy: '{ rolling: { maxSurge: 1, maxUnavailable: 0 } }' }),
    );
    let most = 0;
    let fewestHealthy = Number.POSITIVE_INFINITY;
    for (;;) {
      const rollout = world.rollout(id);
      const instances = world.store.listInstances(KEY);
      most = Math.max(most, instances.filter((i) => i.desired).length);
      const state = await world.router.client.getState();
      fewestHealthy = Math.min(fewestHealthy, state.health.filter((h) => h.healthy).length);
      if (rollout.status === 'succeeded' || rollout.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(world.rollout(id).status).toBe('succeeded');
    expect(most).toBeLessThanOrEqual(6);
    expect(fewestHealthy).toBeGreaterThanOrEqual(5);
    expect(await expectOnly(load, 'r2')).toEqual({ r2: expect.any(Number) });
    expect(load.snapshot().failed).toBe(before);
  });
});
