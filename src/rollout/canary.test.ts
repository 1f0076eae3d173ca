import { describe, expect, it } from 'vitest';
import { PRESETS, parseSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Action } from './actions.ts';
import { BACKGROUND_RUN, canary, describeCanary, inlineRun, replicasFor } from './canary.ts';
import type { CanaryState } from './canary.ts';
import { Reason } from './reasons.ts';
import { StrategyHarness, routingUpdates, v1Live } from './strategy-harness.ts';
import type { Topology } from './topology.ts';

const TEMPLATES = [
  'analysis:',
  '  templates:',
  '    errors: { interval: 5s, count: 2, metrics: [ { successRate: { min: 0.99 } } ] }',
  '    latency: { interval: 5s, count: 2, metrics: [ { latencyP99: { max: 300ms } } ] }',
].join('\n');

function spec(strategy: string, extra = ''): ResolvedSpec {
  const text = [
    'service: shop',
    'runtime: { type: process, command: "node server.js" }',
    'replicas: 4',
    'healthCheck: { startupTimeout: 10s }',
    'router: { listen: 8080, preview: 8081 }',
    `strategy: ${strategy}`,
    TEMPLATES,
    extra,
  ].join('\n');
  return parseSpec({ text, file: 'switchyard.yaml', env: {} });
}

const V1_LIVE = v1Live('blue', 4);

class Harness extends StrategyHarness<CanaryState> {
  constructor(options: { spec: ResolvedSpec; topology?: Topology }) {
    super({ strategy: canary, topology: V1_LIVE, ...options });
  }

  /** Ticks once, then makes the green pool as big as asked and healthy, and ticks again. */
  healthyGreen(): void {
    this.tick();
    this.setPool('green', 2, this.state?.canaryReplicas ?? 0, true);
    this.tick();
  }

  /** What routing said last, as `pool: weight`. */
  lastRouting(): Record<string, number> | undefined {
    const routing = this.lastActions.findLast((a) => a.type === 'setRouting');
    return routing && Object.fromEntries(routing.weights.map((w) => [w.pool, w.weight]));
  }
}

function started(actions: readonly Action[]): string[] {
  return actions.flatMap((a) => (a.type === 'startAnalysis' ? [a.run] : []));
}

const STEPS =
  '{ canary: { steps: [ { setWeight: 10 }, { pause: 30s }, { analysis: { templates: [errors] } }, { setWeight: 50 }, { pause: {} } ] } }';

