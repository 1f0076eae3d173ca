/**
 * Which service and environment a command acts on: like Kamal, the spec in
 * the current folder says (`service:`), `--env` picks the environment
 * ("default" without it), `-f` names another spec, and `--service` works
 * without one. Only `service:` and the environment names are read, so a
 * command like `status` works even where the deploy-time `${VAR}`s are not set.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { SwitchyardError } from '../errors.ts';
import { DEFAULT_ENVIRONMENT } from '../spec/index.ts';
import { DNS_LABEL } from '../spec/schema/primitives.ts';
import type { ServiceEnv } from '../state/store.ts';
import { DEFAULT_SPEC_FILE } from './commands/validate.ts';
import type { CliIO } from './io.ts';

export interface TargetOptions {
  readonly file?: string;
  readonly env?: string;
  readonly service?: string;
}

export async function resolveTarget(options: TargetOptions, io: CliIO): Promise<ServiceEnv> {
  const environment = options.env ?? DEFAULT_ENVIRONMENT;
  checkName(environment, '--env', 'environment');
  if (options.service !== undefined) {
    checkName(options.service, '--service', 'service');
    return { service: options.service, environment };
  }
  const file = options.file ?? DEFAULT_SPEC_FILE;
  const text = await readSpecText(file, io);
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new SwitchyardError(
      'SPEC_YAML_SYNTAX',
      `${file} is not valid YAML; run \`switchyard validate -f ${file}\` to see where.`,
      { cause: error },
    );
  }
  const spec = (typeof document === 'object' && document !== null ? document : {}) as {
    service?: unknown;
    environments?: unknown;
  };
  if (typeof spec.service !== 'string' || !DNS_LABEL.test(spec.service)) {
    throw new SwitchyardError(
      'SPEC_REQUIRED',
      `${file} does not name its service; add \`service: NAME\`, or pass --service NAME.`,
    );
  }
  const environments =
    typeof spec.environments === 'object' && spec.environments !== null
      ? Object.keys(spec.environments)
      : [];
  if (options.env !== undefined && !environments.includes(options.env)) {
    throw new SwitchyardError(
      'SPEC_UNKNOWN_ENVIRONMENT',
      environments.length === 0
        ? `${file} defines no environments, so there is no "${options.env}"; leave out --env, or add it under environments:.`
        : `${file} has no environment "${options.env}"; use one of: ${environments.join(', ')}.`,
    );
  }
  return { service: spec.service, environment };
}

/** Whether the default spec file is here (commands like `status` list every service without one). */
export async function hasSpec(options: TargetOptions, io: CliIO): Promise<boolean> {
  if (options.service !== undefined || options.file !== undefined) return true;
  try {
    await readFile(path.resolve(io.cwd, DEFAULT_SPEC_FILE));
    return true;
  } catch {
    return false;
  }
}

async function readSpecText(file: string, io: CliIO): Promise<string> {
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch {
    throw new SwitchyardError(
      'USAGE',
      `There is no ${file} here to say which service to act on; run this in the folder of your switchyard.yaml, name the spec with -f FILE, or name the service with --service NAME.`,
    );
  }
}

function checkName(value: string, flag: string, what: string): void {
  if (!DNS_LABEL.test(value)) {
    throw new SwitchyardError(
      'USAGE',
      `${flag} "${value}" is not a valid ${what} name; use lowercase letters, digits and "-", starting with a letter.`,
    );
  }
}
