import { describe, expect, it } from 'vitest';
import { durationMs, parseSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Action } from './actions.ts';
import { Reason } from './reasons.ts';
import { describeRolling, rolling, rollingBudget, rollingStatusOf } from './rolling.ts';
import type { RollingState } from './rolling.ts';
import type { InstanceObservation, StrategyStep } from './strategy.ts';
import { StrategyHarness, T0, v1Live } from './strategy-harness.ts';
import { EMPTY_TOPOLOGY } from './topology.ts';
import type { Topology } from './topology.ts';

function spec(options: { replicas: number; rolling?: string; extra?: string }): ResolvedSpec {
  const text = [
    'service: shop',
    'runtime: { type: process, command: "node server.js" }',
    `replicas: ${options.replicas}`,
    'router: { listen: 8080, preview: 8081 }',
    `strategy: { rolling: ${options.rolling ?? '{}'} }`,
    options.extra ?? '',
  ].join('\n');
  return parseSpec({ text, file: 'switchyard.yaml', env: {} });
}

/** One simulated instance: the controller's record plus the router's health view. */
interface Sim extends InstanceObservation {
  desired: boolean;
  healthy: boolean;
  healthySince: number | null;
}

/**
 * The shared harness with the world simulated per instance, on a fake clock:
 * after every tick it converges instances the way InstanceManager does (a
 * pool keeps its oldest instances, the rest drain; missing ones start
 * unhealthy) and checks the rolling invariants. Tests decide when instances
 * become healthy and when drained ones are gone.
 */
class Harness extends StrategyHarness<RollingState, Sim> {
  /** Check capacity and surge bounds (off where a test breaks instances on purpose). */
  strict = true;
  /** Extremes seen by the invariant checks. */
  maxInstances = 0;
  minAvailable = Number.POSITIVE_INFINITY;

  constructor(options: { spec: ResolvedSpec; topology?: Topology }) {
    super({ strategy: rolling, ...options });
  }

  /** A new controller reading back exactly what this one persisted. */
  restarted(): Harness {
    const copy = new Harness({ spec: this.spec, topology: clone(this.topology) });
    copy.now = this.now;
    copy.state = clone(this.state);
    copy.instances = clone(this.instances);
    copy.hooks = clone(this.hooks);
    copy.commands = clone(this.commands);
    copy.strict = this.strict;
    return copy;
  }

  /** Up to `count` started, unhealthy instances of the pool pass their health checks now. */
  heal(pool: string, count = Number.POSITIVE_INFINITY): void {
    let left = count;
    for (const instance of this.instances) {
      if (left > 0 && instance.pool === pool && instance.desired && !instance.healthy) {
        instance.healthy = true;
        instance.healthySince = this.now;
        left -= 1;
      }
    }
  }

  /** Drained instances finish stopping and leave the store. */
  stopDrained(): void {
    this.instances = this.instances.filter((instance) => instance.desired);
  }

  /** Every tick: all started instances healthy, drained ones gone; until the rollout ends. */
  runToEnd(stepMs = 1_000): void {
    for (let i = 0; i < 1_000 && this.state?.phase !== 'done'; i += 1) {
      this.heal('a');
      this.heal('b');
      this.stopDrained();
      this.advance(stepMs);
    }
    expect(this.state?.phase).toBe('done');
  }

  planned(pool: string): number | undefined {
    return this.topology.pools.find((p) => p.name === pool)?.replicas;
  }

  healthyIn(pool: string): number {
    return this.instances.filter((i) => i.pool === pool && i.desired && i.healthy).length;
  }

  count(pool: string): number {
    return this.instances.filter((i) => i.pool === pool).length;
  }

  /** A healthy one has been so for an hour (past any minHealthyTime); a started one is not yet. */
  protected override newInstance(pool: string, revision: number, healthy: boolean): Sim {
    const healthySince = healthy ? this.now - 3_600_000 : null;
    return { pool, revision, desired: true, healthy, healthySince };
  }

  protected override settle(step: StrategyStep<RollingState>): void {
    expect(clone(step.state)).toEqual(step.state);
    const marks = step.actions.filter((action) => action.type === 'markStatus');
    expect(marks.length).toBeLessThanOrEqual(1);
    const changes = step.actions.some((action) =>
      ['startPool', 'setRouting', 'removePool'].includes(action.type),
    );
    if (changes) expect(marks).toHaveLength(1);
    expect(rollingStatusOf(step.state)).toBe(this.status);
    this.#converge();
    this.#checkInvariants();
  }

