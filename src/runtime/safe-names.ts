/**
 * The names of a request that a driver turns into file paths (and, for
 * containers, container names) must not climb out of the state directory or
 * break the name: every driver checks them the same way before it starts
 * anything.
 */
import { SwitchyardError } from '../errors.ts';
import type { InstanceRequest } from './runtime.ts';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Throws RUNTIME_START_FAILED for the first of service, environment and
 * instanceId that is not a safe name; `becomes` says what the names become,
 * e.g. `a file path`.
 */
export function checkSafeNames(request: InstanceRequest, becomes: string): void {
  for (const [field, value] of [
    ['service', request.service],
    ['environment', request.environment],
    ['instanceId', request.instanceId],
  ] as const) {
    if (!SAFE_NAME.test(value)) {
      throw new SwitchyardError(
        'RUNTIME_START_FAILED',
        `Cannot start an instance with ${field} "${value}": it becomes part of ${becomes}, so use only letters, digits, '.', '_' and '-', starting with a letter or digit.`,
      );
    }
  }
}
