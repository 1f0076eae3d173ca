import { maxHeaderSize } from 'node:http';
import { hasToken, trimOws } from './http-text.ts';

/**
 * A minimal HTTP/1.1 response parser for the router's upstream connections
 * (RFC 9112): status line and headers, then the body framed by
 * Content-Length, chunked Transfer-Encoding or the end of the connection; no
 * body for HEAD, 1xx, 204 and 304. Interim 1xx answers (100 Continue, 103
 * Early Hints) are skipped, as Node's http client does. Pipelining is not
 * needed (one request at a time per connection), so bytes after a complete
 * response only mark the connection as not reusable.
 *
 * Strict where framing is at stake, as llhttp is: CRLF line ends, no
 * whitespace before a header's colon, no obs-fold, one Content-Length value,
 * never Content-Length together with Transfer-Encoding, hex-only chunk sizes.
 * Anything else is a `ResponseParseError` (the proxy answers 502 and closes).
 */

/** Where the parsed response goes; the parser keeps no reference to it between calls. */
export interface ResponseSink {
  /** The status line and headers of the final (non-1xx) response. */
  onResponseHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void;
  /**
   * A piece of the (de-chunked) body; the buffer is the caller's read buffer
   * sliced, not copied. `last`: it ends a Content-Length body, so the
   * response is complete with it.
   */
  onResponseBody(chunk: Buffer, last: boolean): void;
}

/** Error codes, named after llhttp's where one fits. */
export const ParseErrorCode = {
  headerOverflow: 'HPE_HEADER_OVERFLOW',
  invalidStatus: 'HPE_INVALID_STATUS',
  invalidHeader: 'HPE_INVALID_HEADER_TOKEN',
  invalidContentLength: 'HPE_INVALID_CONTENT_LENGTH',
  contentLengthWithTransferEncoding: 'HPE_UNEXPECTED_CONTENT_LENGTH',
  invalidChunkSize: 'HPE_INVALID_CHUNK_SIZE',
  strictLineEnd: 'HPE_CR_EXPECTED',
  unexpectedUpgrade: 'HPE_UNEXPECTED_UPGRADE',
  incomplete: 'HPE_INCOMPLETE_RESPONSE',
} as const;
export type ParseErrorCode = (typeof ParseErrorCode)[keyof typeof ParseErrorCode];

export class ResponseParseError extends Error {
  readonly code: ParseErrorCode;
  constructor(code: ParseErrorCode, message: string) {
    super(message);
    this.name = 'ResponseParseError';
    this.code = code;
  }
}

// Parser states (numbers, not an enum: Node's type stripping has no enums).
const HEAD = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_EXTENSION = 3;
const CHUNK_SIZE_LF = 4;
const CHUNK_DATA = 5;
const CHUNK_DATA_CR = 6;
const CHUNK_DATA_LF = 7;
const TRAILER_LINE_START = 8;
const TRAILER_LINE = 9;
const TRAILER_LF = 10;
const TRAILERS_END_LF = 11;
const UNTIL_CLOSE = 12;
const COMPLETE = 13;

const CR = 13;
const LF = 10;
/** Bytes first read as text when looking for the end of a head; most heads are far shorter. */
const HEAD_PROBE = 4096;
/** A chunk size above this (2^48) is refused rather than risk losing precision. */
const MAX_CHUNK_SIZE = 2 ** 48;

/** Reason phrases (and field values): HTAB, visible ASCII, space and obs-text. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** One or more whole field lines: token ":" value CRLF (RFC 9112 §5). */
const FIELD_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)+$/;
const DIGITS = /^[0-9]+$/;

export class ResponseParser {
  #state = COMPLETE;
  #headRequest = false;
  /** Head text that came in earlier reads, waiting for the rest. */
  #pendingHead: string | null = null;
  #remaining = 0;
  /** Hex digits of the chunk size read so far. */
  #sizeDigits = 0;
  #trailerBytes = 0;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** `Keep-Alive: timeout=N` of the response, in ms; -1 when not given. */
  keepAliveTimeoutMs = -1;
  /** Bytes came after the complete response: the connection cannot be reused. */
  trailingBytes = false;

  /** Readies the parser for the response to a new request. */
  start(headRequest: boolean): void {
    this.#state = HEAD;
    this.#headRequest = headRequest;
    this.#pendingHead = null;
    this.#remaining = 0;
    this.#sizeDigits = 0;
    this.#trailerBytes = 0;
    this.keepAlive = false;
    this.keepAliveTimeoutMs = -1;
    this.trailingBytes = false;
  }

