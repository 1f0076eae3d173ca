import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import { blueGreen, describeBlueGreen } from './blue-green.ts';
import type { BlueGreenState } from './blue-green.ts';
import { Reason } from './reasons.ts';
import type { Topology } from './topology.ts';
import { StrategyHarness, routingUpdates, v1Live } from './strategy-harness.ts';

function spec(strategy: string, extra = ''): ResolvedSpec {
  const text = [
    'service: shop',
    'runtime: { type: process, command: "node server.js" }',
    'replicas: 2',
    'healthCheck: { startupTimeout: 10s }',
    'router: { listen: 8080, preview: 8081 }',
    `strategy: ${strategy}`,
    extra,
  ].join('\n');
  return parseSpec({ text, file: 'switchyard.yaml', env: {} });
}

const BG = '{ blueGreen: { scaleDownDelay: 30s } }';
const V1_LIVE = v1Live('blue', 2);

class Harness extends StrategyHarness<BlueGreenState> {
  constructor(options: { spec: ResolvedSpec; topology?: Topology }) {
    super({ strategy: blueGreen, ...options });
  }
}

describe('blue/green: first deploy', () => {
  it('starts the pool, waits for health, then routes 100% and succeeds', () => {
    const h = new Harness({ spec: spec(BG) });
    const first = h.tick();
    expect(first).toContainEqual({
      type: 'startPool',
      pool: 'blue',
      revision: 2,
      revisionId: 2,
      version: 'v2',
      replicas: 2,
    });
    expect(h.phase).toBe('waitingHealthy');
    expect(h.weights()).toEqual({ blue: 0 });
    h.setPool('blue', 2, 2, false);
    h.advance(1000);
    expect(h.phase).toBe('waitingHealthy');
    h.setPool('blue', 2, 1, true);
    h.instances.push({ pool: 'blue', revision: 2, desired: true, healthy: false });
    h.advance(1000);
    expect(h.phase).toBe('waitingHealthy');
    h.setPool('blue', 2, 2, true);
    const live = h.advance(1000);
    expect(routingUpdates(live)).toBe(1);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.status).toBe('succeeded');
    expect(h.phase).toBe('done');
  });

  it('runs any strategy the same way when nothing is live yet', () => {
    const h = new Harness({ spec: spec('{ rolling: {} }') });
    h.tick();
    h.setPool('blue', 2, 2);
    h.advance(100);
    expect(h.status).toBe('succeeded');
  });
});

