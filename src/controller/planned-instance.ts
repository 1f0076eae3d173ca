/**
 * An instance is recorded in the store BEFORE it is started: a planned
 * record (its id, pool and revision, no process yet), replaced by the
 * runtime's record once the start returns. A controller killed in between
 * finds the planned record on restart and knows an instance with that id may
 * be running without a record: the runtime's `stopUnrecorded` finds it by
 * its id and ends it, so none is ever orphaned.
 */
import type { InstanceRecord } from '../runtime/runtime.ts';

const PLANNED = 'planned';

export function plannedRecord(options: {
  instanceId: string;
  runtime: string;
  service: string;
  environment: string;
  revision: number;
  version: string;
  pool: string;
  at: Date;
}): InstanceRecord {
  const { at, ...fields } = options;
  return { ...fields, host: '', port: 0, startedAt: at.toISOString(), handle: { [PLANNED]: 1 } };
}

export function isPlanned(record: InstanceRecord): boolean {
  return record.handle[PLANNED] === 1;
}