  /** What InstanceManager.converge does: keep the oldest `replicas` per pool, start the missing. */
  #converge(): void {
    const keep = new Set<Sim>();
    for (const plan of this.topology.pools) {
      const mine = this.instances.filter(
        (i) => i.desired && i.pool === plan.name && i.revision === plan.revision,
      );
      for (const instance of mine.slice(0, plan.replicas)) keep.add(instance);
      for (let i = mine.length; i < plan.replicas; i += 1) {
        const started = this.newInstance(plan.name, plan.revision, false);
        keep.add(started);
        this.instances.push(started);
      }
    }
    for (const instance of this.instances) {
      if (!keep.has(instance)) instance.desired = false;
    }
  }

  #checkInvariants(): void {
    const state = this.state as RollingState;
    // While both pools are routed, each weighs exactly its healthy, wanted instances.
    if (this.topology.weights.length === 2) {
      const held = this.spec.hooks.postDeploy !== undefined && !state.postDeployPassed;
      for (const { pool, weight } of this.topology.weights) {
        const expected = held && pool === state.newPool ? 0 : this.healthyIn(pool);
        expect(weight, `weight of pool ${pool} at ${this.now - T0}ms`).toBe(expected);
      }
    }
    if (!this.strict || state.stable === null) return;
    if (!['rolling', 'postDeploy', 'scalingDown', 'done'].includes(state.phase)) return;
    if (state.outcome !== null) return;
    const minHealthyMs = durationMs(
      'rolling' in this.spec.strategy ? this.spec.strategy.rolling.minHealthyTime : '0s',
    );
    const available = this.instances.filter(
      (i) =>
        i.desired &&
        i.healthy &&
        (i.pool === state.stable?.pool ||
          (i.healthySince !== null && i.healthySince + minHealthyMs <= this.now)),
    ).length;
    this.maxInstances = Math.max(this.maxInstances, this.instances.length);
    this.minAvailable = Math.min(this.minAvailable, available);
    const at = `at ${this.now - T0}ms (${state.phase})`;
    expect(this.instances.length, `instances ${at}`).toBeLessThanOrEqual(
      state.replicas + state.maxSurge,
    );
    expect(available, `available instances ${at}`).toBeGreaterThanOrEqual(
      state.replicas - state.maxUnavailable,
    );
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function startPools(actions: readonly Action[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const action of actions) if (action.type === 'startPool') out[action.pool] = action.replicas;
  return out;
}

describe('rolling: the budget', () => {
  it('rounds maxSurge up and maxUnavailable down, as Kubernetes does', () => {
    expect(rollingBudget(5, { maxSurge: '25%', maxUnavailable: '25%' })).toEqual({
      maxSurge: 2,
      maxUnavailable: 1,
    });
    expect(rollingBudget(10, { maxSurge: '10%', maxUnavailable: '10%' })).toEqual({
      maxSurge: 1,
      maxUnavailable: 1,
    });
    expect(rollingBudget(3, { maxSurge: 2, maxUnavailable: 5 })).toEqual({
      maxSurge: 2,
      maxUnavailable: 3,
    });
  });

  it('lets one instance be unavailable when both round to zero', () => {
    expect(rollingBudget(5, { maxSurge: 0, maxUnavailable: '10%' })).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
  });
});

