/**
 * The thin executor (STYLE.md §2): sends the requests container-plan.ts
 * describes to a Docker Engine API (Docker, or Podman's compatible service)
 * through dockerode, and turns the engine's answers into plain values:
 * "no such container" is `undefined`, "already stopped" is nothing to do,
 * and an engine that does not answer is a sentence saying what to start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerPlan } from './container-plan.ts';
import { candidateSockets, describeAddress, engineAddress } from './engine-address.ts';
import type { EngineAddress } from './engine-address.ts';

export interface ContainerEngineOptions {
  /** Where DOCKER_HOST and XDG_RUNTIME_DIR come from. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An error the engine answered with (dockerode puts the HTTP status on it). */
interface EngineError extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  readonly json?: { readonly message?: string } | null;
}

/**
 * How often an idempotent read is tried when the engine answers 500, and the
 * pause between tries. Podman before 4.4 answers `read /proc/PID/cgroup: no
 * such process` to an inspect that races the container's exit
 * (containers/podman#16383); the same question a moment later is answered.
 */
const READ_ATTEMPTS = 4;
const READ_RETRY_MS = 50;

/** Socket and network failures: the engine is not there, as opposed to answering "no". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ETIMEDOUT',
]);

export class ContainerEngine {
  readonly #env: Readonly<Record<string, string | undefined>>;
  #docker: Docker | undefined;
  #address: EngineAddress | undefined;

  constructor(options: ContainerEngineOptions = {}) {
    this.#env = options.env ?? process.env;
  }

  /** Where the engine is, e.g. `unix:///run/podman/podman.sock` (found on first use). */
  get address(): string {
    this.#client();
    return this.#address === undefined ? 'nowhere' : describeAddress(this.#address);
  }

  async imageExists(image: string): Promise<boolean> {
    return this.#call(
      async (docker) => {
        await docker.getImage(image).inspect();
        return true;
      },
      { notFound: false },
    );
  }

  /** Pulls an image and waits until the engine has it; a registry's refusal throws its message. */
  async pullImage(image: string): Promise<void> {
    await this.#call(async (docker) => {
      const stream = (await docker.pull(image)) as NodeJS.ReadableStream;
      await followProgress(docker, stream);
    });
  }

  /** Creates the container the plan describes; returns its id. */
  async createContainer(plan: ContainerPlan): Promise<string> {
    return this.#call(async (docker) => {
      const created = await docker.createContainer({
        name: plan.name,
        ...(plan.body as unknown as Docker.ContainerCreateOptions),
      });
      return created.id;
    });
  }

  async startContainer(id: string): Promise<void> {
    await this.#call((docker) => docker.getContainer(id).start());
  }

  /** The engine's view of a container; undefined when it does not exist. */
  async inspectContainer(id: string): Promise<ContainerInspectInfo | undefined> {
    return this.#call((docker) => docker.getContainer(id).inspect(), {
      notFound: undefined,
      idempotent: true,
    });
  }

  /** Sends a signal; a container that is gone or no longer running needs none. */
  async signalContainer(id: string, signal: string): Promise<void> {
    await this.#call((docker) => docker.getContainer(id).kill({ signal }), {
      notFound: undefined,
      notRunning: undefined,
    });
  }

  /** Removes a container, killing it first if it still runs; one already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    await this.#call((docker) => docker.getContainer(id).remove({ force: true }), {
      notFound: undefined,
    });
  }

  /** Containers, running or not, whose labels match every `key=value` given. */
  async listContainers(
    labels: readonly string[],
  ): Promise<{ id: string; labels: Record<string, string> }[]> {
    return this.#call(
      async (docker) => {
        const found = await docker.listContainers({ all: true, filters: { label: [...labels] } });
        return found.map((c) => ({ id: c.Id, labels: c.Labels ?? {} }));
      },
      { idempotent: true },
    );
  }

  /** The raw, multiplexed log of a container; log-frames.ts decodes it. */
  async logBuffer(id: string, options: { tail?: number }): Promise<Buffer | undefined> {
    return this.#call(
      (docker) =>
        docker.getContainer(id).logs({
          stdout: true,
          stderr: true,
          follow: false,
          ...(options.tail !== undefined && { tail: options.tail }),
        }),
      { notFound: undefined, idempotent: true },
    );
  }

  /** The raw log as a stream that follows new output until the signal aborts or the container ends. */
  async logStream(
    id: string,
    options: { tail?: number; signal?: AbortSignal },
  ): Promise<NodeJS.ReadableStream | undefined> {
    return this.#call(
      (docker) =>
        docker.getContainer(id).logs({
          stdout: true,
          stderr: true,
          follow: true,
          ...(options.tail !== undefined && { tail: options.tail }),
          ...(options.signal !== undefined && { abortSignal: options.signal }),
        }),
      { notFound: undefined },
    );
  }

  /** The dockerode client itself, for test set-ups that build and remove images. */
  client(): Docker {
    return this.#client();
  }

  #client(): Docker {
    if (this.#docker !== undefined) return this.#docker;
    const address = engineAddress({ env: this.#env, exists: existsSync });
    if (address === undefined) {
      throw new Error(
        `No container engine found: DOCKER_HOST is not set and none of ${candidateSockets(this.#env).join(', ')} exists. Start Docker, or Podman's API service (scripts/setup-podman.sh does both the install and the start), or set DOCKER_HOST.`,
      );
    }
    this.#address = address;
    this.#docker = new Docker(dockerodeOptions(address, this.#env));
    return this.#docker;
  }

  /**
   * Runs one engine call. `notFound` / `notRunning`: the value to answer
   * when the engine says 404 / 304 or 409 (already stopped), instead of failing.
   * `idempotent`: a read, asked again when the engine answers 500.
   */
  async #call<T, F = never>(
    call: (docker: Docker) => Promise<T>,
    answers: { notFound?: F; notRunning?: F; idempotent?: boolean } = {},
  ): Promise<T | F> {
    const docker = this.#client();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call(docker);
      } catch (caught) {
        const error = caught as EngineError;
        const again = answers.idempotent === true && attempt < READ_ATTEMPTS;
        if (again && error.statusCode === 500) {
          await sleep(READ_RETRY_MS);
          continue;
        }
        return this.#answer(caught, answers);
      }
    }
  }

  /** What a failed call comes to: the agreed value for 404 / 304 / 409, else a sentence. */
  #answer<F>(caught: unknown, answers: { notFound?: F; notRunning?: F }): F {
    const error = caught as EngineError;
    if (error.statusCode === 404 && 'notFound' in answers) return answers.notFound as F;
    if ((error.statusCode === 409 || error.statusCode === 304) && 'notRunning' in answers) {
      return answers.notRunning as F;
    }
    if (error.code !== undefined && UNREACHABLE.has(error.code)) {
      throw new Error(
        `The container engine at ${this.address} does not answer (${error.code}). Start Docker, or Podman's API service (scripts/setup-podman.sh), or point DOCKER_HOST at a running engine.`,
        { cause: caught },
      );
    }
    throw new Error(engineMessage(error), { cause: caught });
  }
}

