import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The listener's 'clientError' handler: what llhttp refused to parse
 * (Content-Length with Transfer-Encoding, bad chunk sizes, invalid header
 * bytes, two different Content-Lengths...) gets a real 400 with
 * `Connection: close`, and the connection is closed so that nothing after the
 * malformed part can be read as a second, smuggled request.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // A response already under way on this connection cannot be followed by a
  // status line: the only honest thing left is to cut the connection.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight != null && inFlight.headersSent) {
    socket.destroy();
    return;
  }
  const status = statusFor(error.code);
  socket.end(closingAnswer(status, `${STATUS_CODES[status]}\n`), () => socket.destroy());
}

/** The bytes of a short plain-text answer written straight to a socket, which then closes. */
export function closingAnswer(status: number, body: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function statusFor(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}