describe('rolling: replacing a live version', () => {
  it('5 replicas, maxSurge 1 / maxUnavailable 0: one at a time, never below 5 or above 6', () => {
    const h = new Harness({ spec: spec({ replicas: 5 }), topology: v1Live('a', 5) });
    const first = h.tick();
    expect(h.phase).toBe('rolling');
    expect(h.state?.newPool).toBe('b');
    expect(startPools(first)).toEqual({ b: 1 });
    expect(h.weights()).toEqual({ a: 5, b: 0 });
    expect(h.topology.previewPool).toBe('b');
    expect(h.status).toBe('progressing');
    expect(h.reasons).toEqual([Reason.PoolStarting]);

    // Not healthy yet: nothing else moves.
    h.advance(1_000);
    expect(h.lastActions).toEqual([
      { type: 'wait', until: h.state?.deadlineAt, for: 'instances to become available' },
    ]);
    // Healthy: it joins the router and one old instance goes in the same step.
    h.heal('b');
    const batch = h.advance(1_000);
    expect(startPools(batch)).toEqual({ a: 4 });
    expect(h.weights()).toEqual({ a: 4, b: 1 });
    expect(h.reasons.at(-1)).toBe(Reason.RollingBatch);
    // The next new instance waits until the drained one is gone (6 at most).
    h.advance(1_000);
    expect(h.planned('b')).toBe(1);
    h.stopDrained();
    h.advance(1_000);
    expect(h.planned('b')).toBe(2);

    h.runToEnd();
    expect(h.status).toBe('succeeded');
    expect(h.reasons.at(-1)).toBe(Reason.RolloutSucceeded);
    expect(h.weights()).toEqual({ b: 100 });
    expect(h.topology.pools.map((p) => [p.name, p.replicas])).toEqual([['b', 5]]);
    expect(h.count('a')).toBe(0);
    expect(h.maxInstances).toBe(6);
    expect(h.minAvailable).toBe(5);
  });

  it('25% of 5 replicas: surge 2, unavailable 1', () => {
    const h = new Harness({
      spec: spec({ replicas: 5, rolling: '{ maxSurge: "25%", maxUnavailable: "25%" }' }),
      topology: v1Live('a', 5),
    });
    const first = h.tick();
    expect(h.state).toMatchObject({ maxSurge: 2, maxUnavailable: 1 });
    // Two new start into the surge; one old goes at once, as availability spares it.
    expect(startPools(first)).toEqual({ b: 2, a: 4 });
    expect(h.weights()).toEqual({ a: 4, b: 0 });
    h.runToEnd();
    expect(h.status).toBe('succeeded');
    expect(h.maxInstances).toBe(7);
    expect(h.minAvailable).toBe(4);
  });

  it('minHealthyTime holds the next batch after an instance becomes healthy', () => {
    const h = new Harness({
      spec: spec({ replicas: 3, rolling: '{ minHealthyTime: 10s }' }),
      topology: v1Live('a', 3),
    });
    h.tick();
    h.heal('b');
    h.advance(1_000);
    // Healthy and routed, but not available yet: no old instance goes.
    expect(h.weights()).toEqual({ a: 3, b: 1 });
    expect(h.planned('a')).toBe(3);
    expect(h.lastActions.at(-1)).toMatchObject({ reason: Reason.RollingWeights });
    expect(describeRolling(h.state as RollingState, h.now)).toBe(
      'rolling pool a → pool b: 0 of 3 new instance(s) available, 1 more in minHealthyTime (10s), 3 old left',
    );
    h.advance(1_000);
    expect(h.lastActions).toEqual([{ type: 'wait', until: h.now + 9_000, for: 'minHealthyTime' }]);
    h.advance(8_999);
    expect(h.planned('a')).toBe(3);
    h.advance(1);
    expect(h.planned('a')).toBe(2);
    expect(h.weights()).toEqual({ a: 2, b: 1 });
    h.runToEnd();
    expect(h.status).toBe('succeeded');
  });

  it('replicas 1, maxSurge 1 / maxUnavailable 0: start the new one, then remove the old', () => {
    const h = new Harness({ spec: spec({ replicas: 1 }), topology: v1Live('a', 1) });
    expect(startPools(h.tick())).toEqual({ b: 1 });
    expect(h.weights()).toEqual({ a: 1, b: 0 });
    h.heal('b');
    expect(startPools(h.advance(1_000))).toEqual({ a: 0 });
    expect(h.weights()).toEqual({ a: 0, b: 1 });
    h.advance(1_000);
    expect(h.phase).toBe('scalingDown');
    expect(h.weights()).toEqual({ b: 100 });
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('succeeded');
    expect(h.maxInstances).toBe(2);
    expect(h.minAvailable).toBe(1);
  });

  it('replicas 1, maxSurge 0 / maxUnavailable 1: remove the old one, then start the new', () => {
    const h = new Harness({
      spec: spec({ replicas: 1, rolling: '{ maxSurge: 0, maxUnavailable: 1 }' }),
      topology: v1Live('a', 1),
    });
    expect(startPools(h.tick())).toEqual({ a: 0 });
    expect(h.weights()).toEqual({ a: 0, b: 0 });
    // The old one is still stopping: no room for the new one yet.
    h.advance(1_000);
    expect(h.planned('b') ?? 0).toBe(0);
    h.stopDrained();
    expect(startPools(h.advance(1_000))).toEqual({ b: 1 });
    h.heal('b');
    h.advance(1_000);
    expect(h.status).toBe('succeeded');
    expect(h.weights()).toEqual({ b: 100 });
    expect(h.maxInstances).toBe(1);
  });

  it('starts in pool a when the live pool is b', () => {
    const h = new Harness({ spec: spec({ replicas: 2 }), topology: v1Live('b', 2) });
    h.tick();
    expect(h.state?.newPool).toBe('a');
    expect(h.weights()).toEqual({ b: 2, a: 0 });
  });

  it('continues exactly where it was after a controller restart', () => {
    const h = new Harness({
      spec: spec({ replicas: 4, rolling: '{ minHealthyTime: 5s }' }),
      topology: v1Live('a', 4),
    });
    h.tick();
    for (let i = 0; i < 12; i += 1) {
      h.heal('b');
      h.stopDrained();
      h.advance(1_000);
    }
    expect(h.phase).toBe('rolling');
    expect(h.state?.newAvailable).toBeGreaterThan(0);
    const resumed = h.restarted();
    // Both go on in lockstep: the restarted one does exactly the same.
    for (let i = 0; i < 60 && h.phase !== 'done'; i += 1) {
      for (const x of [h, resumed]) {
        x.heal('b');
        x.stopDrained();
      }
      expect(resumed.advance(1_000)).toEqual(h.advance(1_000));
    }
    expect(resumed.status).toBe('succeeded');
    expect(resumed.reasons.at(-1)).toBe(Reason.RolloutSucceeded);
  });
});

