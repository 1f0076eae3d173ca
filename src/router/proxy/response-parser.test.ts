import { describe, expect, it } from 'vitest';
import { ParseErrorCode, ResponseParser, type ResponseSink } from './response-parser.ts';

interface Parsed {
  statusCode: number;
  statusMessage: string;
  rawHeaders: string[];
  body: string;
  lastSeen: boolean;
  complete: boolean;
  keepAlive: boolean;
  keepAliveTimeoutMs: number;
  trailingBytes: boolean;
}

/** Feeds `pieces` in order (each copied into one reused buffer, as the connection reads). */
function parse(pieces: readonly string[], options: { head?: boolean; eof?: boolean } = {}): Parsed {
  const parser = new ResponseParser();
  parser.start(options.head ?? false);
  const out: Parsed = {
    statusCode: 0,
    statusMessage: '',
    rawHeaders: [],
    body: '',
    lastSeen: false,
    complete: false,
    keepAlive: false,
    keepAliveTimeoutMs: -1,
    trailingBytes: false,
  };
  const sink: ResponseSink = {
    onResponseHead(statusCode, statusMessage, rawHeaders) {
      out.statusCode = statusCode;
      out.statusMessage = statusMessage;
      out.rawHeaders = rawHeaders;
    },
    onResponseBody(chunk, last) {
      expect(out.lastSeen).toBe(false);
      out.body += chunk.toString('latin1');
      if (last) out.lastSeen = true;
    },
  };
  // One buffer reused for every read, scribbled over between reads, as
  // READ_BUFFER is: the parser must not keep views into it.
  const shared = Buffer.alloc(Math.max(...pieces.map((piece) => piece.length), 1));
  for (const piece of pieces) {
    shared.fill(0x5a);
    const length = shared.write(piece, 'latin1');
    out.complete = parser.execute(shared.subarray(0, length), sink);
  }
  if (options.eof) {
    parser.finish();
    out.complete = parser.complete;
  }
  out.keepAlive = parser.keepAlive;
  out.keepAliveTimeoutMs = parser.keepAliveTimeoutMs;
  out.trailingBytes = parser.trailingBytes;
  return out;
}

/** Every way to cut `text` in two, plus one byte at a time. */
function splits(text: string): string[][] {
  const ways: string[][] = [[text], text.split('')];
  for (let i = 1; i < text.length; i++) ways.push([text.slice(0, i), text.slice(i)]);
  return ways;
}

