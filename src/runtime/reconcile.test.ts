/**
 * reconcileInstances against the real process runtime, with an in-memory
 * double of the store's instance methods (the SQLite store is tested on its own).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryInstanceStore } from '../../test/support/in-memory-instance-store.ts';
import { isSameLiveProcess } from './process/process-identity.ts';
import { processHandleOf, ProcessRuntime } from './process/process-runtime.ts';
import { reconcileInstances } from './reconcile.ts';
import type { InstanceRecord, InstanceRequest } from './runtime.ts';

describe('reconcileInstances', () => {
  let stateDir: string;
  const started: InstanceRecord[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'switchyard-reconcile-'));
  });
  afterEach(async () => {
    const runtime = new ProcessRuntime({ stateDir });
    for (const record of started.splice(0)) {
      await runtime.stop(record, { timeoutMs: 1000 });
      const handle = processHandleOf(record);
      const supervisor = { pid: handle.supervisorPid, startTime: handle.supervisorStartTime };
      while (isSameLiveProcess(supervisor)) await sleep(10);
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  async function start(runtime: ProcessRuntime, instanceId: string, command: string) {
    const request: InstanceRequest = {
      service: 'shop',
      environment: 'live',
      revision: 3,
      version: 'v3',
      pool: 'stable',
      instanceId,
      command,
      env: {},
      stopTimeoutMs: 5000,
    };
    const record = await runtime.start(request);
    started.push(record);
    return record;
  }

  it('keeps wanted instances, drops ended and reused ones, stops unwanted ones', async () => {
    const before = new ProcessRuntime({ stateDir });
    const store = new InMemoryInstanceStore();
    const wanted = await start(before, 'wanted', 'sleep 30');
    const unwanted = await start(before, 'unwanted', 'sleep 30');
    const crashed = await start(before, 'crashed', 'exit 5');
    const reusedTarget = await start(before, 'reused', 'sleep 30');
    // What the store holds after the PIDs were reused: same PIDs, other start times.
    const reused = {
      ...reusedTarget,
      handle: {
        ...reusedTarget.handle,
        startTime: Number(reusedTarget.handle.startTime) + 1,
        supervisorStartTime: Number(reusedTarget.handle.supervisorStartTime) + 1,
      },
    };
    const otherRuntime = { ...wanted, instanceId: 'in-a-container', runtime: 'container' };
    for (const record of [wanted, crashed, reused, otherRuntime]) store.putInstance(record);
    store.putInstance(unwanted, false);
    while ((await before.inspect(crashed)).state === 'running') await sleep(20);

    // A controller restart: a new runtime object, the records from the store.
    const after = new ProcessRuntime({ stateDir });
    const summary = await reconcileInstances({ runtime: after, store, stopTimeoutMs: 2000 });

    expect(summary.running.map((r) => r.instanceId)).toEqual(['wanted']);
    expect(summary.stopped.map((s) => [s.record.instanceId, s.result.killed])).toEqual([
      ['unwanted', false],
    ]);
    expect(summary.ended.map((e) => [e.record.instanceId, e.status])).toEqual([
      ['crashed', { state: 'exited', exitCode: 5, signal: null }],
      ['reused', { state: 'gone' }],
    ]);
    expect(summary.failed).toEqual([]);
    expect(store.listInstances().map((s) => s.record.instanceId)).toEqual([
      'wanted',
      'in-a-container',
    ]);
    expect((await after.inspect(unwanted)).state).toBe('exited');
    // The process behind the reused record was never signalled.
    expect(await after.inspect(reusedTarget)).toEqual({ state: 'running' });
    expect(await after.inspect(wanted)).toEqual({ state: 'running' });
  });

  it('leaves an instance it cannot inspect in the store and reports it', async () => {
    const store = new InMemoryInstanceStore();
    const runtime = new ProcessRuntime({ stateDir });
    const record = await start(runtime, 'broken', 'sleep 30');
    store.putInstance({ ...record, handle: {} });

    const summary = await reconcileInstances({ runtime, store });

    expect(summary.failed.map((f) => f.record.instanceId)).toEqual(['broken']);
    expect(store.listInstances()).toHaveLength(1);
  });
});
