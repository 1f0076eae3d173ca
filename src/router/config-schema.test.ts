import { describe, expect, it } from 'vitest';
import { routerService, type RouterConfig, type RouterService } from './config.ts';
import { formatConfigIssues, parseRouterConfig } from './config-schema.ts';

function service(overrides: Partial<RouterService> = {}): RouterService {
  return routerService({
    name: 'shop/live',
    listen: { port: 8080 },
    preview: { port: 8081 },
    previewPool: 'canary',
    pools: [
      { name: 'stable', weight: 90, instances: [{ id: 'a', host: '127.0.0.1', port: 4001 }] },
      { name: 'canary', weight: 10, instances: [{ id: 'b', host: '127.0.0.1', port: 4002 }] },
    ],
    sticky: true,
    ...overrides,
  });
}

const good: RouterConfig = { generation: 3, services: [service()] };

/** Parses a config that must fail and returns "path: message" lines. */
function problems(input: unknown): string[] {
  const result = parseRouterConfig(input);
  if (result.ok) throw new Error('expected the config to be rejected');
  return formatConfigIssues(result.issues);
}

function paths(input: unknown): string[] {
  const result = parseRouterConfig(input);
  return result.ok ? [] : result.issues.map((i) => i.path);
}

describe('router config schema', () => {
  it('accepts a valid config as it is', () => {
    expect(parseRouterConfig(good)).toEqual({ ok: true, config: good });
    expect(parseRouterConfig({ generation: 0, services: [] }).ok).toBe(true);
  });

  it('rejects a body that is not an object', () => {
    expect(problems('hello')).toEqual([
      'the config must be a JSON object with generation and services',
    ]);
  });

  it('names each bad field, all at once', () => {
    const bad = {
      generation: -1,
      services: [
        service({
          listen: { port: 70000 },
          pools: [{ name: 'stable', weight: 1.5, instances: [{ id: 'a', host: 'h', port: 0 }] }],
          previewPool: undefined,
          healthCheck: {
            path: 'healthz',
            intervalMs: 0,
            timeoutMs: 10.5,
            healthyThreshold: 0,
            unhealthyThreshold: 1,
          },
          drainTimeoutMs: -5,
          balance: 'random' as never,
        }),
      ],
    };
    expect(paths(bad).sort()).toEqual(
      [
        'generation',
        'services[0].listen.port',
        'services[0].pools[0].weight',
        'services[0].pools[0].instances[0].port',
        'services[0].healthCheck.path',
        'services[0].healthCheck.intervalMs',
        'services[0].healthCheck.timeoutMs',
        'services[0].healthCheck.healthyThreshold',
        'services[0].drainTimeoutMs',
        'services[0].balance',
      ].sort(),
    );
    expect(problems(bad)).toContain('services[0].listen.port: must be a port from 1 to 65535');
    expect(problems(bad)).toContain(
      'services[0].balance: must be "round-robin" or "least-requests"',
    );
  });

  it('rejects negative weights and unknown keys, and reports missing fields as required', () => {
    const { drainTimeoutMs: _dropped, ...missingDrain } = service();
    expect(
      problems({
        generation: 1,
        services: [
          { ...missingDrain, pools: [{ name: 'p', weight: -1, instances: [] }], colour: 'red' },
        ],
      }),
    ).toEqual([
      'services[0].pools[0].weight: must not be negative (0 = no new traffic)',
      'services[0].drainTimeoutMs: is required',
      'services[0]: has unknown key "colour"; remove it',
    ]);
  });

  it('rejects two services with the same name', () => {
    const config = {
      generation: 1,
      services: [service(), service({ listen: { port: 9000 }, preview: undefined })],
    };
    expect(paths(config)).toEqual(['services[1].name']);
  });

  it('rejects a listen port claimed twice, counting preview ports', () => {
    const second = service({ name: 'cart/live', listen: { port: 8081 }, preview: { port: 9001 } });
    expect(problems({ generation: 1, services: [service(), second] })).toEqual([
      'services[1].listen.port: port 8081 is already used by services[0].preview.port; give each listener its own port',
    ]);
    expect(paths({ generation: 1, services: [service({ preview: { port: 8080 } })] })).toEqual([
      'services[0].preview.port',
    ]);
  });

  it('rejects an instance id used twice within a service, and a pool name used twice', () => {
    const dupInstance = service({
      pools: [
        { name: 'stable', weight: 1, instances: [{ id: 'a', host: 'h', port: 1 }] },
        { name: 'canary', weight: 1, instances: [{ id: 'a', host: 'h', port: 2 }] },
      ],
    });
    expect(problems({ generation: 1, services: [dupInstance] })).toEqual([
      'services[0].pools[1].instances[0].id: instance id "a" is also used at services[0].pools[0].instances[0]; instance ids must be unique within a service',
    ]);
    const dupPool = service({
      previewPool: undefined,
      pools: [
        { name: 'stable', weight: 1, instances: [] },
        { name: 'stable', weight: 1, instances: [] },
      ],
    });
    expect(paths({ generation: 1, services: [dupPool] })).toEqual(['services[0].pools[1].name']);
  });

  it('requires previewPool to name one of the service’s pools', () => {
    expect(problems({ generation: 1, services: [service({ previewPool: 'green' })] })).toEqual([
      'services[0].previewPool: names pool "green", which this service does not have; use one of: stable, canary',
    ]);
  });

  it('rejects an override header that is not a header name', () => {
    expect(paths({ generation: 1, services: [service({ overrideHeader: 'x pool' })] })).toEqual([
      'services[0].overrideHeader',
    ]);
  });
});