describe('rolling: progressDeadline', () => {
  /** Three replicas, one batch done (a: 2, b: 1), and the next new instance never healthy. */
  function stuck(rolling: string, extra = ''): Harness {
    const h = new Harness({
      spec: spec({ replicas: 3, rolling, extra }),
      topology: v1Live('a', 3),
    });
    h.tick();
    h.heal('b');
    h.advance(1_000); // the first new instance is available; one old one goes
    h.stopDrained();
    h.advance(1_000); // the second new instance starts, and never becomes healthy
    expect(h.planned('b')).toBe(2);
    expect(h.planned('a')).toBe(2);
    return h;
  }

  it('reverts automatically: the old pool back to full size, then the new pool removed', () => {
    const h = stuck('{ progressDeadline: 1m }', 'hooks: { postRollback: "./notify" }');
    // Progress was the old instance removed 1s ago.
    h.advance(58_999);
    expect(h.phase).toBe('rolling');
    const revert = h.advance(1);
    expect(h.phase).toBe('reverting');
    expect(startPools(revert)).toEqual({ a: 3 });
    expect(h.weights()).toEqual({ a: 2, b: 1 });
    expect(h.topology.previewPool).toBeNull();
    expect(h.reasons.at(-1)).toBe(Reason.ProgressDeadlineExceeded);
    expect(h.status).toBe('progressing');
    // The new pool keeps its share until the old one is whole again.
    h.advance(1_000);
    expect(h.phase).toBe('reverting');
    h.heal('a');
    const back = h.advance(1_000);
    expect(back).toContainEqual({ type: 'removePool', pool: 'b' });
    expect(back).toContainEqual({ type: 'runHook', hook: 'postRollback' });
    expect(h.weights()).toEqual({ a: 100 });
    expect(h.phase).toBe('removingNew');
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('rolledBack');
    expect(h.reasons.at(-1)).toBe(Reason.ProgressDeadlineExceeded);
    expect(h.messages.at(-1)).toContain('progressDeadline (1m)');
    expect(h.topology.pools.map((p) => [p.name, p.replicas])).toEqual([['a', 3]]);
  });

  it('without autoRevert, fails and leaves the pools as they are', () => {
    const h = stuck('{ progressDeadline: 1m, autoRevert: false }');
    const before = h.topology;
    const last = h.advance(59_000);
    expect(h.status).toBe('failed');
    expect(h.reasons.at(-1)).toBe(Reason.ProgressDeadlineExceeded);
    expect(h.messages.at(-1)).toContain('autoRevert is off');
    expect(last.filter((a) => a.type !== 'markStatus')).toEqual([]);
    expect(h.topology).toEqual(before);
  });

  it('pause stops progress and the deadline; resume picks both up again', () => {
    const h = stuck('{ progressDeadline: 1m }');
    h.advance(29_000); // 30s of the minute used
    h.sendCommand('pause', 1_000);
    expect(h.status).toBe('paused');
    expect(h.reasons.at(-1)).toBe(Reason.Paused);
    // The stuck instance recovers while paused: it joins the router, nothing else moves.
    h.heal('b');
    h.advance(1_000);
    expect(h.weights()).toEqual({ a: 2, b: 2 });
    h.advance(600_000);
    expect(h.phase).toBe('rolling');
    expect(h.planned('a')).toBe(2);
    expect(h.lastActions).toEqual([{ type: 'wait', until: null, for: 'resume' }]);
    expect(describeRolling(h.state as RollingState, h.now)).toContain('(paused)');
    h.sendCommand('resume', 1_000);
    expect(h.status).toBe('progressing');
    expect(h.planned('a')).toBe(1);
  });

  it('time paused does not count against the deadline', () => {
    const h = stuck('{ progressDeadline: 1m }');
    h.advance(29_000);
    h.sendCommand('pause', 1_000); // paused 30s after the last progress
    h.advance(600_000);
    h.sendCommand('resume', 1_000); // 31s used
    h.advance(28_000);
    expect(h.phase).toBe('rolling');
    h.advance(1_000);
    expect(h.phase).toBe('reverting');
  });

  it('a first deploy that never gets healthy is removed and fails', () => {
    const h = new Harness({ spec: spec({ replicas: 2, rolling: '{ progressDeadline: 30s }' }) });
    h.tick();
    h.heal('a', 1);
    h.advance(10_000); // progress: one healthy
    h.advance(29_999);
    expect(h.phase).toBe('firstDeploy');
    h.advance(1);
    expect(h.topology).toEqual(EMPTY_TOPOLOGY);
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('failed');
    expect(h.reasons.at(-1)).toBe(Reason.ProgressDeadlineExceeded);
  });
});

