/**
 * A tiny stand-in for the controller in strategy tests: keeps the persisted
 * state and topology, applies actions, and lets a test set what is observed
 * (instances, hooks, commands, analysis verdicts) and when. The state goes
 * through JSON on every tick, as it does through the store.
 *
 * A test that simulates more of the world (instances that start, heal and
 * drain as the controller would make them) extends it: richer instances
 * through `newInstance`, its own checks and world after every tick in
 * `settle` (rolling.test.ts).
 */
import type { ResolvedSpec } from '../spec/index.ts';
import type { RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import type {
  AnalysisObservation,
  Command,
  CommandName,
  HookResult,
  InstanceObservation,
  StrategyInput,
  StrategyStep,
} from './strategy.ts';
import { EMPTY_TOPOLOGY, applyActions } from './topology.ts';
import type { Topology } from './topology.ts';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export class StrategyHarness<
  S extends { readonly phase: string },
  I extends InstanceObservation = InstanceObservation,
> {
  now = T0;
  state: S | undefined;
  topology: Topology;
  status: RolloutStatus = 'pending';
  step = 0;
  reasons: string[] = [];
  messages: string[] = [];
  hooksAsked: HookName[] = [];
  instances: I[] = [];
  hooks: Partial<Record<HookName, HookResult>> = {};
  commands: Command[] = [];
  analysis: Record<string, AnalysisObservation> = {};
  /** Every action of every tick, in order. */
  history: Action[] = [];
  lastActions: readonly Action[] = [];
  readonly spec: ResolvedSpec;
  readonly #strategy: (input: StrategyInput<S>) => StrategyStep<S>;
  readonly #target = { revision: 2, revisionId: 2, version: 'v2' };

  constructor(options: {
    strategy: (input: StrategyInput<S>) => StrategyStep<S>;
    spec: ResolvedSpec;
    topology?: Topology;
  }) {
    this.#strategy = options.strategy;
    this.spec = options.spec;
    this.topology = options.topology ?? EMPTY_TOPOLOGY;
    for (const pool of this.topology.pools) this.setPool(pool.name, pool.revision, pool.replicas);
  }

  tick(): readonly Action[] {
    const step = this.#strategy({
      spec: this.spec,
      target: this.#target,
      state: this.state === undefined ? undefined : (JSON.parse(JSON.stringify(this.state)) as S),
      topology: this.topology,
      observations: {
        instances: this.instances,
        hooks: this.hooks,
        commands: this.commands,
        analysis: this.analysis,
      },
      now: this.now,
    });
    this.state = step.state;
    this.step = step.step;
    this.topology = applyActions(this.topology, step.actions);
    for (const action of step.actions) {
      if (action.type === 'markStatus') {
        this.status = action.status;
        this.reasons.push(action.reason);
        this.messages.push(action.message);
      }
      if (action.type === 'runHook') this.hooksAsked.push(action.hook);
    }
    this.lastActions = step.actions;
    this.history.push(...step.actions);
    this.settle(step);
    return step.actions;
  }

  /** After each tick, once the state, topology and events are taken in: nothing here. */
  protected settle(_step: StrategyStep<S>): void {}

  /**
   * One started instance of the pool; subclasses with richer instances make
   * their own. The constructor calls it for the topology's pools, before a
   * subclass's own fields are set, so it must not read them.
   */
  protected newInstance(pool: string, revision: number, healthy: boolean): I {
    return { pool, revision, desired: true, healthy } as I;
  }

  advance(ms: number): readonly Action[] {
    this.now += ms;
    return this.tick();
  }

  /** `count` started instances of the pool, healthy or not. */
  setPool(pool: string, revision: number, count: number, healthy = true): void {
    this.instances = [
      ...this.instances.filter((i) => i.pool !== pool),
      ...Array.from({ length: count }, () => this.newInstance(pool, revision, healthy)),
    ];
  }

  dropPool(pool: string): void {
    this.instances = this.instances.filter((i) => i.pool !== pool);
  }

  command(name: CommandName): void {
    this.commands.push({ id: this.commands.length + 1, name, requestedBy: 'tester' });
  }

  /** `command`, then the tick `ms` later that takes it; that tick's actions. */
  sendCommand(name: CommandName, ms: number): readonly Action[] {
    this.command(name);
    return this.advance(ms);
  }

  get phase(): string | undefined {
    return this.state?.phase;
  }

  weights(): Record<string, number> {
    return Object.fromEntries(this.topology.weights.map((w) => [w.pool, w.weight]));
  }
}

/** Revision 1 (v1) live in `pool` with `replicas` instances, taking all traffic. */
export function v1Live(pool: string, replicas: number): Topology {
  return {
    pools: [{ name: pool, revision: 1, revisionId: 1, version: 'v1', replicas }],
    weights: [{ pool, weight: 100 }],
    previewPool: null,
  };
}

export function routingUpdates(actions: readonly Action[]): number {
  return actions.filter((a) => a.type === 'setRouting').length;
}
