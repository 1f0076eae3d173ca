/**
 * What only the process driver does, beyond the shared conformance suite
 * (test/conformance/): shell failures, bad requests and records it did not write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceRecord, InstanceRequest, InstanceStatus } from '../runtime.ts';
import { isSameLiveProcess, readProcessStat } from './process-identity.ts';
import { processHandleOf, ProcessRuntime } from './process-runtime.ts';

describe('ProcessRuntime', () => {
  let stateDir: string;
  let runtime: ProcessRuntime;
  const started: InstanceRecord[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'switchyard-process-runtime-'));
    runtime = new ProcessRuntime({ stateDir });
  });
  afterEach(async () => {
    for (const record of started.splice(0)) {
      await runtime.stop(record, { timeoutMs: 1000 });
      // A failed test may leave background processes of the instance's group behind.
      for (const pid of liveGroupMembers(processHandleOf(record).pid)) process.kill(pid, 'SIGKILL');
      const handle = processHandleOf(record);
      const supervisor = { pid: handle.supervisorPid, startTime: handle.supervisorStartTime };
      while (isSameLiveProcess(supervisor)) await sleep(10);
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  const request = (overrides: Partial<InstanceRequest>): InstanceRequest => ({
    service: 'shop',
    environment: 'beta',
    revision: 1,
    version: 'v1',
    pool: 'stable',
    instanceId: 'shop-1',
    command: 'sleep 30',
    env: {},
    stopTimeoutMs: 5000,
    ...overrides,
  });

  async function start(overrides: Partial<InstanceRequest>): Promise<InstanceRecord> {
    const record = await runtime.start(request(overrides));
    started.push(record);
    return record;
  }

  async function untilNotRunning(record: InstanceRecord): Promise<InstanceStatus> {
    for (;;) {
      const status = await runtime.inspect(record);
      if (status.state !== 'running') return status;
      await sleep(20);
    }
  }

  /** PIDs of the live (not zombie) processes in a process group, from /proc. */
  function liveGroupMembers(group: number): number[] {
    const members: number[] = [];
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      const stat = readProcessStat(pid);
      if (stat !== undefined && stat.processGroup === group && stat.state !== 'Z')
        members.push(pid);
    }
    return members;
  }

  const commandLine = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return '';
    }
  };

  async function untilLogged(record: InstanceRecord, line: string): Promise<void> {
    const abort = new AbortController();
    try {
      for await (const seen of runtime.logs(record, { follow: true, signal: abort.signal })) {
        if (seen === line) return;
      }
    } finally {
      abort.abort();
    }
  }

  /**
   * The shell starts `sleep 300` in the background, logs "started", then
   * waits for a file to appear before it exits, so the test sees the
   * background process alive before the shell, its group leader, is gone.
   */
  async function startWithBackgroundSleep(): Promise<{
    record: InstanceRecord;
    leader: { pid: number; startTime: number };
    release: () => Promise<void>;
  }> {
    const gate = join(stateDir, 'release');
    const record = await start({
      command: `sleep 300 & echo started; while [ ! -e '${gate}' ]; do sleep 0.05; done`,
    });
    const handle = processHandleOf(record);
    await untilLogged(record, 'started');
    // Polled: under load the forked child may not have exec'd `sleep` yet when "started" is read.
    await expect
      .poll(() => liveGroupMembers(handle.pid).filter((pid) => commandLine(pid) === 'sleep 300'))
      .toHaveLength(1);
    return {
      record,
      leader: { pid: handle.pid, startTime: handle.startTime },
      release: () => writeFile(gate, ''),
    };
  }

  it('ends the processes a shell left in its group when the shell exits, before recording the exit', async () => {
    const { record, release } = await startWithBackgroundSleep();

    await release();
    const status = await untilNotRunning(record);

    expect(status).toEqual({ state: 'exited', exitCode: 0, signal: null });
    expect(liveGroupMembers(processHandleOf(record).pid)).toEqual([]);
  });

  it('stops a group whose leader has exited while its background processes still run', async () => {
    const { record, leader, release } = await startWithBackgroundSleep();
    await release();
    while (isSameLiveProcess(leader)) await sleep(10);

    const result = await runtime.stop(record, { timeoutMs: 1000 });

    expect(result.exitCode).toBe(0);
    expect(liveGroupMembers(leader.pid)).toEqual([]);
  });

  it('records pid, start time, port and log path, and logs under logs/<service>/<env>/', async () => {
    const record = await start({});
    const handle = processHandleOf(record);
    expect(isSameLiveProcess({ pid: handle.pid, startTime: handle.startTime })).toBe(true);
    expect(record.port).toBeGreaterThan(0);
    expect(record.logPath).toBe(join(stateDir, 'logs', 'shop', 'beta', 'shop-1.log'));
  });

  it('starts a command that does not exist, then reports it exited with 127 and logs why', async () => {
    const record = await start({ command: 'no-such-command-for-switchyard' });
    expect(await untilNotRunning(record)).toEqual({ state: 'exited', exitCode: 127, signal: null });
    expect(await readFile(record.logPath!, 'utf8')).toContain('not found');
  });

  it('starts a second run of an instance id afresh, not as exited from the first run', async () => {
    const first = await start({ command: 'exit 4' });
    expect((await untilNotRunning(first)).exitCode).toBe(4);
    const second = await start({ command: 'sleep 30' });
    expect(await runtime.inspect(second)).toEqual({ state: 'running' });
  });

  it('rejects a working directory that does not exist', async () => {
    await expect(runtime.start(request({ cwd: join(stateDir, 'missing') }))).rejects.toMatchObject({
      code: 'RUNTIME_START_FAILED',
    });
  });

  it('rejects an instance id that would escape the log directory', async () => {
    await expect(runtime.start(request({ instanceId: '../evil' }))).rejects.toMatchObject({
      code: 'RUNTIME_START_FAILED',
    });
  });

  it('refuses a record it did not write', async () => {
    const record = await start({});
    const foreign = { ...record, handle: { containerId: 'abc' } };
    await expect(runtime.inspect(foreign)).rejects.toMatchObject({ code: 'RUNTIME_NOT_FOUND' });
    await expect(runtime.stop(foreign)).rejects.toMatchObject({ code: 'RUNTIME_NOT_FOUND' });
  });
});