describe('blue/green: a new version beside a live one', () => {
  function started(strategy = BG, extra = ''): Harness {
    const h = new Harness({ spec: spec(strategy, extra), topology: V1_LIVE });
    h.tick();
    return h;
  }

  function healthy(h: Harness): void {
    h.setPool('green', 2, 2);
    h.advance(500);
  }

  /** Healthy and promoted: traffic switched, the old pool kept for scaleDownDelay. */
  function switched(h: Harness): void {
    healthy(h);
    h.sendCommand('promote', 100);
  }

  it('starts the other colour at weight 0 and leaves traffic on the live pool', () => {
    const h = started();
    expect(h.state?.newPool).toBe('green');
    expect(h.weights()).toEqual({ blue: 100, green: 0 });
    expect(h.topology.pools.map((p) => p.name)).toEqual(['blue', 'green']);
    expect(h.status).toBe('progressing');
    expect(h.reasons).toEqual([Reason.PoolStarting]);
  });

  it('shows the healthy pool on the preview listener and pauses for promote', () => {
    const h = started();
    healthy(h);
    expect(h.phase).toBe('awaitingPromote');
    expect(h.status).toBe('paused');
    expect(h.topology.previewPool).toBe('green');
    expect(h.weights()).toEqual({ blue: 100, green: 0 });
    // Hours later it still waits.
    h.advance(3_600_000);
    expect(h.phase).toBe('awaitingPromote');
    expect(h.lastActions).toEqual([{ type: 'wait', until: null, for: 'promote' }]);
  });

  it('switches all traffic in one router update on promote, keeping the old pool at 0', () => {
    const h = started();
    healthy(h);
    const actions = h.sendCommand('promote', 100);
    expect(routingUpdates(actions)).toBe(1);
    expect(h.weights()).toEqual({ green: 100, blue: 0 });
    expect(h.phase).toBe('scaleDownDelay');
    expect(h.status).toBe('progressing');
    expect(h.reasons.at(-1)).toBe(Reason.TrafficSwitched);
  });

  it('keeps the old pool for scaleDownDelay, then drains it and succeeds once it is gone', () => {
    const h = started();
    switched(h);
    h.advance(29_000);
    expect(h.phase).toBe('scaleDownDelay');
    expect(h.topology.pools.map((p) => p.name)).toContain('blue');
    const down = h.advance(1_000);
    expect(down).toContainEqual({ type: 'removePool', pool: 'blue' });
    expect(h.phase).toBe('scalingDown');
    expect(h.weights()).toEqual({ green: 100 });
    h.advance(1_000);
    expect(h.phase).toBe('scalingDown');
    h.dropPool('blue');
    h.advance(100);
    expect(h.status).toBe('succeeded');
    expect(h.reasons.at(-1)).toBe(Reason.RolloutSucceeded);
  });

  it('a promote that comes while instances still start switches as soon as they are healthy', () => {
    const h = started();
    h.sendCommand('promote', 100);
    expect(h.phase).toBe('waitingHealthy');
    expect(h.reasons.at(-1)).toBe(Reason.PromoteRequested);
    healthy(h);
    expect(h.phase).toBe('scaleDownDelay');
  });

  it('promotes on its own after autoPromote, timed from when the pool became healthy', () => {
    const h = started('{ blueGreen: { autoPromote: 20s, scaleDownDelay: 5s } }');
    h.advance(5_000);
    healthy(h);
    expect(h.phase).toBe('awaitingPromote');
    expect(h.status).toBe('progressing');
    expect(describeBlueGreen(h.state as BlueGreenState, h.now)).toBe(
      'waiting for promote (autoPromote in 20s)',
    );
    h.advance(19_999);
    expect(h.phase).toBe('awaitingPromote');
    h.advance(1);
    expect(h.phase).toBe('scaleDownDelay');
  });

  it('pause holds autoPromote and the scale-down; resume lets them go', () => {
    const h = started('{ blueGreen: { autoPromote: 10s, scaleDownDelay: 5s } }');
    healthy(h);
    h.sendCommand('pause', 100);
    expect(h.status).toBe('paused');
    expect(h.reasons.at(-1)).toBe(Reason.Paused);
    h.advance(60_000);
    expect(h.phase).toBe('awaitingPromote');
    h.sendCommand('resume', 100);
    expect(h.phase).toBe('scaleDownDelay');
    h.sendCommand('pause', 100);
    h.advance(60_000);
    expect(h.phase).toBe('scaleDownDelay');
    h.sendCommand('resume', 100);
    expect(h.phase).toBe('scalingDown');
  });

  it('fails on startupTimeout with traffic untouched and the new pool removed', () => {
    const h = started();
    h.setPool('green', 2, 2, false);
    h.advance(9_999);
    expect(h.phase).toBe('waitingHealthy');
    const actions = h.advance(1);
    expect(actions).toContainEqual({ type: 'removePool', pool: 'green' });
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.topology.previewPool).toBeNull();
    expect(h.reasons.at(-1)).toBe(Reason.StartupTimeout);
    expect(h.status).toBe('progressing');
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('failed');
    expect(h.reasons.at(-1)).toBe(Reason.StartupTimeout);
  });

  it('abort before the switch keeps traffic on the live pool and removes the new one', () => {
    const h = started();
    healthy(h);
    h.sendCommand('abort', 100);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.topology.pools.map((p) => p.name)).toEqual(['blue']);
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('aborted');
  });

  it('abort after the switch, within scaleDownDelay, puts traffic back in one update', () => {
    const h = started(
      '{ blueGreen: { scaleDownDelay: 30s } }',
      'hooks: { postRollback: "echo back" }',
    );
    switched(h);
    const actions = h.sendCommand('abort', 10_000);
    expect(routingUpdates(actions)).toBe(1);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(actions).toContainEqual({ type: 'runHook', hook: 'postRollback' });
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('aborted');
  });

  it('rollback within scaleDownDelay ends the rollout rolledBack', () => {
    const h = started();
    switched(h);
    h.sendCommand('rollback', 100);
    expect(h.weights()).toEqual({ blue: 100 });
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('rolledBack');
    expect(h.reasons.at(-1)).toBe(Reason.RolledBack);
  });

  it('ignores abort once the old pool is being stopped', () => {
    const h = started('{ blueGreen: { scaleDownDelay: 0s } }');
    switched(h);
    h.advance(100);
    expect(h.phase).toBe('scalingDown');
    h.sendCommand('abort', 100);
    expect(h.reasons.at(-1)).toBe(Reason.CommandIgnored);
    expect(h.weights()).toEqual({ green: 100 });
  });

  it('runs preDeploy first; a failing preDeploy fails the rollout with nothing started', () => {
    const h = new Harness({ spec: spec(BG, 'hooks: { preDeploy: "exit 1" }'), topology: V1_LIVE });
    const first = h.tick();
    expect(first).toContainEqual({ type: 'runHook', hook: 'preDeploy' });
    expect(first.some((a) => a.type === 'startPool')).toBe(false);
    // Asked again while it has no result, so a restarted controller reruns it.
    expect(h.advance(100)).toContainEqual({ type: 'runHook', hook: 'preDeploy' });
    h.hooks = { preDeploy: { ok: false, detail: 'exit code 1' } };
    h.advance(100);
    expect(h.weights()).toEqual({ blue: 100 });
    h.advance(100);
    expect(h.status).toBe('failed');
    expect(h.reasons).toContain(Reason.HookFailed);
  });

  it('a passing preDeploy lets the pool start', () => {
    const h = new Harness({ spec: spec(BG, 'hooks: { preDeploy: "true" }'), topology: V1_LIVE });
    h.tick();
    h.hooks = { preDeploy: { ok: true, detail: 'exit code 0' } };
    const actions = h.advance(100);
    expect(actions.some((a) => a.type === 'startPool')).toBe(true);
    expect(h.phase).toBe('waitingHealthy');
  });

  it('a failing prePromote leaves traffic where it was', () => {
    const h = started(BG, 'hooks: { prePromote: "false", postPromote: "true" }');
    healthy(h);
    h.sendCommand('promote', 100);
    expect(h.phase).toBe('prePromote');
    h.hooks = { prePromote: { ok: false, detail: 'exit code 1' } };
    h.advance(100);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.hooksAsked).not.toContain('postPromote');
  });

  it('runs postDeploy with the pool on preview, before it takes traffic', () => {
    const h = started(BG, 'hooks: { postDeploy: "true" }');
    healthy(h);
    expect(h.phase).toBe('postDeploy');
    expect(h.topology.previewPool).toBe('green');
    h.hooks = { postDeploy: { ok: true, detail: 'exit code 0' } };
    h.advance(100);
    expect(h.phase).toBe('awaitingPromote');
  });

  it('starts previewReplicas, and scales to full size before the switch', () => {
    const h = started('{ blueGreen: { previewReplicas: 1 } }');
    expect(h.topology.pools.find((p) => p.name === 'green')?.replicas).toBe(1);
    h.setPool('green', 2, 1);
    h.advance(100);
    expect(h.phase).toBe('awaitingPromote');
    h.sendCommand('promote', 100);
    expect(h.phase).toBe('scalingUp');
    expect(h.topology.pools.find((p) => p.name === 'green')?.replicas).toBe(2);
    expect(h.weights()).toEqual({ blue: 100, green: 0 });
    h.setPool('green', 2, 2);
    h.advance(100);
    expect(h.weights()).toEqual({ green: 100, blue: 0 });
  });

  it('resumes from persisted state as if never interrupted (restart mid-step)', () => {
    const h = started('{ blueGreen: { autoPromote: 20s } }');
    healthy(h);
    // A new controller reads back exactly what was persisted: JSON round trip.
    const saved = JSON.parse(JSON.stringify(h.state)) as BlueGreenState;
    const resumed = new Harness({ spec: h.spec, topology: h.topology });
    resumed.state = saved;
    resumed.instances = h.instances;
    resumed.now = h.now;
    resumed.advance(10_000);
    expect(resumed.phase).toBe('awaitingPromote');
    resumed.advance(10_000);
    expect(resumed.phase).toBe('scaleDownDelay');
  });

  it('handles each command once, even if it is observed again', () => {
    const h = started();
    healthy(h);
    h.sendCommand('pause', 100);
    const events = h.reasons.length;
    h.advance(100);
    h.advance(100);
    expect(h.reasons.length).toBe(events);
  });

  it('removes a pool left beside the live one before starting', () => {
    const topology: Topology = {
      ...V1_LIVE,
      pools: [
        ...V1_LIVE.pools,
        { name: 'green', revision: 7, revisionId: 7, version: 'old', replicas: 1 },
      ],
    };
    const h = new Harness({ spec: spec(BG), topology });
    const actions = h.tick();
    expect(actions[0]).toEqual({ type: 'removePool', pool: 'green' });
    expect(h.topology.pools.find((p) => p.name === 'green')?.revision).toBe(2);
  });
});

