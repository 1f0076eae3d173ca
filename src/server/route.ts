/**
 * One control API route as data: method, URL, the zod schemas of its path,
 * query and body, and a handler that gets the parsed values. The server
 * registers these with fastify and validates with the same schemas that the
 * OpenAPI document is generated from (STYLE.md §6: one schema for docs and
 * validation).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** What a successful answer is: JSON, a Server-Sent Events stream, or JSON lines. */
export type Produces = 'json' | 'event-stream' | 'ndjson';

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteDefinition<P, Q, B> {
  readonly method: HttpMethod;
  /** fastify syntax: `/v1/services/:service/:env/deploy`. */
  readonly url: string;
  readonly summary: string;
  /** Served without the bearer token. Only GET /v1/healthz and the OpenAPI document. */
  readonly public?: boolean;
  /** Default `json`. A streaming route may answer JSON too, depending on its query. */
  readonly produces?: Produces;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Returns the JSON answer; a streaming handler writes to `reply.raw` itself and returns undefined. */
  handle(input: RouteInput<P, Q, B>): Promise<unknown>;
}

export type ApiRoute = RouteDefinition<unknown, unknown, unknown>;

/** Keeps the handler's types tied to its schemas, then erases them for the route table. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(
  definition: RouteDefinition<P, Q, B>,
): ApiRoute {
  return definition as unknown as ApiRoute;
}
