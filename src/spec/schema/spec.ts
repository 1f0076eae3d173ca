/**
 * The whole switchyard.yaml format (DESIGN.md, The spec), and the checks that
 * look across fields: analysis templates a strategy names must exist, `env`
 * and `secrets` must not collide with each other or with the variables
 * Switchyard sets itself.
 */
import { z } from 'zod';
import { DEFAULT_PORT, DEFAULT_REPLICAS, RESERVED_ENV_NAMES } from '../defaults.ts';
import { analysis } from './analysis.ts';
import { healthCheck, router } from './health-check.ts';
import { notification } from './notifications.ts';
import { dnsLabel, envName, envVariables, port, positiveCount } from './primitives.ts';
import { runtime } from './runtime.ts';
import { strategy } from './strategy.ts';

const hook = z.string().min(1);
export const hooks = z.strictObject({
  preDeploy: hook.optional(),
  postDeploy: hook.optional(),
  prePromote: hook.optional(),
  postPromote: hook.optional(),
  postRollback: hook.optional(),
});

/**
 * An environment's overlay is any part of the spec; it is checked after it is
 * merged onto the base (see ../overlay.ts), where its errors get their paths.
 */
export const environmentOverlay = z.record(z.string(), z.unknown());

const specFields = {
  service: dnsLabel('service name'),
  runtime,
  port: port.default(DEFAULT_PORT).describe('the port the app listens on'),
  replicas: positiveCount.default(DEFAULT_REPLICAS),
  healthCheck: healthCheck.prefault({}),
  router,
  strategy: strategy.prefault({ rolling: {} }),
  analysis: analysis.prefault({ templates: {} }),
  hooks: hooks.prefault({}),
  env: envVariables.default({}),
  secrets: z.array(envName).default([]),
  environments: z.record(dnsLabel('environment name'), environmentOverlay).optional(),
  notifications: z.array(notification).default([]),
};

type Path = (string | number)[];
type SpecIssueSink = {
  addIssue(issue: { code: 'custom'; path: Path; message: string; params: object }): void;
};

/*
 * The checks below also run when other parts of the spec are wrong, so that
 * every error shows at once; they read the value as unknown input and skip
 * whatever is not well-formed (its own error is reported already).
 */
type Loose = Record<string, unknown> | undefined;
const asMapping = (value: unknown): Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asNames = (value: unknown): unknown[] => {
  const templates = asMapping(value)?.['templates'];
  return Array.isArray(templates) ? templates : [];
};

/** Every `{ templates: [...] }` a strategy holds, with its path. */
function analysisRefs(value: unknown): { path: Path; templates: unknown[] }[] {
  const refs: { path: Path; templates: unknown[] }[] = [];
  const canary = asMapping(asMapping(value)?.['canary']);
  const steps = canary?.['steps'];
  if (Array.isArray(steps)) {
    steps.forEach((step, index) => {
      const ref = asMapping(step)?.['analysis'];
      if (ref !== undefined) refs.push({ path: ['strategy', 'canary', 'steps', index, 'analysis'], templates: asNames(ref) });
    });
  }
  if (canary?.['analysis'] !== undefined) refs.push({ path: ['strategy', 'canary', 'analysis'], templates: asNames(canary['analysis']) });
  const blueGreen = asMapping(asMapping(value)?.['blueGreen']);
  for (const key of ['prePromotionAnalysis', 'postPromotionAnalysis'] as const) {
    if (blueGreen?.[key] !== undefined) refs.push({ path: ['strategy', 'blueGreen', key], templates: asNames(blueGreen[key]) });
  }
  return refs;
}

function checkTemplateReferences(value: { strategy: unknown; analysis: unknown }, ctx: SpecIssueSink): void {
  const defined = Object.keys(asMapping(asMapping(value.analysis)?.['templates']) ?? {});
  for (const ref of analysisRefs(value.strategy)) {
    ref.templates.forEach((name, index) => {
      if (typeof name !== 'string' || defined.includes(name)) return;
      ctx.addIssue({
        code: 'custom',
        path: [...ref.path, 'templates', index],
        params: { specCode: 'SPEC_UNKNOWN_TEMPLATE', candidates: defined },
        message:
          defined.length === 0
            ? `the analysis template "${name}" is not defined; add it under analysis.templates.`
            : `the analysis template "${name}" is not defined; define it under analysis.templates or use one of: ${defined.join(', ')}.`,
      });
    });
  }
}

/** `secrets` against the reserved names, `env` and each other; `env`'s own names are checked by its schema. */
function checkEnvironmentVariables(value: { env: unknown; secrets: unknown }, ctx: SpecIssueSink): void {
  const reserved: readonly string[] = RESERVED_ENV_NAMES;
  const env = asMapping(value.env) ?? {};
  const seen = new Set<unknown>();
  const secrets = Array.isArray(value.secrets) ? (value.secrets as unknown[]) : [];
  secrets.forEach((name, index) => {
    if (typeof name !== 'string') return;
    const problem = reserved.includes(name)
      ? `${name} is set by Switchyard for every instance and cannot be a secret; remove it.`
      : name in env
        ? `${name} is both in env and in secrets; keep it in one of them (secrets for anything sensitive).`
        : seen.has(name)
          ? `${name} is listed twice in secrets; remove one.`
          : undefined;
    seen.add(name);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: ['secrets', index], params: { specCode: 'SPEC_CONFLICT' }, message: problem });
    }
  });
}

/** Run the cross-field checks even when a field has its own error. */
const always = { when: () => true };

export const spec = z.strictObject(specFields).superRefine((value, ctx) => {
  checkTemplateReferences(value, ctx);
  checkEnvironmentVariables(value, ctx);
}, always);

/** The spec as `deploy` sends it: one environment's overlay applied, `environments` gone. */
export const resolvedSpec = z
  .strictObject({ ...specFields, environment: dnsLabel('environment name') })
  .omit({ environments: true })
  .superRefine((value, ctx) => {
    checkTemplateReferences(value, ctx);
    checkEnvironmentVariables(value, ctx);
  }, always);
