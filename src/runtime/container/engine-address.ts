/**
 * Where the container engine's API is: `DOCKER_HOST` when set, else the first
 * socket that exists among Docker's and Podman's usual places. Docker and
 * Podman serve the same API, so nothing else differs between them.
 */
import { join } from 'node:path';

export type EngineAddress =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly protocol: 'http' | 'https';
      readonly host: string;
      readonly port: number;
    };

export interface EngineAddressOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether a path exists (a socket file); injectable for tests. */
  readonly exists: (path: string) => boolean;
}

/** Docker's socket first, then rootful Podman's, then the user's Podman socket. */
export function candidateSockets(env: EngineAddressOptions['env']): string[] {
  const sockets = ['/var/run/docker.sock', '/run/podman/podman.sock'];
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir !== undefined && runtimeDir !== '') {
    sockets.push(join(runtimeDir, 'podman', 'podman.sock'));
  }
  return sockets;
}

/**
 * The engine to talk to, or undefined when DOCKER_HOST is unset and no usual
 * socket exists. A DOCKER_HOST that cannot be read throws a sentence.
 */
export function engineAddress(options: EngineAddressOptions): EngineAddress | undefined {
  const dockerHost = options.env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost !== '') return parseDockerHost(dockerHost);
  const socketPath = candidateSockets(options.env).find((path) => options.exists(path));
  return socketPath === undefined ? undefined : { kind: 'socket', socketPath };
}

/** `unix:///run/podman/podman.sock`, `tcp://10.0.0.5:2375`, `https://host:2376`. */
export function parseDockerHost(value: string): EngineAddress {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (socketPath.startsWith('/')) return { kind: 'socket', socketPath };
  } else {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    const protocol =
      url?.protocol === 'https:'
        ? 'https'
        : url?.protocol === 'tcp:' || url?.protocol === 'http:'
          ? 'http'
          : undefined;
    if (url !== undefined && protocol !== undefined && url.hostname !== '') {
      const port = url.port === '' ? (protocol === 'https' ? 2376 : 2375) : Number(url.port);
      return { kind: 'tcp', protocol, host: url.hostname, port };
    }
  }
  throw new Error(
    `DOCKER_HOST=${value} is not an engine address Switchyard can use; write unix:///path/to/socket or tcp://host:port, or unset it to use the local socket.`,
  );
}

export function describeAddress(address: EngineAddress): string {
  return address.kind === 'socket'
    ? `unix://${address.socketPath}`
    : `${address.protocol === 'https' ? 'https' : 'tcp'}://${address.host}:${address.port}`;
}
