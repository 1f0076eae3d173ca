/**
 * Every error a user can see has a stable code, a sentence that says what went
 * wrong and what to do, and the exit code the CLI ends with (DESIGN.md):
 * 0 success, 1 the rollout failed, 2 bad input or usage, 3 conflict.
 * Tests assert on `code`, never on message text.
 */
export const ExitCode = {
  ok: 0,
  rolloutFailed: 1,
  badInput: 2,
  conflict: 3,
  /** Ctrl-C, as shells report a process ended by SIGINT (128 + 2). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const ErrorCodes = {
  // spec/
  SPEC_FILE_NOT_FOUND: {
    exit: ExitCode.badInput,
    doc: 'The spec file does not exist or cannot be read.',
  },
  SPEC_YAML_SYNTAX: { exit: ExitCode.badInput, doc: 'The spec file is not valid YAML.' },
  SPEC_NOT_A_MAPPING: {
    exit: ExitCode.badInput,
    doc: 'The spec file is empty or its top level is not a mapping.',
  },
  SPEC_MISSING_VARIABLE: {
    exit: ExitCode.badInput,
    doc: 'A ${VAR} in the spec names a variable that is not set.',
  },
  SPEC_BAD_INTERPOLATION: { exit: ExitCode.badInput, doc: 'A ${...} in the spec is malformed.' },
  SPEC_UNKNOWN_KEY: { exit: ExitCode.badInput, doc: 'A key the spec format does not have.' },
  SPEC_REQUIRED: { exit: ExitCode.badInput, doc: 'A required field is missing.' },
  SPEC_INVALID_TYPE: { exit: ExitCode.badInput, doc: 'A field has the wrong type.' },
  SPEC_INVALID_VALUE: {
    exit: ExitCode.badInput,
    doc: 'A field has a value outside what it accepts.',
  },
  SPEC_INVALID_DURATION: {
    exit: ExitCode.badInput,
    doc: 'A duration is not a string like 500ms, 30s, 5m or 1h.',
  },
  SPEC_UNKNOWN_ENVIRONMENT: {
    exit: ExitCode.badInput,
    doc: '--env names an environment the spec does not define.',
  },
  SPEC_UNKNOWN_TEMPLATE: {
    exit: ExitCode.badInput,
    doc: 'An analysis step names a template that is not defined.',
  },
  SPEC_CONFLICT: { exit: ExitCode.badInput, doc: 'Two fields contradict each other.' },
  SPEC_EXISTS: { exit: ExitCode.badInput, doc: '`init` would overwrite an existing file.' },
  // CLI
  USAGE: { exit: ExitCode.badInput, doc: 'A command-line flag or argument is wrong.' },
  NOT_RUNNING: { exit: ExitCode.badInput, doc: 'No Switchyard daemon is running for this folder.' },
  // server/ and daemon/
  API_BAD_REQUEST: {
    exit: ExitCode.badInput,
    doc: 'A control API request has a missing, unknown or invalid field.',
  },
  API_UNAUTHORIZED: {
    exit: ExitCode.badInput,
    doc: 'The control API token is missing or wrong.',
  },
  API_NOT_FOUND: { exit: ExitCode.badInput, doc: 'The control API has no such route.' },
  API_CONFLICT: {
    exit: ExitCode.conflict,
    doc: 'The control API refused a change that conflicts.',
  },
  API_FAILED: {
    exit: ExitCode.rolloutFailed,
    doc: 'The control API failed or answered with something unexpected.',
  },
  DAEMON_RUNNING: {
    exit: ExitCode.conflict,
    doc: 'A Switchyard daemon already runs on this state directory.',
  },
  DAEMON_START_FAILED: {
    exit: ExitCode.rolloutFailed,
    doc: 'The Switchyard daemon could not be started.',
  },
  DAEMON_STOP_FAILED: {
    exit: ExitCode.rolloutFailed,
    doc: 'The Switchyard daemon or its router did not stop.',
  },
  // controller/
  ROLLOUT_NOT_ACTIVE: {
    exit: ExitCode.badInput,
    doc: 'promote, pause, resume or abort was asked with no rollout in flight.',
  },
  SERVICE_NOT_FOUND: {
    exit: ExitCode.badInput,
    doc: 'The service and environment were never deployed here.',
  },
  REVISION_NOT_FOUND: {
    exit: ExitCode.badInput,
    doc: 'rollback --to names a revision that does not exist.',
  },
  BAD_REQUEST: {
    exit: ExitCode.badInput,
    doc: 'A controller request names an unknown pool, an impossible weight or count, or a spec for another service.',
  },
  // state/
  LOCK_HELD: { exit: ExitCode.conflict, doc: 'The deploy lock is held by someone else.' },
  LOCK_NOT_HELD: { exit: ExitCode.conflict, doc: 'The lock is not held by the caller.' },
  STATE_CORRUPT: { exit: ExitCode.badInput, doc: 'The state store cannot be read.' },
  STATE_NOT_FOUND: {
    exit: ExitCode.badInput,
    doc: 'A revision, rollout or instance named in a request is not in the state store.',
  },
  // runtime/
  RUNTIME_START_FAILED: { exit: ExitCode.rolloutFailed, doc: 'An instance could not be started.' },
  RUNTIME_NOT_FOUND: { exit: ExitCode.badInput, doc: 'The instance is not known to the runtime.' },
  RUNTIME_NOT_SUPPORTED: {
    exit: ExitCode.badInput,
    doc: 'The spec names a runtime type this version cannot run yet.',
  },
  // router/
  ROUTER_BAD_CONFIG: {
    exit: ExitCode.badInput,
    doc: 'The router was given an invalid configuration.',
  },
  ROUTER_PORT_IN_USE: { exit: ExitCode.conflict, doc: 'A listener port is already in use.' },
  ROUTER_STALE_CONFIG: {
    exit: ExitCode.conflict,
    doc: 'The router already has a newer config generation.',
  },
  ROUTER_ADMIN_ADDRESS: {
    exit: ExitCode.badInput,
    doc: 'The router admin API may listen only on loopback or a unix socket.',
  },
  ROUTER_ADMIN_FAILED: {
    exit: ExitCode.rolloutFailed,
    doc: 'The router admin API could not be reached, refused the token, or failed.',
  },
} as const satisfies Record<string, { exit: ExitCode; doc: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: readonly string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.exitCode = ErrorCodes[code].exit;
    this.details = options?.details ?? [];
  }
}

export function isSwitchyardError(error: unknown): error is SwitchyardError {
  return error instanceof SwitchyardError;
}
