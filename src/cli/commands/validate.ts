/**
 * `switchyard validate [-f FILE] [--env NAME] [--json]`: checks the spec and
 * prints the resolved result, or every error as `file:line:col path: message`
 * and exit code 2. Nothing else is touched.
 *
 * The YAML output is spec text: a literal `${` is written `$${`, so it
 * validates back to itself. With --json, stdout is data, not a spec file:
 * `{ "valid": true, "spec": {...} }` with strings as they are, or
 * `{ "valid": false, "errors": [...] }`.
 */
import { ExitCode } from '../../errors.ts';
import { isSpecError, loadSpec, resolvedSpecYaml } from '../../spec/index.ts';
import type { CliIO } from '../io.ts';

export const DEFAULT_SPEC_FILE = 'switchyard.yaml';

export interface ValidateOptions {
  readonly file?: string;
  readonly env?: string;
  readonly json?: boolean;
}

export async function validateCommand(options: ValidateOptions, io: CliIO): Promise<number> {
  const file = options.file ?? DEFAULT_SPEC_FILE;
  try {
    const spec = await loadSpec({ file, cwd: io.cwd, env: io.env, environment: options.env });
    io.stdout.write(
      options.json ? `${JSON.stringify({ valid: true, spec }, null, 2)}\n` : resolvedSpecYaml(spec),
    );
    return ExitCode.ok;
  } catch (error) {
    if (!isSpecError(error)) throw error;
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ valid: false, errors: error.issues }, null, 2)}\n`);
    } else {
      for (const line of error.details) io.stderr.write(`${line}\n`);
      io.stderr.write(`${error.message}\n`);
    }
    return error.exitCode;
  }
}
