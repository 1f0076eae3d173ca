/**
 * The strategy a revision's spec names, as one entry point for the
 * controller: run a step, describe the state for `status`. The state's
 * `kind` says which strategy wrote it, so a rollout keeps the strategy it
 * started with.
 */
import { effectiveStrategy } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import { blueGreen, describeBlueGreen } from './blue-green.ts';
import type { BlueGreenState } from './blue-green.ts';
import { canary, describeCanary } from './canary.ts';
import type { CanaryState } from './canary.ts';
import { describeRolling, rolling } from './rolling.ts';
import type { RollingState } from './rolling.ts';
import type { StrategyInput, StrategyStep } from './strategy.ts';

export type StrategyState = BlueGreenState | CanaryState | RollingState;

export function runStrategy(input: StrategyInput<StrategyState>): StrategyStep<StrategyState> {
  const kind = input.state?.kind ?? effectiveStrategy(input.spec.strategy).kind;
  switch (kind) {
    case 'canary':
      return canary(input as StrategyInput<CanaryState>);
    case 'rolling':
      return rolling(input as StrategyInput<RollingState>);
    case 'blueGreen':
      return blueGreen(input as StrategyInput<BlueGreenState>);
  }
}

/** One line for `status`: where the rollout is and what it waits for. */
export function describeStrategy(state: StrategyState, spec: ResolvedSpec, now: number): string {
  switch (state.kind) {
    case 'canary':
      return describeCanary(state, spec, now);
    case 'blueGreen':
      return describeBlueGreen(state, now);
    case 'rolling':
      return describeRolling(state, now);
  }
}
