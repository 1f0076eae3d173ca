import { hasToken, trimOws } from './http-text.ts';

/**
 * Recognises the requests the router's own client-side path serves: an
 * HTTP/1.1 GET, HEAD, OPTIONS or DELETE in origin form whose head is plain
 * printable ASCII, has exactly one Host and says nothing about a body
 * (no Content-Length, no Transfer-Encoding), an upgrade (no Upgrade) or an
 * interim answer (no Expect). By RFC 9112 §6.3 such a request has no body, so
 * the bytes after its blank line are the next request: nothing here can be
 * framed two ways.
 *
 * This is a recogniser, not a full parser: anything else, well-formed or
 * not (HTTP/1.0, a body, obs-fold, obs-text, bare LF, a blank line before
 * the request line, a long head), gets `null`, and the connection goes to
 * Node's HTTP server and llhttp, which serve or refuse it as before. So the
 * path can only ever accept less than llhttp does, never more.
 */

export interface SimpleRequest {
  readonly method: string;
  readonly url: string;
  /** [name, value, ...] as sent (values without the spaces around them), as Node's rawHeaders. */
  readonly rawHeaders: string[];
  /** `Connection: close`: the connection ends after this response. */
  readonly close: boolean;
}

/** At most this many field lines (Node would keep 2,000; real heads have a few dozen). */
export const MAX_SIMPLE_FIELDS = 100;

/** `METHOD SP origin-form SP HTTP/1.1 CRLF`, the target being visible ASCII only. */
const REQUEST_LINE = /^(?:GET|HEAD|OPTIONS|DELETE) \/[\x21-\x7e]* HTTP\/1\.1\r\n/;
/** Whole field lines: a token, its colon, a value of HTAB and visible ASCII/space, CRLF. */
const FIELD_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)*$/;

/**
 * `head` is the request's text (latin1) up to and including the CRLF of its
 * last field line (the blank line's CRLF not included).
 */
export function parseSimpleRequest(head: string): SimpleRequest | null {
  const line = REQUEST_LINE.exec(head);
  if (line === null) return null;
  const lineText = line[0];
  if (!FIELD_LINES.test(head.slice(lineText.length))) return null;
  const firstSpace = lineText.indexOf(' ');
  const method = lineText.slice(0, firstSpace);
  const url = lineText.slice(firstSpace + 1, lineText.length - 11);

  const rawHeaders: string[] = [];
  let hosts = 0;
  let close = false;
  let at = lineText.length;
  while (at < head.length) {
    const end = head.indexOf('\r\n', at);
    const colon = head.indexOf(':', at);
    const name = head.slice(at, colon);
    const value = trimOws(head, colon + 1, end);
    at = end + 2;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') return null;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') return null;
        break;
      case 10:
        if (name.toLowerCase() === 'connection' && hasToken(value.toLowerCase(), 'close'))
          close = true;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') return null;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return null;
        break;
      default:
    }
    rawHeaders.push(name, value);
  }
  // RFC 9112 §3.2: exactly one Host; llhttp and the usual path answer the rest.
  if (hosts !== 1 || rawHeaders.length > 2 * MAX_SIMPLE_FIELDS) return null;
  return { method, url, rawHeaders, close };
}
