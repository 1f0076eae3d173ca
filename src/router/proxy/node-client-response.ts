import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientResponse, ClientResponseUser } from './client-response.ts';

const kResponse = Symbol('switchyard.clientResponse');

interface Tagged {
  [kResponse]?: NodeClientResponse;
}

/**
 * A response of Node's HTTP server (the path for requests with a body,
 * upgrades, HTTP/1.0 and whatever the router's own path does not take).
 * Its listeners are module-level functions that find the adapter through a
 * symbol, so a request allocates no closures here.
 */
export class NodeClientResponse implements ClientResponse {
  readonly res: ServerResponse;
  user: ClientResponseUser | null = null;
  /** The socket, while corked to send the response head and body in one write. */
  #corked: Socket | null = null;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get destroyed(): boolean {
    return this.res.destroyed;
  }

  attach(user: ClientResponseUser): void {
    this.user = user;
    (this.res as Tagged)[kResponse] = this;
    this.res.on('close', onClose);
  }

  hold(): void {
    const socket = this.res.socket;
    if (socket !== null && this.#corked === null) {
      socket.cork();
      this.#corked = socket;
    }
  }

  release(): void {
    const socket = this.#corked;
    if (socket === null) return;
    this.#corked = null;
    // res.end() already uncorked it fully; otherwise flush what was written.
    if (socket.writableCorked > 0) socket.uncork();
  }

  writeHead(statusCode: number, statusMessage: string, headers: readonly string[]): void {
    this.res.writeHead(statusCode, statusMessage, headers as string[]);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  whenDrained(): void {
    this.res.once('drain', onDrain);
  }

  end(chunk?: Buffer): void {
    if (chunk === undefined) this.res.end();
    else this.res.end(chunk);
  }

  endLatin1(text: string): void {
    this.res.end(text, 'latin1');
  }

  destroy(): void {
    this.res.destroy();
  }

  closeConnection(): void {
    this.res.shouldKeepAlive = false;
  }
}

function onClose(this: ServerResponse): void {
  const response = (this as Tagged)[kResponse] as NodeClientResponse;
  response.release();
  response.user?.onClientClose(this.writableFinished, this.statusCode);
}

function onDrain(this: ServerResponse): void {
  (this as Tagged)[kResponse]?.user?.onClientDrain();
}
