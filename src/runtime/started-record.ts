/**
 * The InstanceRecord a driver returns from `start`: the request's identity
 * as it was asked for, and what the driver adds (where the instance is
 * reached, when it started, the driver's own handle).
 */
import type { InstanceRecord, InstanceRequest } from './runtime.ts';

export interface StartedInstance {
  /** The driver's type (`process`, `container`). */
  readonly runtime: string;
  readonly host: string;
  readonly port: number;
  /** ISO time. */
  readonly startedAt: string;
  readonly handle: Readonly<Record<string, string | number>>;
  readonly logPath?: string;
}

export function startedRecord(request: InstanceRequest, started: StartedInstance): InstanceRecord {
  return {
    instanceId: request.instanceId,
    runtime: started.runtime,
    service: request.service,
    environment: request.environment,
    revision: request.revision,
    version: request.version,
    pool: request.pool,
    host: started.host,
    port: started.port,
    startedAt: started.startedAt,
    handle: started.handle,
    ...(started.logPath !== undefined && { logPath: started.logPath }),
  };
}
