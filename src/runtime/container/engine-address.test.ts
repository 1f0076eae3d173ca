import { describe, expect, it } from 'vitest';
import { describeAddress, engineAddress, parseDockerHost } from './engine-address.ts';

const existing =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('engineAddress', () => {
  it('uses DOCKER_HOST when it is set, whatever sockets exist', () => {
    expect(
      engineAddress({
        env: { DOCKER_HOST: 'unix:///tmp/engine.sock' },
        exists: existing('/var/run/docker.sock'),
      }),
    ).toEqual({ kind: 'socket', socketPath: '/tmp/engine.sock' });
  });

  it("prefers Docker's socket, then rootful Podman's, then the user's Podman socket", () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    const user = '/run/user/1000/podman/podman.sock';
    expect(
      engineAddress({ env, exists: existing('/var/run/docker.sock', '/run/podman/podman.sock') }),
    ).toEqual({ kind: 'socket', socketPath: '/var/run/docker.sock' });
    expect(engineAddress({ env, exists: existing('/run/podman/podman.sock', user) })).toEqual({
      kind: 'socket',
      socketPath: '/run/podman/podman.sock',
    });
    expect(engineAddress({ env, exists: existing(user) })).toEqual({
      kind: 'socket',
      socketPath: user,
    });
  });

  it('finds nothing when no socket exists and DOCKER_HOST is unset or empty', () => {
    expect(engineAddress({ env: {}, exists: existing() })).toBeUndefined();
    expect(engineAddress({ env: { DOCKER_HOST: '' }, exists: existing() })).toBeUndefined();
  });
});

describe('parseDockerHost', () => {
  it.each([
    ['tcp://10.0.0.5:2375', { kind: 'tcp', protocol: 'http', host: '10.0.0.5', port: 2375 }],
    ['tcp://engine', { kind: 'tcp', protocol: 'http', host: 'engine', port: 2375 }],
    ['https://engine:2376', { kind: 'tcp', protocol: 'https', host: 'engine', port: 2376 }],
    ['unix:///run/podman/podman.sock', { kind: 'socket', socketPath: '/run/podman/podman.sock' }],
  ])('reads %s', (value, expected) => {
    expect(parseDockerHost(value)).toEqual(expected);
    expect(describeAddress(parseDockerHost(value))).toMatch(/^(unix|tcp|https):\/\//);
  });

  it.each(['ssh://me@host', 'unix://relative.sock', 'nonsense'])(
    'refuses %s with a sentence saying what to write',
    (value) => {
      expect(() => parseDockerHost(value)).toThrow(
        /write unix:\/\/\/path\/to\/socket or tcp:\/\/host:port/,
      );
    },
  );
});
