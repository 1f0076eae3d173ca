/**
 * The named strategies (`strategy: { preset: ... }`), spelled out as the
 * canary steps they stand for, the way AWS CodeDeploy names them: "canary"
 * presets take one step then the rest, "linear" ones take equal steps.
 */
import { DEFAULT_CANARY_STICKY } from './defaults.ts';
import type { CanarySpec, CanaryStepSpec, PresetName, StrategySpec } from './schema/strategy.ts';
import type { BlueGreenSpec, RollingSpec } from './schema/strategy.ts';

function canaryThenAll(weight: number, pause: string): CanarySpec {
  return {
    steps: [{ setWeight: weight }, { pause }, { setWeight: 100 }],
    sticky: DEFAULT_CANARY_STICKY,
  };
}

function linear(stepPercent: number, pause: string): CanarySpec {
  const steps: CanaryStepSpec[] = [];
  for (let weight = stepPercent; weight < 100; weight += stepPercent) {
    steps.push({ setWeight: weight }, { pause });
  }
  steps.push({ setWeight: 100 });
  return { steps, sticky: DEFAULT_CANARY_STICKY };
}

export const PRESETS: Readonly<Record<PresetName, CanarySpec>> = {
  Canary10Percent5Minutes: canaryThenAll(10, '5m'),
  Canary10Percent15Minutes: canaryThenAll(10, '15m'),
  Linear10PercentEvery1Minute: linear(10, '1m'),
  Linear10PercentEvery3Minutes: linear(10, '3m'),
  AllAtOnce: { steps: [{ setWeight: 100 }], sticky: DEFAULT_CANARY_STICKY },
};

/** The strategy to run, with a preset replaced by the canary it stands for. */
export type EffectiveStrategy =
  | { readonly kind: 'canary'; readonly canary: CanarySpec; readonly preset?: PresetName }
  | { readonly kind: 'blueGreen'; readonly blueGreen: BlueGreenSpec }
  | { readonly kind: 'rolling'; readonly rolling: RollingSpec };

export function effectiveStrategy(strategy: StrategySpec): EffectiveStrategy {
  if ('preset' in strategy)
    return { kind: 'canary', canary: PRESETS[strategy.preset], preset: strategy.preset };
  if ('canary' in strategy) return { kind: 'canary', canary: strategy.canary };
  if ('blueGreen' in strategy) return { kind: 'blueGreen', blueGreen: strategy.blueGreen };
  return { kind: 'rolling', rolling: strategy.rolling };
}
