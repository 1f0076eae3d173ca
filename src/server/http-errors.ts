/**
 * Errors over HTTP: a SwitchyardError's exit code picks the status (2 → 400,
 * 3 → 409, 1 → 422; anything "not found" → 404), and the body carries the
 * stable code, so the CLI turns it back into the same SwitchyardError and the
 * same exit code.
 */
import { isSwitchyardError, SwitchyardError, type ErrorCode } from '../errors.ts';

export interface ApiErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details: readonly string[];
  };
}

/** Codes that name something missing; SPEC_FILE_NOT_FOUND is the client's own file, so it is bad input. */
function isNotFound(code: ErrorCode): boolean {
  return code !== 'SPEC_FILE_NOT_FOUND' && code.endsWith('_NOT_FOUND');
}

export function httpStatusFor(error: SwitchyardError): number {
  if (error.code === 'API_UNAUTHORIZED') return 401;
  if (error.code === 'API_FAILED') return 500;
  if (isNotFound(error.code)) return 404;
  switch (error.exitCode) {
    case 2:
      return 400;
    case 3:
      return 409;
    case 1:
      return 422;
    default:
      return 500;
  }
}

export function errorBody(error: SwitchyardError): ApiErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/**
 * Anything thrown while handling a request, as a SwitchyardError: fastify's
 * own 4xx errors (malformed JSON, wrong content type, body too large) are bad
 * requests; anything else is a failure the daemon log explains.
 */
export function toSwitchyardError(error: unknown): SwitchyardError {
  if (isSwitchyardError(error)) return error;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new SwitchyardError(
      'API_BAD_REQUEST',
      `The request could not be read: ${message}. Send a JSON body with Content-Type: application/json.`,
      { cause: error },
    );
  }
  return new SwitchyardError(
    'API_FAILED',
    `The control API failed: ${message}. The daemon log has the details.`,
    { cause: error },
  );
}
