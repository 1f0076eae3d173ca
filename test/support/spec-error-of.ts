/**
 * The SpecError a spec test expects: `specErrorOf(() => parseSpec(...))`.
 * The test fails when the call throws nothing or throws something else.
 */
import { isSpecError, type SpecError } from '../../src/spec/spec-error.ts';
import { thrownBy } from '../../src/state/testing.ts';

export function specErrorOf(run: () => unknown): SpecError {
  const error = thrownBy(run);
  if (isSpecError(error)) return error;
  throw error;
}