describe('rolling: commands', () => {
  function midway(extra = ''): Harness {
    const h = new Harness({ spec: spec({ replicas: 4, extra }), topology: v1Live('a', 4) });
    h.tick();
    for (let i = 0; i < 4; i += 1) {
      h.heal('b');
      h.stopDrained();
      h.advance(1_000);
    }
    expect(h.weights()).toEqual({ a: 2, b: 2 });
    return h;
  }

  it('abort midway: old pool back to full size, then the new pool removed; aborted', () => {
    const h = midway('hooks: { postRollback: "./notify" }');
    const actions = h.sendCommand('abort', 1_000);
    expect(startPools(actions)).toEqual({ a: 4 });
    expect(h.phase).toBe('reverting');
    expect(h.reasons.at(-1)).toBe(Reason.AbortRequested);
    expect(h.weights()).toEqual({ a: 2, b: 2 });
    h.heal('a', 1);
    h.advance(1_000);
    expect(h.weights()).toEqual({ a: 3, b: 2 });
    h.heal('a');
    const back = h.advance(1_000);
    expect(back).toContainEqual({ type: 'removePool', pool: 'b' });
    expect(back).toContainEqual({ type: 'runHook', hook: 'postRollback' });
    expect(h.weights()).toEqual({ a: 100 });
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('aborted');
    expect(h.reasons.at(-1)).toBe(Reason.RolloutAborted);
    expect(h.topology.pools.map((p) => [p.name, p.replicas])).toEqual([['a', 4]]);
  });

  it('rollback midway ends rolledBack', () => {
    const h = midway();
    h.sendCommand('rollback', 1_000);
    expect(h.reasons.at(-1)).toBe(Reason.RollbackRequested);
    h.heal('a');
    h.advance(1_000);
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('rolledBack');
    expect(h.reasons.at(-1)).toBe(Reason.RolledBack);
  });

  it('ignores promote: a rolling update has nothing to promote', () => {
    const h = midway();
    h.sendCommand('promote', 1_000);
    expect(h.reasons.at(-1)).toBe(Reason.CommandIgnored);
    expect(h.messages.at(-1)).toContain('nothing to promote');
    expect(h.phase).toBe('rolling');
  });

  it('handles each command once, even if it is observed again', () => {
    const h = midway();
    h.sendCommand('pause', 1_000);
    const events = h.reasons.length;
    h.advance(1_000);
    h.advance(1_000);
    expect(h.reasons.length).toBe(events);
  });

  it('ignores abort once the old pool is being stopped', () => {
    const h = new Harness({ spec: spec({ replicas: 1 }), topology: v1Live('a', 1) });
    h.tick();
    h.heal('b');
    h.advance(1_000);
    h.advance(1_000);
    expect(h.phase).toBe('scalingDown');
    h.sendCommand('abort', 1_000);
    expect(h.reasons.at(-1)).toBe(Reason.CommandIgnored);
    expect(h.weights()).toEqual({ b: 100 });
  });
});

