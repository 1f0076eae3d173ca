import type { Socket } from 'node:net';
import { chunkedText, writeChunk } from './chunked.ts';
import type { ClientResponse, ClientResponseUser } from './client-response.ts';

/** What a response needs from the client connection it is written on. */
export interface ResponseConnection {
  readonly socket: Socket;
  /** The connection ends after this response (Connection: close is sent). */
  readonly closing: boolean;
  /** Makes `closing` true. */
  closeAfterResponse(): void;
  /** The response was handed to the socket in full, or the client is gone. */
  responseOver(response: RawClientResponse): void;
}

/**
 * A response the router writes itself on a client connection of its own
 * path (client-connection.ts): status line, the headers it is given, and the
 * framing: the upstream's Content-Length when there is one, else chunked.
 * The head is held until the first body bytes or the end, so a small
 * answer leaves in one write. Header values come from the response parser
 * (HTAB, visible ASCII, space, obs-text: the bytes Node's `writeHead`
 * accepts) or from the router, so none can split the head.
 */
export class RawClientResponse implements ClientResponse {
  readonly #conn: ResponseConnection;
  readonly #headRequest: boolean;
  #user: ClientResponseUser | null = null;
  /** The head, written but not yet sent. */
  #head: string | null = null;
  #chunked = false;
  /** HEAD, 1xx, 204, 304: whatever body is given is not sent. */
  #bodyless = false;
  #over = false;
  headersSent = false;
  statusCode = 0;

  constructor(conn: ResponseConnection, headRequest: boolean) {
    this.#conn = conn;
    this.#headRequest = headRequest;
  }

  get destroyed(): boolean {
    return this.#conn.socket.destroyed;
  }

  attach(user: ClientResponseUser): void {
    this.#user = user;
  }

  /**
   * The head always waits for the first body bytes or the end, as Node's
   * ServerResponse does; so an end that turn-flush.ts holds to the end of
   * the turn still leaves in one write with its head.
   */
  hold(): void {}

  release(): void {}

  writeHead(statusCode: number, statusMessage: string, headers: readonly string[]): void {
    let head = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
    let hasLength = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      else if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true;
      head += `${name}: ${headers[i + 1] as string}\r\n`;
    }
    // RFC 9110 §6.6.1: a response forwarded without a Date gets one.
    if (!hasDate) head += `Date: ${httpDate()}\r\n`;
    this.#bodyless =
      this.#headRequest || statusCode < 200 || statusCode === 204 || statusCode === 304;
    this.#chunked = !this.#bodyless && !hasLength;
    if (this.#chunked) head += 'Transfer-Encoding: chunked\r\n';
    if (this.#conn.closing) head += 'Connection: close\r\n';
    this.#head = `${head}\r\n`;
    this.statusCode = statusCode;
    this.headersSent = true;
  }

  write(chunk: Buffer): boolean {
    const socket = this.#conn.socket;
    if (this.#over) return true;
    if (this.#bodyless || chunk.length === 0) return !socket.writableNeedDrain;
    const head = this.#head ?? '';
    this.#head = null;
    if (this.#chunked) return writeChunk(socket, chunk, head);
    if (head !== '') socket.write(head, 'latin1');
    return socket.write(chunk);
  }

  whenDrained(): void {
    this.#conn.socket.once('drain', () => this.#user?.onClientDrain());
  }

  end(chunk?: Buffer): void {
    if (chunk !== undefined) this.write(chunk);
    this.endLatin1('');
  }

  endLatin1(text: string): void {
    if (this.#over) return;
    const head = this.#head ?? '';
    this.#head = null;
    const rest = this.#bodyless ? head : this.#chunked ? head + chunkedText(text) : head + text;
    if (rest !== '') this.#conn.socket.write(rest, 'latin1');
    this.#over = true;
    // After the current call chain: the exchange learns the response is over
    // once the upstream connection finished the read that ended it (as with
    // Node's 'close', which comes later still).
    queueMicrotask(() => {
      this.#user?.onClientClose(true, this.statusCode);
      this.#conn.responseOver(this);
    });
  }

  destroy(): void {
    this.#conn.socket.destroy();
  }

  closeConnection(): void {
    this.#conn.closeAfterResponse();
  }

  /** The client's socket closed before the response was over. */
  clientGone(): void {
    if (this.#over) return;
    this.#over = true;
    this.#user?.onClientClose(false, this.statusCode);
  }
}

let dateSecond = -1;
let dateText = '';

/** The current time as an IMF-fixdate, made at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
