/**
 * One interface for every place instances run (DESIGN.md, runtime/): local
 * processes and containers now; SSH hosts and Kubernetes later. A shared
 * conformance suite (test/conformance/) runs against every driver.
 */

/** What to start: everything the driver needs, already resolved from the spec. */
export interface InstanceRequest {
  readonly service: string;
  readonly environment: string;
  readonly revision: number;
  readonly version: string;
  readonly pool: string;
  /** Unique id of the instance, chosen by the caller (stable across restarts). */
  readonly instanceId: string;
  /** process runtime (required there): the shell command, run under /bin/sh -c. */
  readonly command?: string;
  /** Working directory of the instance (process runtime). */
  readonly cwd?: string;
  /** container runtime (required there): the image and how to run it. */
  readonly container?: ContainerLaunch;
  /** Variables from the spec's `env` and `secrets`; the driver adds DESIGN.md's instance variables. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The names in `env` that are secrets: the driver masks their values in
   * everything the instance writes that it keeps or hands back (its log).
   */
  readonly secretNames?: readonly string[];
  /** How long a stop waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
}

/** What the container runtime runs: the spec's `runtime: { type: container }`, resolved. */
export interface ContainerLaunch {
  readonly image: string;
  /** Replaces the image's entrypoint; the image's CMD is then dropped unless `args` is given. */
  readonly command?: readonly string[];
  /** Replaces the image's CMD: the entrypoint's arguments. */
  readonly args?: readonly string[];
  /** The port the app listens on inside the container; the instance's PORT holds it. */
  readonly port: number;
  /** `HOST_PATH:CONTAINER_PATH[:OPTIONS]` or `VOLUME:CONTAINER_PATH[:OPTIONS]`. */
  readonly volumes?: readonly string[];
  /** A memory limit like `512m` or `1g` (k, m, g are powers of 1024). */
  readonly memory?: string;
  readonly cpus?: number;
  /** The user's labels; Switchyard's own (`switchyard.*`) are added beside them. */
  readonly labels?: Readonly<Record<string, string>>;
  /** When to pull the image from a registry: never (the default), when missing, always. */
  readonly pull: 'always' | 'missing' | 'never';
}

/**
 * What the driver knows about a running instance. It is plain JSON so the
 * controller can persist it in the store and hand it back after a restart.
 */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly runtime: string;
  readonly service: string;
  readonly environment: string;
  readonly revision: number;
  readonly version: string;
  readonly pool: string;
  /** Where the router reaches the instance. */
  readonly host: string;
  readonly port: number;
  readonly startedAt: string;
  /** Driver-specific identity (process: pid and the kernel's start time). */
  readonly handle: Readonly<Record<string, string | number>>;
  readonly logPath?: string;
}

export type InstanceState = 'running' | 'exited' | 'gone';

export interface InstanceStatus {
  readonly state: InstanceState;
  /** Exit code when state is 'exited' and the driver could learn it. */
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}

export interface StopResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** True when the instance ignored SIGTERM and was killed after the stop timeout. */
  readonly killed: boolean;
}

export interface LogOptions {
  /** Only the last N lines. */
  readonly tail?: number;
  /** Keep reading as lines arrive until the signal aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
}

export interface Runtime {
  readonly type: string;
  start(request: InstanceRequest): Promise<InstanceRecord>;
  /**
   * Ends the instance (its stop signal, then a kill after the timeout) and
   * frees what it held. Stopping one that already ended answers at once with
   * what is known, and still frees it (the container runtime removes the
   * container), so callers also stop instances they found exited.
   */
  stop(record: InstanceRecord, options?: { timeoutMs?: number }): Promise<StopResult>;
  inspect(record: InstanceRecord): Promise<InstanceStatus>;
  logs(record: InstanceRecord, options?: LogOptions): AsyncIterable<string>;
  /**
   * Finds what an instance whose start was cut short (a controller killed
   * between recording it as planned and recording the runtime's answer) left
   * running, by its instance id alone, and ends it at once: it never took
   * traffic. Returns what it ended, for the event (`pid 4121`, `container
   * 3f2a9c01b7d4`); nothing when the start never got that far.
   */
  stopUnrecorded(instanceId: string): Promise<string[]>;
}
