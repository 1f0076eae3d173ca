import { CONNECT_TIMEOUT_CODE } from '../pools/upstream-agent.ts';

/** Error code given to an upstream request destroyed by the response timeout. */
export const RESPONSE_TIMEOUT_CODE = 'ERESPONSETIMEOUT';

export function responseTimeoutError(): NodeJS.ErrnoException {
  const error = new Error('upstream response timed out') as NodeJS.ErrnoException;
  error.code = RESPONSE_TIMEOUT_CODE;
  return error;
}

/**
 * A failure that means "the instance did not take the request": it never
 * connected, or reset the connection before sending any response byte. These
 * count for passive ejection and may be retried.
 */
export function isConnectFailure(error: NodeJS.ErrnoException, connected: boolean): boolean {
  if (!connected) return error.code !== RESPONSE_TIMEOUT_CODE;
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case CONNECT_TIMEOUT_CODE:
      return true;
    default:
      return false;
  }
}

/**
 * The keep-alive race (Node's documented `reusedSocket` pattern): the request
 * went out on a pooled idle connection and the connection was reset or closed
 * before any response byte. The instance closed that idle connection as the
 * router reused it, so it never read the request; this says nothing about its
 * health. `reusedIdle`: the connection was reused and no response byte came.
 */
export function isStaleConnection(reusedIdle: boolean, error: NodeJS.ErrnoException): boolean {
  return reusedIdle && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isIdempotent(method: string | undefined): boolean {
  return method !== undefined && IDEMPOTENT.has(method);
}

/** Idempotent by RFC 9110 §9.2.2: sending one twice has the effect of sending it once. */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Whether a request whose body already went out may be sent again whole: an
 * idempotent method, or a client that marked it with an `Idempotency-Key`
 * (the IETF draft; `X-Idempotency-Key` too), as Go's http.Transport decides.
 */
export function isReplayable(method: string, idempotencyKey: boolean): boolean {
  return idempotencyKey || REPLAYABLE.has(method);
}