describe('rolling: first deploy and hooks', () => {
  it('first deploy: starts every replica, waits for all to be healthy, then routes 100%', () => {
    const h = new Harness({ spec: spec({ replicas: 3 }) });
    expect(startPools(h.tick())).toEqual({ a: 3 });
    expect(h.phase).toBe('firstDeploy');
    expect(h.weights()).toEqual({ a: 0 });
    h.heal('a', 2);
    h.advance(1_000);
    expect(h.weights()).toEqual({ a: 0 });
    h.heal('a');
    h.advance(1_000);
    expect(h.weights()).toEqual({ a: 100 });
    expect(h.status).toBe('succeeded');
  });

  it('runs preDeploy before anything starts; a failure starts nothing', () => {
    const h = new Harness({
      spec: spec({ replicas: 2, extra: 'hooks: { preDeploy: "exit 1" }' }),
      topology: v1Live('a', 2),
    });
    const first = h.tick();
    expect(first).toContainEqual({ type: 'runHook', hook: 'preDeploy' });
    expect(startPools(first)).toEqual({});
    expect(h.advance(1_000)).toContainEqual({ type: 'runHook', hook: 'preDeploy' });
    h.hooks = { preDeploy: { ok: false, detail: 'exit code 1' } };
    h.advance(1_000);
    expect(h.status).toBe('failed');
    expect(h.reasons.at(-1)).toBe(Reason.HookFailed);
    expect(h.topology).toEqual(v1Live('a', 2));
  });

  it('postDeploy runs with the first new instance on preview, before it takes traffic', () => {
    const h = new Harness({
      spec: spec({ replicas: 2, extra: 'hooks: { preDeploy: "true", postDeploy: "./smoke" }' }),
      topology: v1Live('a', 2),
    });
    h.tick();
    h.hooks = { preDeploy: { ok: true, detail: 'exit code 0' } };
    h.advance(1_000);
    expect(h.phase).toBe('rolling');
    h.heal('b');
    h.advance(1_000);
    expect(h.phase).toBe('postDeploy');
    expect(h.hooksAsked).toContain('postDeploy');
    expect(h.weights()).toEqual({ a: 2, b: 0 });
    expect(h.topology.previewPool).toBe('b');
    h.advance(60_000);
    expect(h.planned('a')).toBe(2);
    h.hooks = { ...h.hooks, postDeploy: { ok: true, detail: 'exit code 0' } };
    h.advance(1_000);
    expect(h.phase).toBe('rolling');
    expect(h.weights()).toEqual({ a: 1, b: 1 });
    h.runToEnd();
    expect(h.status).toBe('succeeded');
  });

  it('a failing postDeploy removes the new pool without it ever taking traffic', () => {
    const h = new Harness({
      spec: spec({ replicas: 2, extra: 'hooks: { postDeploy: "./smoke", postRollback: "x" }' }),
      topology: v1Live('a', 2),
    });
    h.tick();
    h.heal('b');
    h.advance(1_000);
    h.hooks = { postDeploy: { ok: false, detail: 'exit code 1' } };
    const actions = h.advance(1_000);
    expect(actions).toContainEqual({ type: 'removePool', pool: 'b' });
    expect(h.hooksAsked).not.toContain('postRollback');
    expect(h.weights()).toEqual({ a: 100 });
    h.stopDrained();
    h.advance(1_000);
    expect(h.status).toBe('failed');
    expect(h.reasons.at(-1)).toBe(Reason.HookFailed);
  });

  it('runs postPromote once the new revision takes all traffic', () => {
    const h = new Harness({
      spec: spec({ replicas: 2, extra: 'hooks: { postPromote: "./smoke" }' }),
      topology: v1Live('a', 2),
    });
    h.tick();
    h.runToEnd();
    expect(h.hooksAsked).toEqual(['postPromote']);
    expect(h.status).toBe('succeeded');
  });
});