function parseError(pieces: readonly string[], options: { head?: boolean; eof?: boolean } = {}) {
  try {
    parse(pieces, options);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
}

describe('ResponseParser', () => {
  it('reads a Content-Length response however the bytes are cut', () => {
    const text =
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-Empty:\r\n\r\nhello world';
    for (const pieces of splits(text)) {
      const r = parse(pieces);
      expect(r).toMatchObject({
        statusCode: 200,
        statusMessage: 'OK',
        body: 'hello world',
        lastSeen: true,
        complete: true,
        keepAlive: true,
        trailingBytes: false,
      });
      expect(r.rawHeaders).toEqual([
        'Content-Type',
        'text/plain',
        'Content-Length',
        '11',
        'X-Empty',
        '',
      ]);
    }
  });

  it('de-chunks a chunked body with extensions and trailers however the bytes are cut', () => {
    const text =
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\nA \r\n, chunked!\r\n0\r\nX-Checksum: 1\r\n\r\n';
    for (const pieces of splits(text)) {
      const r = parse(pieces);
      expect(r).toMatchObject({
        statusCode: 201,
        body: 'hello, chunked!',
        lastSeen: false,
        complete: true,
        keepAlive: true,
      });
    }
  });

  it('reads a head longer than its first look (4 KiB), in one read or several', () => {
    const long = 'v'.repeat(9000);
    const text = `HTTP/1.1 200 OK\r\nX-Long: ${long}\r\nContent-Length: 2\r\n\r\nok`;
    for (const pieces of [[text], [text.slice(0, 5000), text.slice(5000)]]) {
      const r = parse(pieces);
      expect(r).toMatchObject({ body: 'ok', complete: true });
      expect(r.rawHeaders[1]).toBe(long);
    }
  });

  it('gives HEAD, 204 and 304 answers no body whatever their headers say', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n'], { head: true })).toMatchObject({
      complete: true,
      body: '',
    });
    expect(
      parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'], { head: true }),
    ).toMatchObject({ complete: true, body: '' });
    expect(parse(['HTTP/1.1 204 No Content\r\n\r\n'])).toMatchObject({
      statusCode: 204,
      complete: true,
    });
    expect(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n'])).toMatchObject({
      statusCode: 304,
      complete: true,
      body: '',
    });
  });

  it('skips interim 1xx answers and reads the final one', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    for (const pieces of splits(text)) {
      const r = parse(pieces);
      expect(r).toMatchObject({ statusCode: 200, body: 'ok', complete: true });
      expect(r.rawHeaders).toEqual(['Content-Length', '2']);
    }
  });

  it('reads a body without length until the connection closes, and does not keep the connection', () => {
    const r = parse(['HTTP/1.1 200 OK\r\n\r\npart one, ', 'part two'], { eof: true });
    expect(r).toMatchObject({ body: 'part one, part two', complete: true, keepAlive: false });
    // A last coding other than chunked also runs until close (RFC 9112 §6.3).
    expect(
      parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz'], { eof: true }),
    ).toMatchObject({ body: 'xyz', complete: true, keepAlive: false });
  });

  it('knows when the connection may carry another request', () => {
    const head = (version: string, extra: string) =>
      parse([`HTTP/${version} 200 OK\r\n${extra}Content-Length: 0\r\n\r\n`]);
    expect(head('1.1', '').keepAlive).toBe(true);
    expect(head('1.1', 'Connection: close\r\n').keepAlive).toBe(false);
    expect(head('1.1', 'Connection: X-Foo, Close\r\n').keepAlive).toBe(false);
    expect(head('1.0', '').keepAlive).toBe(false);
    expect(head('1.0', 'Connection: keep-alive\r\n').keepAlive).toBe(true);
    expect(head('1.1', 'Keep-Alive: timeout=5, max=100\r\n').keepAliveTimeoutMs).toBe(5000);
    expect(head('1.1', '').keepAliveTimeoutMs).toBe(-1);
  });

  it('takes two equal Content-Lengths, and notes bytes after the response', () => {
    expect(
      parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok']),
    ).toMatchObject({ body: 'ok', complete: true });
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok'])).toMatchObject({
      body: 'ok',
    });
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'])).toMatchObject({
      body: 'ok',
      complete: true,
      trailingBytes: true,
    });
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
      ParseErrorCode.contentLengthWithTransferEncoding,
    ],
    [
      'two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
      ParseErrorCode.invalidContentLength,
    ],
    [
      'a signed Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n',
      ParseErrorCode.invalidContentLength,
    ],
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      ParseErrorCode.invalidChunkSize,
    ],
    [
      'a chunk longer than its size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n',
      ParseErrorCode.strictLineEnd,
    ],
    [
      'a huge chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n',
      ParseErrorCode.invalidChunkSize,
    ],
    [
      'a bare LF in the head',
      'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
      ParseErrorCode.strictLineEnd,
    ],
    [
      'a space before the colon',
      'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n',
      ParseErrorCode.invalidHeader,
    ],
    [
      'obs-fold',
      'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n',
      ParseErrorCode.invalidHeader,
    ],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', ParseErrorCode.invalidHeader],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n', ParseErrorCode.invalidHeader],
    ['a bad status line', 'HTTP/2 200 OK\r\n\r\n', ParseErrorCode.invalidStatus],
    ['a short status code', 'HTTP/1.1 20 OK\r\n\r\n', ParseErrorCode.invalidStatus],
    ['an unasked-for 101', 'HTTP/1.1 101 Switching\r\n\r\n', ParseErrorCode.unexpectedUpgrade],
    [
      'a head too large',
      `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`,
      ParseErrorCode.headerOverflow,
    ],
  ])('refuses %s', (_name, text, code) => {
    expect(parseError([text])).toBe(code);
  });

  it('refuses a connection that closes mid-response', () => {
    expect(parseError(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], { eof: true })).toBe(
      ParseErrorCode.incomplete,
    );
    expect(parseError(['HTTP/1.1 200 OK\r\nContent-Le'], { eof: true })).toBe(
      ParseErrorCode.incomplete,
    );
    expect(
      parseError(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'], { eof: true }),
    ).toBe(ParseErrorCode.incomplete);
  });

  it('is reusable for the next response on the same connection', () => {
    const parser = new ResponseParser();
    const bodies: string[] = [];
    const sink: ResponseSink = {
      onResponseHead() {},
      onResponseBody(chunk) {
        bodies.push(chunk.toString());
      },
    };
    for (const body of ['one', 'two']) {
      parser.start(false);
      const done = parser.execute(
        Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n${body}`),
        sink,
      );
      expect(done).toBe(true);
    }
    expect(bodies).toEqual(['one', 'two']);
  });
});