describe('canary: steps', () => {
  it('starts a one-instance canary at weight 0, then runs setWeight, pause, analysis, setWeight and pause {} in order', () => {
    const h = new Harness({ spec: spec(STEPS) });
    const first = h.tick();
    expect(first).toContainEqual(
      expect.objectContaining({ type: 'startPool', pool: 'green', replicas: 1 }),
    );
    expect(h.weights()).toEqual({ blue: 100, green: 0 });
    expect(h.phase).toBe('waitingHealthy');

    h.setPool('green', 2, 1, true);
    h.tick(); // healthy → step 1: 10%
    expect(h.weights()).toEqual({ blue: 90, green: 10 });
    expect(h.topology.previewPool).toBe('green');
    expect(h.reasons.at(-1)).toBe(Reason.WeightSet);

    h.advance(200); // → step 2: pause 30s
    expect(h.reasons.at(-1)).toBe(Reason.PauseStarted);
    expect(h.status).toBe('progressing');
    h.advance(29_000);
    expect(h.state?.stepIndex).toBe(1);
    expect(h.lastActions).toContainEqual(
      expect.objectContaining({ type: 'wait', for: 'the pause' }),
    );
    h.advance(1_000); // pause over → step 3: analysis
    expect(h.state?.stepIndex).toBe(2);
    expect(started(h.lastActions)).toEqual([inlineRun(2)]);
    expect(h.lastActions).toContainEqual({
      type: 'startAnalysis',
      run: 'step-2',
      templates: ['errors'],
      pool: 'green',
      stablePool: 'blue',
      background: false,
    });
    h.advance(5_000);
    expect(h.state?.stepIndex).toBe(2); // no verdict yet
    h.analysis['step-2'] = { verdict: 'successful', message: 'ok' };
    h.advance(200); // → step 4: setWeight 50 needs 2 instances first
    expect(h.state?.stepIndex).toBe(3);
    expect(h.lastActions).toContainEqual(
      expect.objectContaining({ type: 'startPool', pool: 'green', replicas: 2 }),
    );
    expect(h.weights()).toEqual({ blue: 90, green: 10 }); // not before they are healthy
    h.advance(200);
    expect(h.weights()).toEqual({ blue: 90, green: 10 });
    h.setPool('green', 2, 2, true);
    h.advance(200);
    expect(h.weights()).toEqual({ blue: 50, green: 50 });
    h.advance(200); // → step 5: pause {}
    expect(h.state?.stepIndex).toBe(4);
    expect(h.status).toBe('paused');
    h.advance(3_600_000);
    expect(h.state?.stepIndex).toBe(4);
    h.sendCommand('promote', 200); // past the last step: scale to 4, then all traffic
    expect(h.phase).toBe('promoting');
    expect(h.lastActions).toContainEqual(
      expect.objectContaining({ type: 'startPool', replicas: 4 }),
    );
    h.setPool('green', 2, 4, true);
    const last = h.advance(200);
    expect(routingUpdates(last)).toBe(1);
    expect(h.weights()).toEqual({ green: 100 });
    expect(last).toContainEqual({ type: 'removePool', pool: 'blue' });
    expect(h.phase).toBe('scalingDown');
    h.dropPool('blue');
    h.advance(200);
    expect(h.phase).toBe('done');
    expect(h.status).toBe('succeeded');
  });

  it('sizes the canary at ceil(replicas × weight / 100), at least one', () => {
    expect(replicasFor(4, 10)).toBe(1);
    expect(replicasFor(4, 25)).toBe(1);
    expect(replicasFor(4, 26)).toBe(2);
    expect(replicasFor(4, 100)).toBe(4);
    expect(replicasFor(3, 0)).toBe(1);
  });

  it('a first deploy starts every replica and takes 100% once healthy', () => {
    const h = new Harness({
      spec: spec(STEPS),
      topology: { pools: [], weights: [], previewPool: null },
    });
    h.tick();
    expect(h.lastActions).toContainEqual(
      expect.objectContaining({ type: 'startPool', pool: 'blue', replicas: 4 }),
    );
    h.setPool('blue', 2, 4, true);
    h.tick();
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.status).toBe('succeeded');
  });

  it('promote during a timed pause moves to the next step at once', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    expect(h.state?.stepIndex).toBe(1);
    h.sendCommand('promote', 200);
    expect(h.state?.stepIndex).toBe(2);
    expect(h.state?.promoteRequested).toBe(false); // used once, not carried into the analysis
  });

  it('pause stops a timed pause from ending; resume lets it end', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.sendCommand('pause', 200);
    expect(h.status).toBe('paused');
    h.advance(60_000);
    expect(h.state?.stepIndex).toBe(1);
    h.sendCommand('resume', 200);
    h.advance(200);
    expect(h.state?.stepIndex).toBe(2);
  });

  it('promote --full skips the remaining steps and promotes', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.sendCommand('promoteFull', 200);
    expect(h.phase).toBe('promoting');
    h.setPool('green', 2, 4, true);
    h.advance(200);
    expect(h.weights()).toEqual({ green: 100 });
  });

  it('promote --full during an analysis step stops that analysis', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(30_000);
    expect(h.state?.stepIndex).toBe(2);
    h.sendCommand('promoteFull', 200);
    expect(h.lastActions).toContainEqual({ type: 'stopAnalysis', run: 'step-2' });
  });

  it('a failed startupTimeout while scaling up for a weight returns all traffic to stable', () => {
    const h = new Harness({
      spec: spec('{ canary: { steps: [ { setWeight: 10 }, { setWeight: 50 } ] } }'),
    });
    h.healthyGreen();
    h.advance(200); // step 2 scales to 2
    expect(h.weights()).toEqual({ blue: 90, green: 10 });
    h.advance(10_000);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.phase).toBe('removingNew');
    h.dropPool('green');
    h.advance(200);
    expect(h.status).toBe('failed');
    expect(h.reasons).toContain(Reason.StartupTimeout);
  });
});

