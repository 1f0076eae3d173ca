import { isHopByHop, namedByConnection } from './hop-by-hop.ts';
import { isWellFormedRequestId, nextRequestId } from './request-id.ts';

/** What the header pass picks up on its way through, for pool selection. */
export interface RequestHeaderFacts {
  cookie: string | undefined;
  override: string | undefined;
  /** The request carries a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  /** The body comes chunked (Transfer-Encoding), and goes upstream chunked. */
  chunked: boolean;
  /** An `Idempotency-Key` (or `X-Idempotency-Key`) header came with it. */
  idempotencyKey: boolean;
}

export interface UpstreamHeaderOptions {
  /** Lower-cased name of the pool override header. */
  readonly overrideHeader: string;
  /** Pick up the Cookie header (sticky services only). */
  readonly wantCookie: boolean;
  /** Keep `Connection: upgrade` and `Upgrade` (WebSocket handshakes). */
  readonly upgrade: boolean;
}

const VIA = '1.1 switchyard';

/** The body of the 400 for a request `upstreamRequestHeaders` refuses. */
export const MORE_THAN_ONE_HOST = 'bad request: more than one Host header\n';

/**
 * The headers sent upstream, as a flat [name, value, ...] array (what
 * http.request takes without building an object): the client's headers minus
 * hop-by-hop ones, plus X-Forwarded-For/Proto/Host, Via and X-Request-Id. One
 * pass over rawHeaders, no regex.
 *
 * Null when the request has more than one Host line: RFC 9112 §3.2 makes that
 * a 400. Node's parser lets it through and reads the first, so forwarding it
 * would let the router and the instance disagree on the host.
 */
export function upstreamRequestHeaders(
  raw: readonly string[],
  clientAddress: string,
  facts: RequestHeaderFacts,
  options: UpstreamHeaderOptions,
): string[] | null {
  const named = namedByConnection(raw);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let via: string | undefined;
  let host: string | undefined;
  let requestId: string | undefined;
  let upgrade: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'transfer-encoding') {
        facts.hasBody = true;
        facts.chunked = true;
      } else if (lower === 'upgrade') {
        upgrade = value;
      }
      continue;
    }
    if (lower === 'host') {
      if (host !== undefined) return null;
      host = value;
    }
    if (named !== null && named.includes(lower)) continue;
    switch (lower) {
      case 'content-length':
        if (value !== '0') facts.hasBody = true;
        break;
      case 'cookie':
        if (options.wantCookie)
          facts.cookie = facts.cookie === undefined ? value : `${facts.cookie}; ${value}`;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
        // Set by us from what we saw; a client's own value is not trusted.
        continue;
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      case 'idempotency-key':
      case 'x-idempotency-key':
        facts.idempotencyKey = true;
        break;
      case 'x-request-id':
        if (requestId === undefined && isWellFormedRequestId(value)) requestId = value;
        continue;
      default:
        if (lower === options.overrideHeader) facts.override = value;
    }
    out.push(name, value);
  }
  out.push(
    'X-Forwarded-For',
    forwardedFor === undefined ? clientAddress : `${forwardedFor}, ${clientAddress}`,
    'X-Forwarded-Proto',
    'http',
    'X-Forwarded-Host',
    host ?? '',
    'Via',
    via === undefined ? VIA : `${via}, ${VIA}`,
    'X-Request-Id',
    requestId ?? nextRequestId(),
  );
  // We stream the body through; re-chunk it ourselves when the client did.
  if (facts.chunked) out.push('Transfer-Encoding', 'chunked');
  if (options.upgrade && upgrade !== undefined)
    out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  return out;
}

/**
 * The request line and headers as one latin1 string, written upstream in one
 * write. Every part comes from llhttp or simple-request.ts (both refuse CR,
 * LF and NUL in them) or from the router itself, so nothing here can split
 * the head.
 */
export function requestHead(method: string, url: string, headers: readonly string[]): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}Connection: keep-alive\r\n\r\n`;
}
