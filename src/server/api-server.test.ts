import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../errors.ts';
import { parseSpec } from '../spec/index.ts';
import type { StoredEvent } from '../state/store.ts';
import { createApiServerWithRoutes } from './api-server.ts';
import type { ApiRoute } from './route.ts';
import { FakeControlPlane } from './testing/fake-control-plane.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const SHOP = '/v1/services/shop/default';

const spec = parseSpec({
  file: 'switchyard.yaml',
  env: {},
  text: 'service: shop\nruntime: { type: process, command: "node server.js" }\nrouter: { listen: 8080 }\nsecrets: [DATABASE_URL]\nenv: { LOG_LEVEL: info }\n',
});

function event(id: number, service = 'shop'): StoredEvent {
  return {
    id,
    at: '2026-01-01T00:00:00.000Z',
    service,
    environment: 'default',
    rolloutId: 1,
    type: 'rollout.status',
    reason: 'RolloutProgressing',
    message: `event ${id}`,
  };
}

describe('control API', () => {
  let control: FakeControlPlane;
  let app: FastifyInstance;
  let routes: readonly ApiRoute[];
  let shutdowns: number;

  beforeEach(async () => {
    control = new FakeControlPlane();
    shutdowns = 0;
    ({ app, routes } = await createApiServerWithRoutes({
      control,
      token: TOKEN,
      onShutdown: () => (shutdowns += 1),
    }));
  });
  afterEach(async () => {
    await app.close();
  });

  describe('auth', () => {
    it('answers healthz without a token', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/healthz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ ok: true, pid: process.pid });
    });

    it.each([
      ['no header', {}],
      ['a wrong token', { authorization: 'Bearer nope' }],
      ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ])('refuses a change with %s: 401, and the controller is not called', async (_, headers) => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/abort`,
        headers,
        payload: {},
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json().error.code).toBe('API_UNAUTHORIZED');
      expect(control.calls).toEqual([]);
    });

    it('refuses every route but healthz and the OpenAPI document without the token', async () => {
      expect(routes.filter((route) => route.public).map((route) => route.url)).toEqual([
        '/v1/healthz',
        '/v1/openapi.json',
      ]);
      for (const route of routes.filter((r) => !r.public)) {
        const response = await app.inject({
          method: route.method,
          url: route.url.replace(':service', 'shop').replace(':env', 'default'),
          headers: { authorization: 'Bearer nope' },
          ...(route.method === 'POST' && { payload: {} }),
        });
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      }
      expect(control.calls).toEqual([]);
      expect(shutdowns).toBe(0);
    });

    it('refuses reads without a token too', async () => {
      const response = await app.inject({ method: 'GET', url: `${SHOP}/status` });
      expect(response.statusCode).toBe(401);
    });

    it('checks the token before reading the body', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/scale`,
        headers: { 'content-type': 'application/json' },
        payload: '{not json',
      });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('validation', () => {
    it('names the wrong body field in a 400', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/scale`,
        headers: auth,
        payload: { replicas: 'three' },
      });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('API_BAD_REQUEST');
      expect(error.message).toContain('"replicas"');
      expect(control.calls).toEqual([]);
    });

    it('names a nested field and rejects unknown keys', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/traffic`,
        headers: auth,
        payload: { weights: [{ pool: 'blue', weight: 101 }], wieghts: [] },
      });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.details.join('\n')).toContain('"weights[0].weight"');
      expect(error.details.join('\n')).toContain('"wieghts"');
    });

    it('reports a missing required field', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/deploy`,
        headers: auth,
        payload: { spec, requestedBy: 'alice@laptop' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('"version"');
    });

    it('checks the spec inside a deploy with the spec schema', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/deploy`,
        headers: auth,
        payload: { version: '2', spec: { ...spec, replicas: 0 }, requestedBy: 'alice' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('"spec.replicas"');
    });

    it('refuses a spec sent to another service', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/services/cart/default/deploy',
        headers: auth,
        payload: { version: '2', spec, requestedBy: 'alice' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('"spec"');
    });

    it('validates path parameters', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/v1/services/Shop!/x/status',
        headers: auth,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('"service"');
    });

    it('validates query parameters', async () => {
      const response = await app.inject({
        method: 'GET',
        url: `${SHOP}/history?limit=ten`,
        headers: auth,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toContain('"limit"');
    });

    it('answers malformed JSON with a 400, not a 500', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/scale`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{not json',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('API_BAD_REQUEST');
    });

    it('accepts a change with no body when every field is optional', async () => {
      const response = await app.inject({ method: 'POST', url: `${SHOP}/promote`, headers: auth });
      expect(response.statusCode).toBe(200);
      expect(control.calls).toEqual([
        { method: 'promote', args: [{ service: 'shop', environment: 'default' }, { full: false }] },
      ]);
    });
  });

  describe('mapping to the control plane', () => {
    it('deploys with the service and environment of the path', async () => {
      const response = await app.inject({
        method: 'POST',
        url: `${SHOP}/deploy`,
        headers: auth,
        payload: { version: '2.0.0', spec, requestedBy: 'alice@laptop' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ service: 'shop', status: 'progressing' });
      expect(control.calls[0]).toMatchObject({
        method: 'deploy',
        args: [
          {
            service: 'shop',
            environment: 'default',
            version: '2.0.0',
            requestedBy: 'alice@laptop',
          },
        ],
      });
    });

    it('passes rollback --to and the caller', async () => {
      await app.inject({
        method: 'POST',
        url: `${SHOP}/rollback`,
        headers: { ...auth, 'x-switchyard-user': 'bob@desk' },
        payload: { to: 3 },
      });
      expect(control.calls[0]?.args[1]).toEqual({ toRevision: 3, requestedBy: 'bob@desk' });
    });

    it('passes lock release --force from the query', async () => {
      const response = await app.inject({
        method: 'DELETE',
        url: `${SHOP}/lock?force=true`,
        headers: auth,
      });
      expect(response.statusCode).toBe(200);
      expect(control.calls[0]?.args[1]).toEqual({ force: true, requestedBy: 'api' });
    });

    it('lists services', async () => {
      control.serviceList = [
        { service: 'shop', environment: 'default', version: '1', rolloutStatus: null },
      ];
      const response = await app.inject({ method: 'GET', url: '/v1/services', headers: auth });
      expect(response.json()).toEqual({ services: control.serviceList });
    });
  });

  describe('errors', () => {
    it.each([
      ['STATE_NOT_FOUND', 404],
      ['LOCK_HELD', 409],
      ['RUNTIME_START_FAILED', 422],
      ['SPEC_CONFLICT', 400],
    ] as const)('maps %s to %i with its code', async (code, status) => {
      control.errors.status = new SwitchyardError(code, 'what happened', { details: ['a detail'] });
      const response = await app.inject({ method: 'GET', url: `${SHOP}/status`, headers: auth });
      expect(response.statusCode).toBe(status);
      expect(response.json()).toEqual({
        error: { code, message: 'what happened', details: ['a detail'] },
      });
    });

    it('hides an unexpected error behind a 500 with API_FAILED', async () => {
      control.errors.status = new TypeError('x is undefined');
      const response = await app.inject({ method: 'GET', url: `${SHOP}/status`, headers: auth });
      expect(response.statusCode).toBe(500);
      expect(response.json().error.code).toBe('API_FAILED');
    });

    it('answers an unknown route with a 404', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/nope', headers: auth });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('API_NOT_FOUND');
    });
  });

  it('never sends a secret env value back', async () => {
    const leaky = {
      ...spec,
      env: { ...spec.env, DATABASE_URL: 'postgres://u:hunter2@db' },
      runtime: { ...spec.runtime, env: { DATABASE_URL: 'postgres://u:hunter3@db' } },
    };
    control.historyEntries = [
      {
        revision: {
          id: 1,
          number: 1,
          service: 'shop',
          environment: 'default',
          version: '1',
          spec: leaky,
          createdBy: 'alice',
          specDigest: 'x',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
        rollout: null,
        analysis: [],
        outcome: 'succeeded',
        durationMs: 1000,
      },
    ];
    const response = await app.inject({ method: 'GET', url: `${SHOP}/history`, headers: auth });
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('hunter3');
    expect(response.json()[0].revision.spec.env).toEqual({
      LOG_LEVEL: 'info',
      DATABASE_URL: '[secret]',
    });
  });

  describe('streams', () => {
    it('frames events as SSE with the event id', async () => {
      control.eventList = [event(1), event(2, 'cart'), event(3)];
      const response = await app.inject({
        method: 'GET',
        url: '/v1/events?service=shop&after=0',
        headers: auth,
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/event-stream');
      const frames = response.body.split('\n\n').filter((frame) => frame.startsWith('id:'));
      expect(frames.map((frame) => frame.split('\n')[0])).toEqual(['id: 1', 'id: 3']);
      expect(JSON.parse(frames[1]!.split('\n')[1]!.slice('data: '.length))).toEqual(event(3));
    });

    it('resumes after Last-Event-ID', async () => {
      control.eventList = [event(1), event(2), event(3)];
      const response = await app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { ...auth, 'last-event-id': '2' },
      });
      expect(response.body).not.toContain('id: 2\n');
      expect(response.body).toContain('id: 3\n');
      expect(control.calls[0]?.args[0]).toMatchObject({ afterId: 2 });
    });

    it('sends an error frame when the event source fails', async () => {
      control.errors.events = new SwitchyardError('STATE_CORRUPT', 'broken store');
      const response = await app.inject({ method: 'GET', url: '/v1/events', headers: auth });
      expect(response.body).toContain('event: error\n');
      expect(response.body).toContain('STATE_CORRUPT');
    });

    it('returns log lines as JSON, or as JSON lines when following', async () => {
      control.logLines = [
        { instanceId: 'a', line: 'one' },
        { instanceId: 'b', line: 'two' },
      ];
      const listed = await app.inject({
        method: 'GET',
        url: `${SHOP}/logs?instance=b&tail=5`,
        headers: auth,
      });
      expect(listed.json()).toEqual({ lines: [{ instanceId: 'b', line: 'two' }] });
      expect(control.calls[0]?.args[1]).toMatchObject({ instanceId: 'b', tail: 5, follow: false });

      const followed = await app.inject({
        method: 'GET',
        url: `${SHOP}/logs?follow=true`,
        headers: auth,
      });
      expect(followed.headers['content-type']).toContain('application/x-ndjson');
      expect(
        followed.body
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual(control.logLines);
    });
  });

  it('stops the daemon through POST /v1/shutdown after answering', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/shutdown',
      headers: auth,
      payload: {},
    });
    expect(response.json()).toMatchObject({ stopping: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(shutdowns).toBe(1);
  });

  it('documents every route in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = routes.map(
      (route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`,
    );
    expect(documented.sort()).toEqual(registered.sort());
    expect(registered.length).toBeGreaterThanOrEqual(19);
    const deploy = document.paths['/v1/services/{service}/{env}/deploy'].post;
    expect(Object.keys(deploy.requestBody.content['application/json'].schema.properties)).toEqual([
      'version',
      'spec',
      'requestedBy',
    ]);
    expect(deploy.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/v1/healthz'].get.security).toEqual([]);
  });
});