describe('canary: analysis', () => {
  it('a failed inline analysis puts 100% back on stable in one router update and removes the canary', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(30_000);
    expect(h.state?.stepIndex).toBe(2);
    h.analysis['step-2'] = { verdict: 'failed', message: 'successRate 0.8 is below 0.99' };
    const actions = h.advance(200);
    expect(routingUpdates(actions)).toBe(1);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(actions).toContainEqual({ type: 'removePool', pool: 'green' });
    expect(actions).toContainEqual({ type: 'stopAnalysis', run: 'step-2' });
    expect(h.messages.at(-1)).toContain('successRate 0.8 is below 0.99');
    h.dropPool('green');
    h.advance(200);
    expect(h.status).toBe('failed');
    expect(h.reasons).toContain(Reason.AnalysisFailed);
  });

  it('an inconclusive inline analysis pauses until promote (accept) or abort', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(30_000);
    h.analysis['step-2'] = { verdict: 'inconclusive', message: 'too little traffic' };
    h.advance(200);
    h.advance(200);
    expect(h.status).toBe('paused');
    expect(h.state?.stepIndex).toBe(2);
    h.sendCommand('promote', 200);
    expect(h.state?.stepIndex).toBe(3);
  });

  it('abort during an analysis step stops it and returns to stable', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(30_000);
    const actions = h.sendCommand('abort', 200);
    expect(actions).toContainEqual({ type: 'stopAnalysis', run: 'step-2' });
    expect(h.weights()).toEqual({ blue: 100 });
    h.dropPool('green');
    h.advance(200);
    expect(h.status).toBe('aborted');
  });

  it('the background analysis starts with the first step and aborts the rollout the moment it fails', () => {
    const h = new Harness({
      spec: spec(
        '{ canary: { analysis: { templates: [errors, latency] }, steps: [ { setWeight: 20 }, { pause: 10m }, { setWeight: 60 } ] } }',
      ),
    });
    h.tick();
    h.setPool('green', 2, 1, true);
    const first = h.tick();
    expect(first).toContainEqual({
      type: 'startAnalysis',
      run: BACKGROUND_RUN,
      templates: ['errors', 'latency'],
      pool: 'green',
      stablePool: 'blue',
      background: true,
    });
    h.advance(200);
    h.advance(60_000);
    expect(started(h.history).filter((run) => run === BACKGROUND_RUN)).toHaveLength(1);
    h.analysis[BACKGROUND_RUN] = {
      verdict: 'failed',
      message: 'canary error rate 20% vs stable 0%',
    };
    const actions = h.advance(200);
    expect(routingUpdates(actions)).toBe(1);
    expect(h.weights()).toEqual({ blue: 100 });
    expect(actions).toContainEqual({ type: 'stopAnalysis', run: BACKGROUND_RUN });
    h.dropPool('green');
    h.advance(200);
    expect(h.status).toBe('failed');
  });

  it('a background analysis still running does not hold a promotion; it is stopped at the switch', () => {
    const h = new Harness({
      spec: spec('{ canary: { analysis: { templates: [errors] }, steps: [ { setWeight: 50 } ] } }'),
    });
    h.healthyGreen();
    h.analysis[BACKGROUND_RUN] = { verdict: 'running', message: '' };
    h.advance(200);
    h.setPool('green', 2, 4, true);
    const actions = h.advance(200);
    expect(actions).toContainEqual({ type: 'stopAnalysis', run: BACKGROUND_RUN });
    expect(h.weights()).toEqual({ green: 100 });
  });
});

