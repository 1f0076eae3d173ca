/**
 * `runtime:` — where instances run, one shape per driver, chosen by `type`.
 */
import { z } from 'zod';
import { command, duration, envVariables, port, whenValid } from './primitives.ts';
import { DEFAULT_CONTAINER, DEFAULT_SSH_PORT } from '../defaults.ts';

export const processRuntime = z.strictObject({
  type: z.literal('process'),
  /** Run under `/bin/sh -c`, so `$PORT` is left for that shell. */
  command: command.describe('the shell command that starts one instance, run under /bin/sh -c'),
  cwd: z.string().min(1).optional(),
});

const stringMap = z.record(z.string(), z.string());

/**
 * `HOST_PATH:CONTAINER_PATH[:OPTIONS]` or `VOLUME:CONTAINER_PATH[:OPTIONS]`,
 * as `docker run -v` takes it. A relative host path is refused: the engine
 * would resolve it against its own working directory, not the spec's.
 */
const VOLUME = /^(\/[^:]*|[A-Za-z0-9][A-Za-z0-9_.-]*):\/[^:]*(:[A-Za-z,]+)?$/;
const volume = z.string().regex(VOLUME, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a volume; write HOST_PATH:CONTAINER_PATH with absolute paths (or VOLUME_NAME:CONTAINER_PATH), optionally followed by :ro.`,
});

/** The user's container labels; `switchyard.*` names the instance, so Switchyard sets those itself. */
const containerLabels = stringMap.superRefine((value, ctx) => {
  if (typeof value !== 'object' || value === null) return;
  for (const name of Object.keys(value)) {
    if (!name.startsWith('switchyard.')) continue;
    ctx.addIssue({
      code: 'custom',
      path: [name],
      params: { specCode: 'SPEC_CONFLICT' },
      message: `${name}: labels starting with "switchyard." are set by Switchyard on every container (service, environment, revision, version, pool, instance); use another prefix.`,
    });
  }
}, whenValid);

export const containerRuntime = z.strictObject({
  type: z.literal('container'),
  image: z.string().min(1).describe('the image to run, e.g. shop:1.4.2; its tag is the default version'),
  /** Replaces the image's entrypoint (its CMD is then dropped unless `args` is given). */
  command: z.array(z.string()).optional(),
  /** Replaces the image's CMD. */
  args: z.array(z.string()).optional(),
  /** The port inside the container; the resolved spec fills in the spec's `port` (../load.ts). */
  port: port.optional(),
  env: envVariables.optional(),
  volumes: z.array(volume).optional(),
  /**
   * e.g. `512m`, `1g`, `1G`. The unit's case is spelled out rather than a
   * regex flag, because the JSON Schema's `pattern` cannot carry flags.
   */
  memory: z
    .string()
    .regex(/^[0-9]+[kmgKMG]?$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a memory size; write it like 512m or 1g.`,
    })
    .optional(),
  cpus: z.number().positive().optional(),
  labels: containerLabels.optional(),
  stopTimeout: duration.prefault(DEFAULT_CONTAINER.stopTimeout),
  pull: z.enum(['always', 'missing', 'never']).default(DEFAULT_CONTAINER.pull),
});

export const sshRuntime = z
  .strictObject({
    type: z.literal('ssh'),
    hosts: z.array(z.string().min(1)).min(1),
    user: z.string().min(1).optional(),
    port: port.default(DEFAULT_SSH_PORT),
    identityFile: z.string().min(1).optional(),
    /** Either a command run on each host, or an image run there with the container engine. */
    command: command.optional(),
    image: z.string().min(1).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.command === undefined) === (value.image === undefined)) {
      ctx.addIssue({
        code: 'custom',
        params: { specCode: value.command === undefined ? 'SPEC_REQUIRED' : 'SPEC_CONFLICT' },
        message:
          value.command === undefined
            ? 'an ssh runtime needs either `command` (run on each host) or `image` (run there in a container); add one.'
            : 'an ssh runtime takes `command` or `image`, not both; keep one.',
      });
    }
  }, whenValid);

export const kubernetesRuntime = z.strictObject({
  type: z.literal('kubernetes'),
  namespace: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  serviceAccount: z.string().min(1).optional(),
  resources: z
    .strictObject({
      cpu: z.string().min(1).optional(),
      memory: z.string().min(1).optional(),
    })
    .optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

export const runtime = z.discriminatedUnion('type', [
  processRuntime,
  containerRuntime,
  sshRuntime,
  kubernetesRuntime,
]);

export type ProcessRuntimeSpec = z.output<typeof processRuntime>;
export type ContainerRuntimeSpec = z.output<typeof containerRuntime>;
export type SshRuntimeSpec = z.output<typeof sshRuntime>;
export type KubernetesRuntimeSpec = z.output<typeof kubernetesRuntime>;
export type RuntimeSpec = z.output<typeof runtime>;
