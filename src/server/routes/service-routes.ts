/**
 * `/v1/services/:service/:env/...`: one route per CLI verb, each mapped
 * one-to-one onto a ControlPlane call (STYLE.md §1).
 */
import type { ControlPlane } from '../../controller/control-plane.ts';
import { SwitchyardError } from '../../errors.ts';
import type { ResolvedSpec } from '../../spec/index.ts';
import { openStream } from '../event-stream.ts';
import { requestedBy, serviceKey } from '../request-context.ts';
import { defineRoute, type ApiRoute } from '../route.ts';
import {
  cleanupBody,
  deployBody,
  emptyBody,
  historyQuery,
  lockReleaseQuery,
  logsQuery,
  promoteBody,
  rollbackBody,
  scaleBody,
  serviceParams,
  trafficBody,
} from '../schemas.ts';

const BASE = '/v1/services/:service/:env';

export function serviceRoutes(control: ControlPlane, serverSignal: AbortSignal): ApiRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: `${BASE}/deploy`,
      summary: 'Start a rollout of a version with a resolved spec (a new revision).',
      params: serviceParams,
      body: deployBody,
      async handle({ params, body }) {
        const key = serviceKey(params);
        if (body.spec.service !== key.service || body.spec.environment !== key.environment) {
          throw new SwitchyardError(
            'API_BAD_REQUEST',
            `Bad request, body field "spec": it is the spec of ${body.spec.service}/${body.spec.environment} but was sent to ${key.service}/${key.environment}; send it to /v1/services/${body.spec.service}/${body.spec.environment}/deploy.`,
          );
        }
        // The schema checked it; its inferred type is looser than ResolvedSpec (as in spec/load.ts).
        return control.deploy({ ...key, ...body, spec: body.spec as ResolvedSpec });
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/status`,
      summary: 'Pools, weights, instances and their health, the rollout and its current step.',
      params: serviceParams,
      handle: ({ params }) => control.status(serviceKey(params)),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/promote`,
      summary: 'Go on past a pause; with full, skip the remaining steps.',
      params: serviceParams,
      body: promoteBody,
      handle: ({ params, body }) =>
        control.promote(serviceKey(params), { full: body.full ?? false }),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/pause`,
      summary: 'Hold the rollout at its current step.',
      params: serviceParams,
      body: emptyBody,
      handle: ({ params }) => control.pause(serviceKey(params)),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/resume`,
      summary: 'Continue a paused rollout.',
      params: serviceParams,
      body: emptyBody,
      handle: ({ params }) => control.resume(serviceKey(params)),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/abort`,
      summary: 'Stop the rollout and send all traffic back to the stable pool.',
      params: serviceParams,
      body: emptyBody,
      handle: ({ params }) => control.abort(serviceKey(params)),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/rollback`,
      summary: 'Back to the previous (or named) revision; instant while its pool still runs.',
      params: serviceParams,
      body: rollbackBody,
      handle: ({ params, body, request }) =>
        control.rollback(serviceKey(params), {
          ...(body.to !== undefined && { toRevision: body.to }),
          requestedBy: body.requestedBy ?? requestedBy(request),
        }),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/traffic`,
      summary: 'Set the traffic split by hand.',
      params: serviceParams,
      body: trafficBody,
      handle: ({ params, body }) => control.traffic(serviceKey(params), body.weights),
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/scale`,
      summary: 'Change the number of instances per pool.',
      params: serviceParams,
      body: scaleBody,
      handle: ({ params, body }) => control.scale(serviceKey(params), body.replicas),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/history`,
      summary: 'Revisions, newest first, with the outcome and duration of their rollouts.',
      params: serviceParams,
      query: historyQuery,
      handle: ({ params, query }) =>
        control.history(serviceKey(params), {
          ...(query.limit !== undefined && { limit: query.limit }),
        }),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/logs`,
      summary:
        'Instance logs: {lines:[{instanceId,line}]}, or with follow=true a stream of JSON lines.',
      produces: 'ndjson',
      params: serviceParams,
      query: logsQuery,
      async handle({ params, query, reply }) {
        const key = serviceKey(params);
        const options = {
          ...(query.instance !== undefined && { instanceId: query.instance }),
          ...(query.tail !== undefined && { tail: query.tail }),
        };
        if (!query.follow) {
          const lines: { instanceId: string; line: string }[] = [];
          for await (const line of control.logs(key, { ...options, follow: false })) {
            lines.push({ instanceId: line.instanceId, line: line.line });
          }
          return { lines };
        }
        const stream = openStream({ reply, contentType: 'application/x-ndjson', serverSignal });
        try {
          const lines = control.logs(key, { ...options, follow: true, signal: stream.signal });
          for await (const line of lines) {
            stream.write(`${JSON.stringify({ instanceId: line.instanceId, line: line.line })}\n`);
          }
        } catch (error) {
          if (!stream.signal.aborted) reply.log.error({ err: error }, 'log stream failed');
        } finally {
          stream.end();
        }
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${BASE}/cleanup`,
      summary: 'Remove old pools and their instances; with apply=false only say what would go.',
      params: serviceParams,
      body: cleanupBody,
      handle: ({ params, body }) => control.cleanup(serviceKey(params), { apply: body.apply }),
    }),
    defineRoute({
      method: 'GET',
      url: `${BASE}/lock`,
      summary: 'The deploy lock: holder, since, reason; null when free.',
      params: serviceParams,
      handle: async ({ params }) => ({ lock: await control.lockStatus(serviceKey(params)) }),
    }),
    defineRoute({
      method: 'DELETE',
      url: `${BASE}/lock`,
      summary: 'Release the deploy lock; force=true releases one held by someone else.',
      params: serviceParams,
      query: lockReleaseQuery,
      handle: async ({ params, query, request }) => ({
        released: await control.lockRelease(serviceKey(params), {
          force: query.force ?? false,
          requestedBy: requestedBy(request),
        }),
      }),
    }),
  ];
}