describe('canary: commands and restarts', () => {
  it('rollback after the canary took traffic ends rolledBack; abort before ends aborted', () => {
    const rolled = new Harness({ spec: spec(STEPS) });
    rolled.healthyGreen();
    rolled.sendCommand('rollback', 200);
    rolled.dropPool('green');
    rolled.advance(200);
    expect(rolled.status).toBe('rolledBack');

    const aborted = new Harness({ spec: spec(STEPS) });
    aborted.tick();
    aborted.sendCommand('abort', 200);
    aborted.dropPool('green');
    aborted.advance(200);
    expect(aborted.status).toBe('aborted');
  });

  it('abort once the old pool is stopping is ignored with a sentence', () => {
    const h = new Harness({ spec: spec('{ canary: { steps: [ { setWeight: 100 } ] } }') });
    h.healthyGreen();
    h.advance(200);
    expect(h.phase).toBe('scalingDown');
    h.sendCommand('abort', 200);
    expect(h.reasons.at(-1)).toBe(Reason.CommandIgnored);
    expect(h.phase).toBe('scalingDown');
  });

  it('resumes a timed pause after a restart with the same deadline (the state is all it needs)', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    const saved = JSON.parse(JSON.stringify(h.state)) as CanaryState;
    const again = new Harness({ spec: spec(STEPS) });
    again.state = saved;
    again.topology = h.topology;
    again.instances = h.instances;
    again.now = h.now + 29_000;
    again.tick();
    expect(again.state?.stepIndex).toBe(1);
    again.advance(1_000);
    expect(again.state?.stepIndex).toBe(2);
  });

  it('runs preDeploy before anything starts and postRollback after an abort that had traffic', () => {
    const h = new Harness({
      spec: spec(STEPS, 'hooks: { preDeploy: "true", postRollback: "true" }'),
    });
    h.tick();
    expect(h.phase).toBe('preDeploy');
    expect(h.hooksAsked).toEqual(['preDeploy']);
    h.hooks.preDeploy = { ok: true, detail: 'exit code 0' };
    h.tick();
    h.setPool('green', 2, 1, true);
    h.tick();
    h.sendCommand('abort', 200);
    expect(h.hooksAsked).toContain('postRollback');
  });

  it('describes each step for status', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(10_000);
    expect(describeCanary(h.state as CanaryState, h.spec, h.now)).toBe(
      'step 2/5, canary at 10%: pause 30s (20s left)',
    );
  });
});

