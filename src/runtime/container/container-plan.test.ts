import { describe, expect, it } from 'vitest';
import type { ContainerLaunch, InstanceRequest } from '../runtime.ts';
import { describeContainer } from './container-plan.ts';
import { memoryBytes, nanoCpus } from './resources.ts';

const request: InstanceRequest = {
  service: 'shop',
  environment: 'live',
  revision: 7,
  version: '2.0.0',
  pool: 'canary',
  instanceId: 'shop-live-canary-r7-0a1b2c3d',
  env: { LOG_LEVEL: 'info', DATABASE_URL: 'postgres://db/shop' },
  stopTimeoutMs: 30_000,
};

const launch: ContainerLaunch = { image: 'localhost/shop:2.0.0', port: 3000, pull: 'never' };

describe('describeContainer', () => {
  it('describes the whole create request for a minimal launch', () => {
    expect(describeContainer({ request, launch, hostPort: 41234 })).toEqual({
      name: 'shop-live-canary-r7-0a1b2c3d',
      body: {
        Image: 'localhost/shop:2.0.0',
        Env: [
          'LOG_LEVEL=info',
          'DATABASE_URL=postgres://db/shop',
          'PORT=3000',
          'SWITCHYARD_SERVICE=shop',
          'SWITCHYARD_ENV=live',
          'SWITCHYARD_VERSION=2.0.0',
          'SWITCHYARD_REVISION=7',
          'SWITCHYARD_POOL=canary',
          'SWITCHYARD_INSTANCE=shop-live-canary-r7-0a1b2c3d',
        ],
        ExposedPorts: { '3000/tcp': {} },
        Labels: {
          'switchyard.service': 'shop',
          'switchyard.environment': 'live',
          'switchyard.revision': '7',
          'switchyard.version': '2.0.0',
          'switchyard.pool': 'canary',
          'switchyard.instance': 'shop-live-canary-r7-0a1b2c3d',
        },
        StopTimeout: 30,
        HostConfig: {
          PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '41234' }] },
          RestartPolicy: { Name: 'no' },
        },
      },
    });
  });

  it('sets volumes, limits and user labels, and the instance variables win over env', () => {
    const { body } = describeContainer({
      request: { ...request, env: { PORT: '9', MODE: 'x' }, stopTimeoutMs: 1500 },
      launch: {
        ...launch,
        port: 8080,
        volumes: ['/srv/shop:/data:ro', 'cache:/cache'],
        memory: '512m',
        cpus: 1.5,
        labels: { 'com.example.team': 'web' },
      },
      hostPort: 40000,
    });
    expect(body.Env).toContain('PORT=8080');
    expect(body.Env).not.toContain('PORT=9');
    expect(body.Env).toContain('MODE=x');
    expect(body.HostConfig).toMatchObject({
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '40000' }] },
      Binds: ['/srv/shop:/data:ro', 'cache:/cache'],
      Memory: 512 * 1024 * 1024,
      NanoCpus: 1_500_000_000,
    });
    expect(body.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(body.Labels).toMatchObject({ 'com.example.team': 'web', 'switchyard.pool': 'canary' });
    // Rounded up: a stop timeout never shrinks.
    expect(body.StopTimeout).toBe(2);
  });

  it("keeps Switchyard's labels even if a user label tries to set one", () => {
    const { body } = describeContainer({
      request,
      launch: { ...launch, labels: { 'switchyard.instance': 'someone-else' } },
      hostPort: 1,
    });
    expect(body.Labels['switchyard.instance']).toBe(request.instanceId);
  });

  it.each([
    [{}, {}],
    [{ args: ['--workers', '2'] }, { Cmd: ['--workers', '2'] }],
    [{ command: ['node'] }, { Entrypoint: ['node'], Cmd: [] }],
    [
      { command: ['node'], args: ['server.js'] },
      { Entrypoint: ['node'], Cmd: ['server.js'] },
    ],
  ])('maps command %j to entrypoint and CMD %j', (given, expected) => {
    const { body } = describeContainer({ request, launch: { ...launch, ...given }, hostPort: 1 });
    expect({ Entrypoint: body.Entrypoint, Cmd: body.Cmd }).toEqual({
      Entrypoint: undefined,
      Cmd: undefined,
      ...expected,
    });
  });
});

describe('resources', () => {
  it.each([
    ['100', 100],
    ['64k', 65_536],
    ['512m', 536_870_912],
    ['512M', 536_870_912],
    ['2g', 2_147_483_648],
  ])('%s of memory is %d bytes', (size, bytes) => {
    expect(memoryBytes(size)).toBe(bytes);
  });

  it('refuses a memory size the spec would not pass', () => {
    expect(() => memoryBytes('1.5g')).toThrow(RangeError);
  });

  it('counts CPUs in billionths', () => {
    expect(nanoCpus(0.25)).toBe(250_000_000);
    expect(nanoCpus(2)).toBe(2_000_000_000);
  });
});
