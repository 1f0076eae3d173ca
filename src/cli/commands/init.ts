/**
 * `switchyard init [-f FILE] [--force]`: writes a commented switchyard.yaml
 * to start from. It never overwrites a file unless told to.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, SwitchyardError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { DEFAULT_SPEC_FILE } from './validate.ts';

/** The JSON Schema this package ships (`npm run schema` writes it). */
export const SHIPPED_SCHEMA = fileURLToPath(
  new URL('../../../schema/switchyard.schema.json', import.meta.url),
);

export interface InitOptions {
  readonly file?: string;
  readonly force?: boolean;
}

export async function initCommand(options: InitOptions, io: CliIO): Promise<number> {
  const file = options.file ?? DEFAULT_SPEC_FILE;
  const target = resolve(io.cwd, file);
  try {
    // 'wx' fails if the file exists, with no window between a check and the write.
    await writeFile(target, starterSpec({ schema: schemaReference(target) }), {
      flag: options.force ? 'w' : 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SwitchyardError(
        'SPEC_EXISTS',
        `${file} already exists; edit it, or run \`switchyard init --force\` to replace it.`,
      );
    }
    throw error;
  }
  io.stdout.write(`wrote ${file}; check it with \`switchyard validate\`.\n`);
  return ExitCode.ok;
}

/**
 * How the spec names the schema: relative when the package sits inside the
 * project (node_modules/switchyard/...), so the line works on every clone;
 * absolute for an install elsewhere.
 */
function schemaReference(target: string): string {
  const fromSpec = relative(dirname(target), SHIPPED_SCHEMA);
  return fromSpec.startsWith('..') || isAbsolute(fromSpec) ? SHIPPED_SCHEMA : `./${fromSpec}`;
}

export function starterSpec(options: { schema: string }): string {
  return `# yaml-language-server: $schema=${options.schema}
#
# A Switchyard spec: how to run, check, route and roll out one web service.
# Check it with \`switchyard validate\`; durations are strings like 500ms, 30s, 5m, 1h.

# The service's name: lowercase letters, digits and "-".
service: my-app

# Where instances run. Also: { type: container, image: my-app:1.0.0 },
# { type: ssh, hosts: [web1, web2], command: ... }, { type: kubernetes, image: ... }.
runtime:
  type: process
  # Run under /bin/sh -c; every instance gets a free port in $PORT.
  command: node server.js

# The port the app listens on (containers, ssh and kubernetes).
port: 3000
replicas: 2

# An instance takes traffic once this answers 2xx.
healthCheck:
  path: /healthz
  interval: 1s
  timeout: 500ms

# The router (Switchyard's own proxy): clients connect to \`listen\`; \`preview\`
# always reaches the newest version, for testers.
router:
  listen: 8080
  preview: 8081
  drainTimeout: 30s

# How a new version takes over. Also: blueGreen: {...}, rolling: {...},
# preset: Canary10Percent5Minutes | Linear10PercentEvery1Minute | AllAtOnce.
strategy:
  canary:
    steps:
      - setWeight: 10
      - pause: 1m
      - analysis: { templates: [errors] }
      - setWeight: 50
      - pause: {} # wait for \`switchyard promote\`
    # Runs through every step; the rollout is rolled back when it fails.
    analysis: { templates: [errors] }

analysis:
  templates:
    errors:
      interval: 10s
      count: 6
      failureLimit: 1
      metrics:
        - successRate: { min: 0.99 }
        - latencyP99: { max: 500ms }

# Shell commands run around a rollout.
# hooks: { preDeploy: "npm run migrate", postPromote: "npm run smoke" }

# Variables for every instance; \${VAR} is taken from your environment when
# you deploy ($\${VAR} for a literal). Secrets are set with \`switchyard secrets set\`.
env:
  LOG_LEVEL: info
# secrets: [DATABASE_URL]

# Per-environment changes, chosen with --env NAME.
environments:
  beta:
    replicas: 1
    env: { LOG_LEVEL: debug }

# Alerts when a rollout fails.
# notifications:
#   - slack: { webhookUrl: "\${SLACK_WEBHOOK_URL}", refireAfter: 15m }
`;
}