/** The engine's own words, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function engineMessage(error: EngineError): string {
  const message = error.json?.message ?? error.message;
  return message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

function dockerodeOptions(
  address: EngineAddress,
  env: Readonly<Record<string, string | undefined>>,
): Docker.DockerOptions {
  if (address.kind === 'socket') return { socketPath: address.socketPath };
  const certPath = env['DOCKER_CERT_PATH'];
  const tls =
    address.protocol === 'https' && certPath !== undefined && certPath !== ''
      ? {
          ca: readFileSync(join(certPath, 'ca.pem')),
          cert: readFileSync(join(certPath, 'cert.pem')),
          key: readFileSync(join(certPath, 'key.pem')),
        }
      : {};
  return { protocol: address.protocol, host: address.host, port: address.port, ...tls };
}

/** Waits for a pull or build to finish; an error event in the stream fails it. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
      if (error !== null) return reject(error);
      const failed = output.find(
        (event): event is { error?: string; errorDetail?: { message?: string } } =>
          typeof event === 'object' &&
          event !== null &&
          ('error' in event || 'errorDetail' in event),
      );
      if (failed !== undefined) {
        return reject(
          new Error(failed.errorDetail?.message ?? failed.error ?? 'the engine reported an error'),
        );
      }
      resolve(output);
    });
  });
}
