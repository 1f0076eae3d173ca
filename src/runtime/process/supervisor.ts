/**
 * The supervisor: a small Node process that stands between the controller and
 * one instance, so the instance neither dies nor loses its logs when the
 * controller exits.
 *
 * The controller starts it detached (its own session and process group) and
 * sends it a SuperviseRequest. The supervisor then
 * - runs the command under `/bin/sh -c` as the leader of a new process group,
 *   with stdout and stderr piped to itself;
 * - appends those lines to the instance's log file, rotating at the size cap;
 * - replies with the shell's PID and start time and drops the IPC channel, so
 *   nothing ties it to the controller any more;
 * - forwards a SIGTERM, SIGINT or SIGHUP it receives to the instance's group;
 * - when the shell exits, ends what it left in its process group (SIGTERM, a
 *   short grace, SIGKILL), then writes `<instanceId>.exit` with the shell's
 *   code or signal and exits.
 *
 * The shell runs `trap exit TERM` before the command. Without it, a SIGTERM to
 * the group would end the shell at once (dash does not exec the last command)
 * while the app is still draining requests; with it, the shell waits for its
 * foreground command, then exits with that command's status, so the shell's
 * life and exit code are the app's.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SuperviseReply, SuperviseRequest } from './supervisor-protocol.ts';
import { processGroupHasLiveMembers, readProcessIdentity } from './process-identity.ts';
import { RotatingLogFile } from './rotating-log-file.ts';
import { writeExitRecord } from './instance-files.ts';
import { LineBufferedWriter } from './line-buffered-writer.ts';

/** How long processes left in the group after the shell exits get between SIGTERM and SIGKILL. */
const GROUP_GRACE_MS = 1000;
/** How often the supervisor looks whether the group has emptied. */
const GROUP_POLL_MS = 20;
/** How long after the group is gone the exit record waits for the pipes to close. */
const PIPE_DRAIN_MS = 500;

/**
 * Ends what remains of the instance's process group once its leader, the
 * shell, has exited: SIGTERM, a short grace, then SIGKILL. The group's number
 * cannot be reused while a live process belongs to it, and it is only
 * signalled after checking that one does.
 */
async function endRemainingGroup(group: number): Promise<void> {
  const signal = (name: NodeJS.Signals): boolean => {
    if (!processGroupHasLiveMembers(group)) return false;
    try {
      process.kill(-group, name);
      return true;
    } catch {
      return false; // ESRCH: the group ended just now.
    }
  };
  if (!signal('SIGTERM')) return;
  const deadline = Date.now() + GROUP_GRACE_MS;
  while (processGroupHasLiveMembers(group) && Date.now() < deadline) await sleep(GROUP_POLL_MS);
  if (!signal('SIGKILL')) return;
  // SIGKILL cannot be caught; only a process stuck in the kernel takes a moment.
  while (processGroupHasLiveMembers(group)) await sleep(GROUP_POLL_MS);
}

function reply(message: SuperviseReply): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(message, () => {
      if (process.connected) process.disconnect();
      resolve();
    });
  });
}

function supervise(request: SuperviseRequest): void {
  const log = new RotatingLogFile({ path: request.logPath, maxBytes: request.logMaxBytes });
  const note = (text: string) => log.write(Buffer.from(`[switchyard] ${text}\n`));

  const child = spawn('/bin/sh', ['-c', `trap exit TERM; ${request.command}`], {
    cwd: request.cwd,
    env: request.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    child.once('error', (error) => {
      note(`could not start the command: ${error.message}`);
      void reply({ type: 'failed', message: error.message }).then(() => process.exit(1));
    });
    return;
  }
  // Read before returning to the event loop: until then the child cannot have
  // been reaped, so /proc/<pid> exists even if it has already exited.
  const identity = readProcessIdentity(child.pid);
  const pid = child.pid;

  const out = new LineBufferedWriter(log, request.mask ?? []);
  const err = new LineBufferedWriter(log, request.mask ?? []);
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));

  const forward = () => {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // The group is already gone.
    }
  };
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  process.on('SIGHUP', forward);

  let exitWritten = false;
  const recordExit = (exitCode: number | null, signal: string | null) => {
    if (exitWritten) return;
    exitWritten = true;
    out.flush();
    err.flush();
    writeExitRecord(request.exitPath, { exitCode, signal, exitedAt: new Date().toISOString() });
  };
  // 'close' comes once the shell has exited and its pipes are drained, so the
  // exit record never lands after the last log lines.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('exit', (exitCode, signal) => {
    void (async () => {
      // The instance is its whole process group: what the shell left behind
      // (`sleep 45 & echo started`) ends with it.
      await endRemainingGroup(pid);
      // With the group gone its pipes close at once, unless a process moved to
      // another group or session keeps them open: record the exit anyway after
      // a moment, and keep logging until the pipes close.
      await Promise.race([closed, sleep(PIPE_DRAIN_MS)]);
      recordExit(exitCode, signal);
      await closed;
      log.close();
      process.exit(0);
    })();
  });

  void reply({ type: 'started', pid, startTime: identity?.startTime ?? -1 });
}

process.once('message', (message: SuperviseRequest) => {
  try {
    supervise(message);
  } catch (error) {
    void reply({ type: 'failed', message: (error as Error).message }).then(() => process.exit(1));
  }
});
// A controller that goes away before sending the request leaves nothing to do.
process.once('disconnect', () => {
  if (process.listenerCount('message') > 0) process.exit(1);
});
