import type { Socket } from 'node:net';

/** The end of a chunked body: the zero-size chunk and the empty trailer section. */
export const LAST_CHUNK = '0\r\n\r\n';

/**
 * Writes `chunk` as one chunk of a chunked body (RFC 9112 §7.1), after
 * `prefix` (latin1, e.g. a response head still held): one writev. Returns
 * what the last write returned (false: wait for 'drain'). An empty chunk
 * would end the body, so it writes only the prefix.
 */
export function writeChunk(socket: Socket, chunk: Buffer, prefix = ''): boolean {
  if (chunk.length === 0) return prefix === '' || socket.write(prefix, 'latin1');
  socket.cork();
  socket.write(`${prefix}${chunk.length.toString(16)}\r\n`, 'latin1');
  socket.write(chunk);
  const more = socket.write('\r\n', 'latin1');
  socket.uncork();
  return more;
}

/** `text` (latin1) as a whole chunked body, ended. */
export function chunkedText(text: string): string {
  return text.length === 0 ? LAST_CHUNK : `${text.length.toString(16)}\r\n${text}\r\n${LAST_CHUNK}`;
}