describe('canary: pause, promote and hooks in every step', () => {
  it('pause holds a setWeight step and the final switch, not only a timed pause', () => {
    const h = new Harness({
      spec: spec('{ canary: { steps: [ { setWeight: 10 }, { setWeight: 60 } ] } }'),
    });
    h.healthyGreen(); // 10%
    h.sendCommand('pause', 200); // would enter step 2 (scale to 3)
    h.advance(200);
    expect(h.status).toBe('paused');
    expect(h.state?.stepIndex).toBe(0);
    h.setPool('green', 2, 3, true);
    h.advance(10_000);
    expect(h.weights()).toEqual({ blue: 90, green: 10 });
    h.sendCommand('resume', 200);
    h.advance(200);
    h.advance(200);
    expect(h.weights()).toEqual({ blue: 40, green: 60 });
  });

  it('a failed inline analysis still aborts while paused', () => {
    const h = new Harness({ spec: spec(STEPS) });
    h.healthyGreen();
    h.advance(200);
    h.advance(30_000);
    expect(h.state?.stepIndex).toBe(2);
    h.sendCommand('pause', 200);
    h.analysis['step-2'] = { verdict: 'failed', message: 'successRate 0.5 is below 0.99.' };
    h.advance(200);
    expect(h.weights()).toEqual({ blue: 100 });
  });

  it('an inconclusive background analysis pauses the rollout until resume', () => {
    const h = new Harness({
      spec: spec(
        '{ canary: { analysis: { templates: [errors] }, steps: [ { setWeight: 20 }, { pause: 1s } ] } }',
      ),
    });
    h.healthyGreen();
    h.analysis[BACKGROUND_RUN] = { verdict: 'inconclusive', message: 'too little traffic.' };
    h.advance(200);
    expect(h.status).toBe('paused');
    expect(h.reasons.at(-1)).toBe(Reason.AnalysisInconclusive);
    h.advance(60_000);
    expect(h.state?.stepIndex).toBe(0);
    h.sendCommand('resume', 200);
    h.advance(200);
    expect(h.state?.stepIndex).toBe(1);
  });

  it('a promote sent while the canary scales up for its weight ends the pause that follows', () => {
    const h = new Harness({
      spec: spec(
        '{ canary: { steps: [ { setWeight: 10 }, { setWeight: 50 }, { pause: {} }, { setWeight: 80 } ] } }',
      ),
    });
    h.healthyGreen();
    h.advance(200); // step 2 scales to 2
    h.sendCommand('promote', 200);
    h.setPool('green', 2, 2, true);
    h.advance(200); // 50%
    h.advance(200); // enters pause {}; the promote is still owed
    h.advance(200);
    expect(h.state?.stepIndex).toBe(3);
  });

  it('a first deploy runs the postDeploy hook before it takes traffic', () => {
    const h = new Harness({
      spec: spec(STEPS, 'hooks: { postDeploy: "true" }'),
      topology: { pools: [], weights: [], previewPool: null },
    });
    h.tick();
    h.setPool('blue', 2, 4, true);
    h.tick();
    expect(h.phase).toBe('postDeploy');
    expect(h.weights()).toEqual({ blue: 0 });
    h.hooks.postDeploy = { ok: true, detail: 'exit code 0' };
    h.tick();
    expect(h.weights()).toEqual({ blue: 100 });
    expect(h.status).toBe('succeeded');
  });
});

describe('canary: presets (AWS CodeDeploy semantics)', () => {
  /** Runs a preset to the end, returning [minutes since start, canary weight] at each change. */
  function timeline(preset: keyof typeof PRESETS): Array<[number, number]> {
    const h = new Harness({ spec: spec(`{ preset: ${preset} }`) });
    h.tick();
    h.setPool('green', 2, 4, true);
    const start = h.now;
    const changes: Array<[number, number]> = [];
    let last = -1;
    for (let i = 0; i < 20_000 && h.phase !== 'done'; i++) {
      h.advance(100);
      if (h.phase === 'scalingDown') h.dropPool('blue');
      const weight = h.weights()['green'] ?? 0;
      if (weight !== last) {
        changes.push([Math.round((h.now - start) / 60_000), weight]);
        last = weight;
      }
    }
    expect(h.status).toBe('succeeded');
    return changes;
  }

  it('Canary10Percent5Minutes: 10%, then the other 90% five minutes later', () => {
    expect(timeline('Canary10Percent5Minutes')).toEqual([
      [0, 10],
      [5, 100],
    ]);
  });

  it('Canary10Percent15Minutes: 10%, then the other 90% fifteen minutes later', () => {
    expect(timeline('Canary10Percent15Minutes')).toEqual([
      [0, 10],
      [15, 100],
    ]);
  });

  it('Linear10PercentEvery1Minute: ten equal increments one minute apart', () => {
    expect(timeline('Linear10PercentEvery1Minute')).toEqual(
      Array.from({ length: 10 }, (_, i) => [i, (i + 1) * 10]),
    );
  });

  it('Linear10PercentEvery3Minutes: ten equal increments three minutes apart', () => {
    expect(timeline('Linear10PercentEvery3Minutes')).toEqual(
      Array.from({ length: 10 }, (_, i) => [i * 3, (i + 1) * 10]),
    );
  });

  it('AllAtOnce: everything at once', () => {
    expect(timeline('AllAtOnce')).toEqual([[0, 100]]);
  });

  it('presets are sticky', () => {
    for (const preset of Object.values(PRESETS)) expect(preset.sticky).toBe(true);
  });
});
