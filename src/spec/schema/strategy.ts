/**
 * `strategy:` — exactly one of canary, blueGreen, rolling or a named preset.
 */
import { z } from 'zod';
import { Duration } from '../duration.ts';
import { DEFAULT_BLUE_GREEN, DEFAULT_CANARY_STICKY, DEFAULT_ROLLING } from '../defaults.ts';
import { analysisRef } from './analysis.ts';
import { countOrPercent, duration, exactlyOneOf, oneOfNames, positiveCount, whenValid } from './primitives.ts';

export const canaryStep = exactlyOneOf('canary step', {
  setWeight: z.number().int().min(0).max(100).describe('the canary\'s share of traffic in percent, 0 to 100'),
  /** A duration, or `{}` to wait for `switchyard promote`. */
  pause: z.union([duration, z.strictObject({})]),
  analysis: analysisRef,
}, { remedy: 'give each its own list entry' });

export const canary = z.strictObject({
  steps: z.array(canaryStep).min(1),
  /** A client stays on the pool it was first sent to. */
  sticky: z.boolean().default(DEFAULT_CANARY_STICKY),
  /** Background analysis: runs through every step and aborts the rollout on failure. */
  analysis: analysisRef.optional(),
});

export const blueGreen = z.strictObject({
  /** Promote on its own this long after the new pool is healthy; without it, wait for `promote`. */
  autoPromote: duration.optional(),
  scaleDownDelay: duration.prefault(DEFAULT_BLUE_GREEN.scaleDownDelay),
  /** Instances of the new pool before promotion; the resolved spec fills in `replicas` (../load.ts). */
  previewReplicas: positiveCount.optional(),
  prePromotionAnalysis: analysisRef.optional(),
  postPromotionAnalysis: analysisRef.optional(),
});

const isZero = (value: number | string) => value === 0 || value === '0%';

export const rolling = z
  .strictObject({
    maxSurge: countOrPercent.default(DEFAULT_ROLLING.maxSurge),
    maxUnavailable: countOrPercent.default(DEFAULT_ROLLING.maxUnavailable),
    minHealthyTime: duration.prefault(DEFAULT_ROLLING.minHealthyTime),
    progressDeadline: duration.prefault(DEFAULT_ROLLING.progressDeadline),
    autoRevert: z.boolean().default(DEFAULT_ROLLING.autoRevert),
  })
  .superRefine((value, ctx) => {
    if (isZero(value.maxSurge) && isZero(value.maxUnavailable)) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxUnavailable'],
        params: { specCode: 'SPEC_CONFLICT' },
        message:
          'maxSurge and maxUnavailable are both zero, so no instance could ever be replaced; raise one of them (maxSurge: 1 keeps full capacity).',
      });
    }
  }, whenValid);

export const PRESET_NAMES = [
  'Canary10Percent5Minutes',
  'Canary10Percent15Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery3Minutes',
  'AllAtOnce',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const strategy = exactlyOneOf('strategy', {
  canary,
  blueGreen,
  rolling,
  preset: oneOfNames('preset', PRESET_NAMES),
}, { remedy: 'keep one (an environment can choose another)' });

export type CanaryStepSpec =
  | { readonly setWeight: number }
  | { readonly pause: string | Record<string, never> }
  | { readonly analysis: z.output<typeof analysisRef> };
export type CanarySpec = Omit<z.output<typeof canary>, 'steps'> & {
  readonly steps: readonly CanaryStepSpec[];
};
export type BlueGreenSpec = z.output<typeof blueGreen>;
export type RollingSpec = z.output<typeof rolling>;
export type StrategySpec =
  | { readonly canary: CanarySpec }
  | { readonly blueGreen: BlueGreenSpec }
  | { readonly rolling: RollingSpec }
  | { readonly preset: PresetName };

/** Milliseconds of a pause step, or null for `pause: {}` (wait for `promote`). */
export function pauseMs(pause: string | Record<string, never>): number | null {
  return typeof pause === 'string' ? Duration.parse(pause).ms : null;
}
