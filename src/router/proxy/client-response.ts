import type { IncomingMessage } from 'node:http';

/**
 * The two sides of the router's client connections, as the exchange sees
 * them. A request reaches the exchange by one of two paths (listener.ts):
 * the router's own path for simple body-less requests (client-connection.ts)
 * or Node's HTTP server for everything else (node-client-response.ts).
 */

/** What the exchange knows of the client's request. */
export interface ClientRequest {
  readonly method: string;
  readonly url: string;
  /** [name, value, ...] as sent, as Node's `rawHeaders`. */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  /**
   * The body's stream when the request may carry one (Node's path); null on
   * the router's own path, which takes only requests without a body.
   */
  readonly body: IncomingMessage | null;
}

/** What a client response tells the exchange that writes it. */
export interface ClientResponseUser {
  /** The client took what was queued after `write` returned false (see `whenDrained`). */
  onClientDrain(): void;
  /**
   * The response is over, once: `finished` when all of it was handed to the
   * client's socket, false when the client went away or the response was cut.
   */
  onClientClose(finished: boolean, statusCode: number): void;
}

/** A response `endBatched` may finish later in the turn (turn-flush.ts). */
export interface BatchedEnd {
  readonly destroyed: boolean;
  /** Ends the response with `text` (latin1) as the rest of its body. */
  endLatin1(text: string): void;
}

/** The client's side of one response. */
export interface ClientResponse extends BatchedEnd {
  readonly headersSent: boolean;
  /** From now on, tell `user` how the response goes. */
  attach(user: ClientResponseUser): void;
  /** Holds writes so that a head and the body that follows leave in one write... */
  hold(): void;
  /** ...and sends what was held. */
  release(): void;
  /** Throws on a header Node would refuse to send (the exchange answers 502). */
  writeHead(statusCode: number, statusMessage: string, headers: readonly string[]): void;
  /** A body piece; false when the client's socket is full (then `whenDrained`). */
  write(chunk: Buffer): boolean;
  whenDrained(): void;
  end(chunk?: Buffer): void;
  /** Cuts the connection: a response that began cannot end any other honest way. */
  destroy(): void;
  /** The connection carries no further request after this response. */
  closeConnection(): void;
}
