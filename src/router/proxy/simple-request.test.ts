import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SIMPLE_FIELDS, parseSimpleRequest } from './simple-request.ts';

// Heads are given as the connection passes them: through the last field line's CRLF.
describe('parseSimpleRequest', () => {
  it('takes a plain GET with its headers as sent, values without the spaces around them', () => {
    expect(
      parseSimpleRequest('GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A:  1 2\t\r\nAccept:*/*\r\n'),
    ).toEqual({
      method: 'GET',
      url: '/a?b=c',
      rawHeaders: ['Host', 'x', 'X-A', '1 2', 'Accept', '*/*'],
      close: false,
    });
  });

  it('takes HEAD, OPTIONS and DELETE, and notes Connection: close in any case and list', () => {
    for (const method of ['HEAD', 'OPTIONS', 'DELETE']) {
      expect(parseSimpleRequest(`${method} / HTTP/1.1\r\nHost: x\r\n`)?.method).toBe(method);
    }
    expect(parseSimpleRequest('GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n')?.close).toBe(
      true,
    );
    expect(
      parseSimpleRequest('GET / HTTP/1.1\r\nHost: x\r\nconnection: x-a, close\r\n')?.close,
    ).toBe(true);
    expect(
      parseSimpleRequest('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n')?.close,
    ).toBe(false);
  });

  it.each([
    ['a request with a body', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n'],
    ['a chunked body', 'GET / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n'],
    ['an upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'],
    ['Expect', 'GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n'],
    ['a POST', 'POST / HTTP/1.1\r\nHost: x\r\n'],
    ['CONNECT', 'CONNECT x:443 HTTP/1.1\r\nHost: x\r\n'],
    ['a lower-case method', 'get / HTTP/1.1\r\nHost: x\r\n'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: x\r\n'],
    ['HTTP/2 in a request line', 'GET / HTTP/2.0\r\nHost: x\r\n'],
    ['an absolute-form target', 'GET http://x/ HTTP/1.1\r\nHost: x\r\n'],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n'],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\nHost: x\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n'],
    ['a high byte in the target', 'GET /\xe9 HTTP/1.1\r\nHost: x\r\n'],
    ['a NUL in the target', 'GET /\0 HTTP/1.1\r\nHost: x\r\n'],
    ['no Host', 'GET / HTTP/1.1\r\nX-A: 1\r\n'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: x\r\nhost: y\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n'],
    ['a bare LF', 'GET / HTTP/1.1\nHost: x\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n'],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nHost: x\0\r\n'],
    ['obs-text in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n'],
    ['a blank line first', '\r\nGET / HTTP/1.1\r\nHost: x\r\n'],
    ['a field line without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n'],
    ['an empty name', 'GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n'],
  ])('leaves %s to Node’s server (null)', (_name, text) => {
    expect(parseSimpleRequest(text)).toBeNull();
  });

  it(`leaves a head of more than ${MAX_SIMPLE_FIELDS} field lines to Node’s server`, () => {
    const fields = (n: number): string => 'X-A: 1\r\n'.repeat(n - 1);
    expect(
      parseSimpleRequest(`GET / HTTP/1.1\r\nHost: x\r\n${fields(MAX_SIMPLE_FIELDS)}`),
    ).not.toBe(null);
    expect(
      parseSimpleRequest(`GET / HTTP/1.1\r\nHost: x\r\n${fields(MAX_SIMPLE_FIELDS + 1)}`),
    ).toBeNull();
  });

  it('never takes a head with a byte outside visible ASCII, space and HTAB, or a CR/LF out of place', () => {
    // Whatever it takes must be re-writable upstream without splitting it:
    // every value it returns is free of CR, LF and NUL.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
        fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
        (target, value) => {
          const parsed = parseSimpleRequest(
            `GET /${target} HTTP/1.1\r\nHost: x\r\nX-A: ${value}\r\n`,
          );
          if (parsed === null) return;
          for (const part of [parsed.url, ...parsed.rawHeaders])
            expect(part).toMatch(/^[\t\x20-\x7e]*$/);
          expect(parsed.url).not.toContain(' ');
        },
      ),
      { numRuns: 2000, seed: 6 },
    );
  });
});
