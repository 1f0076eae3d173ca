/**
 * The runtime conformance suite against the local process runtime, plus the
 * hooks only a process driver can give: killing by PID, a record with a
 * wrong start time (a PID reused by another process), the size of the log
 * files, and a controller that is a real separate process which exits.
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processHandleOf, ProcessRuntime } from '../../src/runtime/process/process-runtime.ts';
import { isSameLiveProcess } from '../../src/runtime/process/process-identity.ts';
import type { InstanceRecord } from '../../src/runtime/runtime.ts';
import { startInChildController } from './child-controller.ts';
import { describeRuntimeConformance, HTTP_APP_PATH } from './runtime-conformance.ts';

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

async function fileSize(path: string): Promise<number> {
  return stat(path).then(
    (info) => info.size,
    () => 0,
  );
}

/** SIGKILLs the instance's process group and its supervisor, each only if it is still ours. */
async function killByPid(record: InstanceRecord): Promise<void> {
  const handle = processHandleOf(record);
  const instance = { pid: handle.pid, startTime: handle.startTime };
  const supervisor = { pid: handle.supervisorPid, startTime: handle.supervisorStartTime };
  if (isSameLiveProcess(instance)) process.kill(-handle.pid, 'SIGKILL');
  while (isSameLiveProcess(instance)) await sleep(20);
  // The supervisor ends by itself once the group has; give it the chance to.
  for (let i = 0; i < 100 && isSameLiveProcess(supervisor); i++) await sleep(20);
  if (isSameLiveProcess(supervisor)) process.kill(handle.supervisorPid, 'SIGKILL');
  while (isSameLiveProcess(supervisor)) await sleep(20);
}

describeRuntimeConformance('process', {
  makeRuntime: (context) => new ProcessRuntime(context),
  appRequest: { command: `${shellQuote(process.execPath)} ${shellQuote(HTTP_APP_PATH)}` },
  forceCleanup: killByPid,
  staleRecord: (record) => ({
    ...record,
    handle: {
      ...record.handle,
      startTime: Number(record.handle.startTime) + 1,
      supervisorStartTime: Number(record.handle.supervisorStartTime) + 1,
    },
  }),
  logBytes: async (record) =>
    (await fileSize(record.logPath ?? '')) + (await fileSize(`${record.logPath ?? ''}.1`)),
  startFromExitedController: (context, request) =>
    startInChildController('process', context, request),
});