describe('rolling: when instances misbehave', () => {
  it('an old instance failing its health checks holds removals; weights follow it', () => {
    const h = new Harness({ spec: spec({ replicas: 3 }), topology: v1Live('a', 3) });
    h.strict = false; // the world, not the rollout, takes capacity away here
    h.tick();
    const sick = h.instances.find((i) => i.pool === 'a') as Sim;
    sick.healthy = false;
    h.heal('b');
    h.advance(1_000);
    // 2 old + 1 new available = 3: nothing to spare, and the sick one weighs nothing.
    expect(h.weights()).toEqual({ a: 2, b: 1 });
    expect(h.planned('a')).toBe(3);
    sick.healthy = true;
    h.advance(1_000);
    expect(h.planned('a')).toBe(2);
    expect(h.weights()).toEqual({ a: 2, b: 1 });
  });

  it('a new instance that stops being healthy stops counting as available', () => {
    const h = new Harness({ spec: spec({ replicas: 3 }), topology: v1Live('a', 3) });
    h.strict = false;
    h.tick();
    h.heal('b');
    h.advance(1_000);
    h.stopDrained();
    h.advance(1_000);
    expect(h.planned('a')).toBe(2);
    const flaky = h.instances.find((i) => i.pool === 'b' && i.healthy) as Sim;
    h.heal('b');
    flaky.healthy = false;
    h.advance(1_000);
    // One new healthy (the second), one lost: still 1 available, nothing more goes.
    expect(h.state).toMatchObject({ newHealthy: 1, newAvailable: 1 });
    expect(h.planned('a')).toBe(2);
    expect(h.weights()).toEqual({ a: 2, b: 1 });
  });
});

describe('rolling: bookkeeping', () => {
  it('removes a pool left beside the live one before starting', () => {
    const topology: Topology = {
      ...v1Live('a', 2),
      pools: [
        ...v1Live('a', 2).pools,
        { name: 'b', revision: 7, revisionId: 7, version: 'old', replicas: 1 },
      ],
    };
    const h = new Harness({ spec: spec({ replicas: 2 }), topology });
    const actions = h.tick();
    expect(actions[0]).toEqual({ type: 'removePool', pool: 'b' });
    // The leftover still takes room while it stops: no surge until it is gone.
    expect(h.planned('b') ?? 0).toBe(0);
    h.stopDrained();
    h.advance(1_000);
    expect(h.topology.pools.find((p) => p.name === 'b')).toMatchObject({
      revision: 2,
      replicas: 1,
    });
  });

  it('ignores pause and resume once it is reverting', () => {
    const h = new Harness({ spec: spec({ replicas: 2 }), topology: v1Live('a', 2) });
    h.tick();
    h.heal('b');
    h.advance(1_000);
    h.sendCommand('abort', 1_000);
    expect(h.phase).toBe('reverting');
    h.sendCommand('pause', 1_000);
    expect(h.reasons.at(-1)).toBe(Reason.CommandIgnored);
    expect(h.status).toBe('progressing');
  });

  it('describes each phase in one line', () => {
    const h = new Harness({ spec: spec({ replicas: 2 }) });
    h.tick();
    h.heal('a', 1);
    h.advance(1_000);
    expect(describeRolling(h.state as RollingState, h.now)).toBe(
      'first deploy: 1 of 2 instance(s) healthy in pool a',
    );
    const r = new Harness({ spec: spec({ replicas: 2 }), topology: v1Live('a', 2) });
    r.tick();
    r.heal('b');
    r.advance(1_000);
    expect(describeRolling(r.state as RollingState, r.now)).toBe(
      'rolling pool a → pool b: 1 of 2 new instance(s) available, 1 old left',
    );
    r.sendCommand('rollback', 1_000);
    expect(describeRolling(r.state as RollingState, r.now)).toBe(
      'reverting: pool a at 1 of 2 healthy, then pool b goes',
    );
    r.heal('a');
    r.advance(1_000);
    expect(describeRolling(r.state as RollingState, r.now)).toBe('removing pool b');
    r.stopDrained();
    r.advance(1_000);
    expect(describeRolling(r.state as RollingState, r.now)).toBe('rolledBack');
  });
});
