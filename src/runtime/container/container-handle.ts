/**
 * The container runtime's part of an InstanceRecord (its `handle`): enough
 * to find the container again after a controller restart, and to tell it
 * from any other container (its labels must name the same instance).
 */
import { SwitchyardError } from '../../errors.ts';
import type { InstanceRecord } from '../runtime.ts';

export interface ContainerHandle {
  /** The engine's full container id (64 hex digits). */
  readonly containerId: string;
  /** The port inside the container, published on the record's host:port. */
  readonly containerPort: number;
  readonly image: string;
  readonly stopTimeoutMs: number;
}

/** Reads the handle of a record, rejecting one this runtime did not write. */
export function containerHandleOf(record: InstanceRecord): ContainerHandle {
  const h = record.handle;
  const containerId = typeof h['containerId'] === 'string' ? h['containerId'] : '';
  if (!/^[0-9a-f]{12,64}$/.test(containerId)) {
    throw new SwitchyardError(
      'RUNTIME_NOT_FOUND',
      `Instance ${record.instanceId} has no container id in its record; it was not started by the container runtime. Remove it from the state store.`,
    );
  }
  return {
    containerId,
    containerPort: typeof h['containerPort'] === 'number' ? h['containerPort'] : 0,
    image: typeof h['image'] === 'string' ? h['image'] : '',
    stopTimeoutMs: typeof h['stopTimeoutMs'] === 'number' ? h['stopTimeoutMs'] : 10_000,
  };
}

/** The first 12 digits, as `docker ps` shows an id. */
export function shortId(containerId: string): string {
  return containerId.slice(0, 12);
}