describe('blue/green: pre- and post-promotion analysis', () => {
  const TEMPLATES =
    'analysis: { templates: { smoke: { interval: 1s, count: 2, metrics: [ { successRate: { min: 0.99 } } ] } } }';

  function preview(strategy: string): Harness {
    const h = new Harness({ spec: spec(strategy, TEMPLATES), topology: V1_LIVE });
    h.tick();
    h.setPool('green', 2, 2, true);
    h.tick();
    expect(h.phase).toBe('awaitingPromote');
    return h;
  }

  it('starts the pre-promotion analysis with the preview and lets autoPromote switch only once it passed', () => {
    const h = preview(
      '{ blueGreen: { autoPromote: 5s, prePromotionAnalysis: { templates: [smoke] } } }',
    );
    expect(h.lastActions).toContainEqual({
      type: 'startAnalysis',
      run: 'prePromotion',
      templates: ['smoke'],
      pool: 'green',
      stablePool: 'blue',
      background: false,
    });
    h.analysis['prePromotion'] = { verdict: 'running', message: '' };
    h.advance(10_000);
    expect(h.phase).toBe('awaitingPromote');
    h.analysis['prePromotion'] = { verdict: 'successful', message: 'passed' };
    h.advance(100);
    expect(h.weights()).toEqual({ green: 100, blue: 0 });
  });

  it('a failed pre-promotion analysis removes the new pool with nothing switched', () => {
    const h = preview('{ blueGreen: { prePromotionAnalysis: { templates: [smoke] } } }');
    h.analysis['prePromotion'] = { verdict: 'failed', message: 'successRate 0.5 is below 0.99.' };
    h.advance(100);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.phase).toBe('removingNew');
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('failed');
    expect(h.reasons).toContain(Reason.AnalysisFailed);
  });

  it('an inconclusive pre-promotion analysis pauses until promote accepts it', () => {
    const h = preview(
      '{ blueGreen: { autoPromote: 1s, prePromotionAnalysis: { templates: [smoke] } } }',
    );
    h.analysis['prePromotion'] = { verdict: 'inconclusive', message: 'too little traffic.' };
    h.advance(2_000);
    expect(h.status).toBe('paused');
    expect(h.reasons.at(-1)).toBe(Reason.AnalysisInconclusive);
    h.advance(2_000);
    expect(h.phase).toBe('awaitingPromote');
    h.sendCommand('promote', 100);
    expect(h.weights()).toEqual({ green: 100, blue: 0 });
  });

  it('a failed post-promotion analysis puts all traffic back on the old pool and ends rolled back', () => {
    const h = preview(
      '{ blueGreen: { scaleDownDelay: 1s, postPromotionAnalysis: { templates: [smoke] } } }',
    );
    const switched = h.sendCommand('promote', 100);
    expect(switched).toContainEqual(
      expect.objectContaining({ type: 'startAnalysis', run: 'postPromotion' }),
    );
    h.analysis['postPromotion'] = { verdict: 'running', message: '' };
    h.advance(5_000);
    expect(h.phase).toBe('scaleDownDelay'); // the old pool waits for the verdict
    h.analysis['postPromotion'] = { verdict: 'failed', message: 'successRate 0.5 is below 0.99.' };
    const back = h.advance(100);
    expect(routingUpdates(back)).toBe(1);
    expect(h.weights()).toEqual({ blue: 100 });
    h.dropPool('green');
    h.advance(100);
    expect(h.status).toBe('rolledBack');
  });

  it('a passed post-promotion analysis lets the old pool go after scaleDownDelay', () => {
    const h = preview(
      '{ blueGreen: { scaleDownDelay: 1s, postPromotionAnalysis: { templates: [smoke] } } }',
    );
    h.sendCommand('promote', 100);
    h.analysis['postPromotion'] = { verdict: 'successful', message: 'passed' };
    h.advance(1_000);
    expect(h.phase).toBe('scalingDown');
  });
});