  /** The final response's head was parsed (body bytes may still be due). */
  get headComplete(): boolean {
    return this.#state !== HEAD;
  }

  get complete(): boolean {
    return this.#state === COMPLETE;
  }

  /** The body runs until the connection closes (no length, no chunking). */
  get readsUntilClose(): boolean {
    return this.#state === UNTIL_CLOSE;
  }

  /**
   * Parses one read. Returns true once the response is complete. Throws
   * ResponseParseError on malformed input; the connection is then unusable.
   */
  execute(data: Buffer, sink: ResponseSink): boolean {
    let at = 0;
    const end = data.length;
    while (at < end) {
      switch (this.#state) {
        case HEAD: {
          const consumed = this.#head(data, at, sink);
          if (consumed < 0) return false; // the head continues in the next read
          at = consumed;
          break;
        }
        case BODY_LENGTH: {
          const n = Math.min(this.#remaining, end - at);
          const chunk = at === 0 && n === end ? data : data.subarray(at, at + n);
          at += n;
          this.#remaining -= n;
          const last = this.#remaining === 0;
          if (last) this.#state = COMPLETE;
          sink.onResponseBody(chunk, last);
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.#remaining, end - at);
          const chunk = data.subarray(at, at + n);
          at += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_CR;
          sink.onResponseBody(chunk, false);
          break;
        }
        case UNTIL_CLOSE: {
          const chunk = at === 0 ? data : data.subarray(at);
          at = end;
          sink.onResponseBody(chunk, false);
          break;
        }
        case COMPLETE:
          this.trailingBytes = true;
          return true;
        default:
          at = this.#framing(data, at, end);
      }
    }
    return this.#state === COMPLETE;
  }

  /** The connection ended: completes a body that runs until close, else throws. */
  finish(): void {
    if (this.#state === UNTIL_CLOSE) {
      this.#state = COMPLETE;
      return;
    }
    if (this.#state !== COMPLETE)
      throw new ResponseParseError(ParseErrorCode.incomplete, 'upstream closed mid-response');
  }

  /** The byte-by-byte states: chunk-size lines, chunk ends and trailers. */
  #framing(data: Buffer, start: number, end: number): number {
    let at = start;
    while (at < end) {
      const c = data[at] as number;
      switch (this.#state) {
        case CHUNK_SIZE: {
          const digit = hexValue(c);
          if (digit >= 0) {
            this.#remaining = this.#remaining * 16 + digit;
            this.#sizeDigits++;
            if (this.#remaining > MAX_CHUNK_SIZE) throw chunkSizeError('chunk size too large');
          } else if (this.#sizeDigits === 0) {
            throw chunkSizeError('chunk size expected');
          } else if (c === CR) {
            this.#state = CHUNK_SIZE_LF;
          } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            this.#state = CHUNK_EXTENSION;
          } else {
            throw chunkSizeError('invalid character in chunk size');
          }
          break;
        }
        case CHUNK_EXTENSION:
          if (c === CR) this.#state = CHUNK_SIZE_LF;
          else if (c === LF || c === 0) throw chunkSizeError('invalid chunk extension');
          break;
        case CHUNK_SIZE_LF:
          if (c !== LF) throw lineEndError();
          if (this.#remaining === 0) {
            this.#state = TRAILER_LINE_START;
          } else {
            this.#state = CHUNK_DATA;
            return at + 1;
          }
          break;
        case CHUNK_DATA_CR:
          if (c !== CR) throw lineEndError();
          this.#state = CHUNK_DATA_LF;
          break;
        case CHUNK_DATA_LF:
          if (c !== LF) throw lineEndError();
          this.#state = CHUNK_SIZE;
          this.#remaining = 0;
          this.#sizeDigits = 0;
          break;
        case TRAILER_LINE_START:
          // Trailer fields are read and dropped (Node's client keeps them
          // aside too; the router never forwarded them).
          if (c === LF) throw lineEndError();
          this.#state = c === CR ? TRAILERS_END_LF : TRAILER_LINE;
          this.#trailerBytes++;
          break;
        case TRAILER_LINE:
          if (++this.#trailerBytes > maxHeaderSize) throw headerOverflow();
          if (c === CR) this.#state = TRAILER_LF;
          else if (c === LF) throw lineEndError();
          break;
        case TRAILER_LF:
          if (c !== LF) throw lineEndError();
          this.#state = TRAILER_LINE_START;
          break;
        case TRAILERS_END_LF:
          if (c !== LF) throw lineEndError();
          this.#state = COMPLETE;
          return at + 1;
        default:
          return at;
      }
      at++;
    }
    return at;
  }

  /**
   * Looks for the end of the head from `start`; once found, parses it, sets
   * the body framing and returns the offset of the first body byte. -1 while
   * the head is incomplete (its text is kept for the next read).
   *
   * The bytes are read as latin1 text once (one char per byte, so offsets in
   * the text are offsets in the bytes) and searched and parsed as a string.
   */
  #head(data: Buffer, start: number, sink: ResponseSink): number {
    const pending = this.#pendingHead;
    const carried = pending === null ? 0 : pending.length;
    // Search again only where the terminator could start.
    const searchFrom = carried < 3 ? 0 : carried - 3;
    const available = data.length - start;
    let take = Math.min(available, HEAD_PROBE);
    let piece = data.toString('latin1', start, start + take);
    let text = pending === null ? piece : pending + piece;
    let headEnd = text.indexOf('\r\n\r\n', searchFrom);
    if (headEnd < 0 && take < available) {
      // Not in the first bytes: look as far as a head may go (more is an overflow).
      take = Math.min(available, maxHeaderSize + 4);
      piece = data.toString('latin1', start, start + take);
      text = pending === null ? piece : pending + piece;
      headEnd = text.indexOf('\r\n\r\n', searchFrom);
    }
    if (headEnd < 0) {
      if (text.length > maxHeaderSize) throw headerOverflow();
      // A bare LF would leave us waiting for a CRLF CRLF that never comes.
      if (hasBareLf(text)) throw lineEndError();
      // A string: a copy, whatever becomes of the read buffer.
      this.#pendingHead = text;
      return -1;
    }
    if (headEnd > maxHeaderSize) throw headerOverflow();
    this.#pendingHead = null;
    this.#parseHead(text, headEnd, sink);
    return start + headEnd + 4 - carried;
  }

  /** Parses `head` up to `headEnd` (where its blank line starts). */
  #parseHead(head: string, headEnd: number, sink: ResponseSink): void {
    let lineEnd = head.indexOf('\r\n');
    if (lineEnd < 0 || lineEnd > headEnd) lineEnd = headEnd;
    const statusLine = head.slice(0, lineEnd);
    // HTTP/1.x SSS[ reason]
    if (
      statusLine.length < 12 ||
      !statusLine.startsWith('HTTP/1.') ||
      (statusLine[7] !== '0' && statusLine[7] !== '1') ||
      statusLine[8] !== ' ' ||
      (statusLine.length > 12 && statusLine[12] !== ' ')
    ) {
      throw new ResponseParseError(ParseErrorCode.invalidStatus, 'invalid status line');
    }
    const codeText = statusLine.slice(9, 12);
    if (!DIGITS.test(codeText) || codeText[0] === '0')
      throw new ResponseParseError(ParseErrorCode.invalidStatus, 'invalid status code');
    const statusCode = Number(codeText);
    const statusMessage = statusLine.length > 13 ? statusLine.slice(13) : '';
    if (BAD_VALUE.test(statusMessage))
      throw new ResponseParseError(ParseErrorCode.invalidStatus, 'invalid reason phrase');
    const http10 = statusLine[7] === '0';

    const rawHeaders: string[] = [];
    let contentLength = -1;
    let transferEncoding: string | null = null;
    let connectionClose = false;
    let connectionKeepAlive = false;
    let keepAliveTimeoutMs = -1;
    let at = lineEnd + 2;
    // Every field line at once: a token name right before its colon (so no
    // obs-fold and no "Name :"), a value of valid bytes, and CRLF.
    if (at < headEnd && !FIELD_LINES.test(head.slice(at, headEnd + 2)))
      throw headerError('invalid header line');
    while (at < headEnd) {
      const next = head.indexOf('\r\n', at);
      const colon = head.indexOf(':', at);
      const name = head.slice(at, colon);
      const value = trimOws(head, colon + 1, next);
      at = next + 2;
      rawHeaders.push(name, value);
      switch (name.length) {
        // The canonical spelling first: no lower-cased copy in the common case.
        case 14:
          if (name === 'Content-Length' || name.toLowerCase() === 'content-length') {
            const length = parseContentLength(value);
            if (contentLength >= 0 && length !== contentLength)
              throw new ResponseParseError(
                ParseErrorCode.invalidContentLength,
                'conflicting Content-Length values',
              );
            contentLength = length;
          }
          break;
        case 17:
          if (name === 'Transfer-Encoding' || name.toLowerCase() === 'transfer-encoding')
            transferEncoding = transferEncoding === null ? value : `${transferEncoding}, ${value}`;
          break;
        case 10: {
          const lower = name === 'Connection' ? 'connection' : name.toLowerCase();
          if (lower === 'connection') {
            const tokens = value.toLowerCase();
            if (tokens === 'keep-alive') connectionKeepAlive = true;
            else if (tokens === 'close') connectionClose = true;
            else {
              if (hasToken(tokens, 'close')) connectionClose = true;
              if (hasToken(tokens, 'keep-alive')) connectionKeepAlive = true;
            }
          } else if (lower === 'keep-alive') {
            keepAliveTimeoutMs = keepAliveTimeout(value);
          }
          break;
        }
        default:
      }
    }

    if (contentLength >= 0 && transferEncoding !== null)
      throw new ResponseParseError(
        ParseErrorCode.contentLengthWithTransferEncoding,
        'Content-Length together with Transfer-Encoding',
      );
    if (statusCode < 200) {
      // 101 is only an answer to an Upgrade request, which this path never sends.
      if (statusCode === 101)
        throw new ResponseParseError(ParseErrorCode.unexpectedUpgrade, 'unexpected 101');
      // An interim answer: the final response follows on the same connection.
      this.#state = HEAD;
      return;
    }
    this.keepAlive = http10 ? connectionKeepAlive && !connectionClose : !connectionClose;
    this.keepAliveTimeoutMs = keepAliveTimeoutMs;
    if (this.#headRequest || statusCode === 204 || statusCode === 304) {
      this.#state = COMPLETE;
    } else if (transferEncoding !== null) {
      if (lastToken(transferEncoding) === 'chunked') {
        this.#state = CHUNK_SIZE;
        this.#remaining = 0;
        this.#sizeDigits = 0;
        this.#trailerBytes = 0;
      } else {
        // RFC 9112 §6.3: a response whose last coding is not chunked runs until close.
        this.#state = UNTIL_CLOSE;
        this.keepAlive = false;
      }
    } else if (contentLength >= 0) {
      this.#remaining = contentLength;
      this.#state = contentLength === 0 ? COMPLETE : BODY_LENGTH;
    } else {
      this.#state = UNTIL_CLOSE;
      this.keepAlive = false;
    }
    sink.onResponseHead(statusCode, statusMessage, rawHeaders);
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function hasBareLf(text: string): boolean {
  let at = text.indexOf('\n');
  while (at >= 0) {
    if (at === 0 || text.charCodeAt(at - 1) !== CR) return true;
    at = text.indexOf('\n', at + 1);
  }
  return false;
}

/** Digits, or a list of identical digit strings ("5, 5"), which RFC 9110 §8.6 lets a recipient take. */
function parseContentLength(value: string): number {
  if (value.length <= 15 && DIGITS.test(value)) return Number(value);
  let length = -1;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!DIGITS.test(text) || text.length > 15)
      throw new ResponseParseError(ParseErrorCode.invalidContentLength, 'invalid Content-Length');
    const n = Number(text);
    if (length >= 0 && n !== length)
      throw new ResponseParseError(
        ParseErrorCode.invalidContentLength,
        'conflicting Content-Length values',
      );
    length = n;
  }
  return length;
}

function lastToken(list: string): string {
  const comma = list.lastIndexOf(',');
  return list
    .slice(comma + 1)
    .trim()
    .toLowerCase();
}

/** `timeout=N` in a Keep-Alive value, in ms; -1 when absent. */
function keepAliveTimeout(value: string): number {
  const match = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
  return match === null ? -1 : Number(match[1]) * 1000;
}

function headerOverflow(): ResponseParseError {
  return new ResponseParseError(ParseErrorCode.headerOverflow, 'response head too large');
}

function headerError(message: string): ResponseParseError {
  return new ResponseParseError(ParseErrorCode.invalidHeader, message);
}

function chunkSizeError(message: string): ResponseParseError {
  return new ResponseParseError(ParseErrorCode.invalidChunkSize, message);
}

function lineEndError(): ResponseParseError {
  return new ResponseParseError(ParseErrorCode.strictLineEnd, 'expected CRLF');
}
