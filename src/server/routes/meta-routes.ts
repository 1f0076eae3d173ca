/** Routes about the daemon itself: health, the service list, shutdown, events, the OpenAPI document. */
import type { ControlPlane } from '../../controller/control-plane.ts';
import { VERSION } from '../../version.ts';
import { sseFrame, openStream } from '../event-stream.ts';
import { defineRoute, type ApiRoute } from '../route.ts';
import { emptyBody, eventsQuery } from '../schemas.ts';
import { errorBody, toSwitchyardError } from '../http-errors.ts';

export interface MetaRouteOptions {
  readonly control: ControlPlane;
  readonly serverSignal: AbortSignal;
  readonly openApi: () => unknown;
  readonly onShutdown?: () => void;
}

export function metaRoutes(options: MetaRouteOptions): ApiRoute[] {
  const { control, serverSignal } = options;
  const routes = [
    defineRoute({
      method: 'GET',
      url: '/v1/healthz',
      summary: 'Whether the daemon answers (no token needed; says nothing about services).',
      public: true,
      handle: async () => ({ ok: true, version: VERSION, pid: process.pid }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/openapi.json',
      summary: 'This document.',
      public: true,
      handle: async () => options.openApi(),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/services',
      summary: 'Every service and environment the daemon knows, with its version and rollout.',
      handle: async () => ({ services: await control.services() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/events',
      summary:
        'Server-Sent Events: every event after `after` (or Last-Event-ID), then new ones as they happen. `id:` is the event id; `data:` the event as JSON.',
      produces: 'event-stream',
      query: eventsQuery,
      async handle({ query, request, reply }) {
        const lastEventId = Number(request.headers['last-event-id']);
        const afterId =
          Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : query.after;
        const stream = openStream({ reply, contentType: 'text/event-stream', serverSignal });
        stream.write(': switchyard events\n\n');
        try {
          const events = control.events({
            ...(query.service !== undefined && { service: query.service }),
            ...(query.env !== undefined && { environment: query.env }),
            ...(afterId !== undefined && { afterId }),
            signal: stream.signal,
          });
          for await (const event of events) stream.write(sseFrame({ id: event.id, data: event }));
        } catch (error) {
          if (!stream.signal.aborted) {
            reply.log.error({ err: error }, 'event stream failed');
            stream.write(sseFrame({ event: 'error', data: errorBody(toSwitchyardError(error)) }));
          }
        } finally {
          stream.end();
        }
        return undefined;
      },
    }),
  ];
  const { onShutdown } = options;
  if (onShutdown) {
    routes.push(
      defineRoute({
        method: 'POST',
        url: '/v1/shutdown',
        summary: 'Stop the daemon (`switchyard down`); the router and instances keep running.',
        body: emptyBody,
        async handle({ reply }) {
          // Answer first, then stop: closing the server waits for this response.
          reply.raw.once('finish', () => setImmediate(onShutdown));
          return { stopping: true, pid: process.pid };
        },
      }),
    );
  }
  return routes;
}
