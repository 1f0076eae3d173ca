/**
 * One interface for every place instances run (DESIGN.md, runtime/): local
 * processes now; containers, SSH hosts and Kubernetes later. A shared
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
  /** process runtime: the shell command, run under /bin/sh -c. */
  readonly command: string;
  /** Working directory of the instance (process runtime). */
  readonly cwd?: string;
  /** Variables from the spec's `env` and `secrets`; the driver adds DESIGN.md's instance variables. */
  readonly env: Readonly<Record<string, string>>;
  /** How long a stop waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
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
  stop(record: InstanceRecord, options?: { timeoutMs?: number }): Promise<StopResult>;
  inspect(record: InstanceRecord): Promise<InstanceStatus>;
  logs(record: InstanceRecord, options?: LogOptions): AsyncIterable<string>;
}
