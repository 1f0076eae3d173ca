/**
 * The resolved spec: what `deploy` sends and a revision stores whole. It is
 * plain JSON — durations stay canonical strings (`1m30s`), read them with
 * `durationMs()` — so it prints back as a spec that validates to itself
 * (print it with `resolvedSpecYaml()`, which writes a literal `${` as `$${`).
 * It names its environment and no longer holds `environments`: the other
 * environments' overlays are not part of what gets deployed, and keeping
 * them would change the revision's digest when an unrelated overlay changes.
 */
import type { z } from 'zod';
import type { DurationString } from './duration.ts';
import type { NotificationSpec } from './schema/notifications.ts';
import type { resolvedSpec } from './schema/spec.ts';
import type { StrategySpec } from './schema/strategy.ts';

export type { DurationString } from './duration.ts';
export type { AnalysisRefSpec } from './schema/analysis.ts';
export type { HealthCheckSpec, RouterSpec } from './schema/health-check.ts';
export type {
  NotificationSpec,
  SlackNotificationSpec,
  WebhookNotificationSpec,
} from './schema/notifications.ts';
export type {
  ContainerRuntimeSpec,
  KubernetesRuntimeSpec,
  ProcessRuntimeSpec,
  RuntimeSpec,
  SshRuntimeSpec,
} from './schema/runtime.ts';
export type {
  BlueGreenSpec,
  CanarySpec,
  CanaryStepSpec,
  PresetName,
  RollingSpec,
  StrategySpec,
} from './schema/strategy.ts';

type Threshold = { readonly min?: number; readonly max?: number };

export type MetricSpec =
  | { readonly successRate: { readonly min: number } }
  | { readonly errorRate: { readonly max: number } }
  | { readonly latencyP50: { readonly max: DurationString } }
  | { readonly latencyP95: { readonly max: DurationString } }
  | { readonly latencyP99: { readonly max: DurationString } }
  | { readonly requestRate: Threshold }
  | { readonly prometheus: Threshold & { readonly query: string; readonly address?: string } }
  | { readonly webhook: { readonly url: string; readonly timeout?: DurationString } }
  | { readonly command: { readonly run: string; readonly timeout?: DurationString } }
  | {
      readonly compareWithStable: {
        readonly errorRate: boolean;
        readonly latency: boolean;
        readonly confidence: number;
        readonly minRequests: number;
      };
    };

export interface AnalysisTemplateSpec {
  readonly interval: DurationString;
  readonly count: number;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly consecutiveErrorLimit: number;
  readonly minRequests: number;
  readonly metrics: readonly MetricSpec[];
}

type FromSchema = z.output<typeof resolvedSpec>;

export type ResolvedSpec = Omit<FromSchema, 'strategy' | 'analysis' | 'notifications'> & {
  readonly strategy: StrategySpec;
  readonly analysis: { readonly templates: Readonly<Record<string, AnalysisTemplateSpec>> };
  readonly notifications: readonly NotificationSpec[];
};
