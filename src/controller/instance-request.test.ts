import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/index.ts';
import { instanceRequestFor, PROCESS_STOP_TIMEOUT_MS } from './instance-request.ts';

const base = {
  key: { service: 'shop', environment: 'default' },
  plan: { name: 'green', revision: 4, version: '2.0.0' },
  instanceId: 'shop-default-green-r4-00ff00ff',
  secrets: { DATABASE_URL: 'postgres://db' },
};
const identity = {
  service: 'shop',
  environment: 'default',
  revision: 4,
  version: '2.0.0',
  pool: 'green',
  instanceId: 'shop-default-green-r4-00ff00ff',
};

const spec = (runtime: string, extra = '') =>
  parseSpec({
    text: `service: shop\nrouter: { listen: 8080 }\nport: 4000\nenv: { LOG_LEVEL: info, MODE: service }\nsecrets: [DATABASE_URL]\nruntime:\n${runtime}${extra}`,
    file: 'switchyard.yaml',
    env: {},
  });

describe('instanceRequestFor', () => {
  it("asks the process runtime for the spec's command, env and secrets", () => {
    const request = instanceRequestFor({
      ...base,
      spec: spec('  type: process\n  command: node server.js\n  cwd: /srv/shop\n'),
    });
    expect(request).toEqual({
      ...identity,
      command: 'node server.js',
      cwd: '/srv/shop',
      env: { LOG_LEVEL: 'info', MODE: 'service', DATABASE_URL: 'postgres://db' },
      secretNames: ['DATABASE_URL'],
      stopTimeoutMs: PROCESS_STOP_TIMEOUT_MS,
    });
  });

  it("asks the container runtime for the image and its settings, with the container's env over the service's", () => {
    const request = instanceRequestFor({
      ...base,
      spec: spec(
        '  type: container\n  image: localhost/shop:2.0.0\n  command: [node]\n  args: [server.js]\n',
        '  env: { MODE: container }\n  volumes: ["/srv/shop:/data:ro"]\n  memory: 256m\n  cpus: 0.5\n  labels: { team: web }\n  stopTimeout: 5s\n',
      ),
    });
    expect(request).toEqual({
      ...identity,
      container: {
        image: 'localhost/shop:2.0.0',
        command: ['node'],
        args: ['server.js'],
        port: 4000,
        volumes: ['/srv/shop:/data:ro'],
        memory: '256m',
        cpus: 0.5,
        labels: { team: 'web' },
        pull: 'never',
      },
      env: { LOG_LEVEL: 'info', MODE: 'container', DATABASE_URL: 'postgres://db' },
      secretNames: ['DATABASE_URL'],
      stopTimeoutMs: 5000,
    });
  });

  it('has nothing to ask of a runtime the controller cannot run yet', () => {
    const request = instanceRequestFor({
      ...base,
      spec: spec('  type: ssh\n  hosts: [web1]\n  command: ./run\n'),
    });
    expect(request).toBeUndefined();
  });
});
