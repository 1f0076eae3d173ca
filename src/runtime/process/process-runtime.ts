/**
 * The local process runtime: each instance is the spec's command under
 * `/bin/sh -c`, on a free port, run by a supervisor process (supervisor.ts)
 * that owns its pipes and log file. Instances do not die with the controller,
 * and everything needed to find one again is in its InstanceRecord, so a new
 * ProcessRuntime (in a restarted controller) can inspect, stop and read the
 * logs of instances an earlier one started.
 *
 * `start` resolves once the command is spawned. It does not wait for the app
 * to listen — health is the router's job — and an instance that dies at once
 * (a typo in the command: exit 127) is reported by `inspect` as exited, with
 * the shell's message in its log.
 */
import { inheritedEnvironment } from '../inherited-environment.ts';
import { instanceVariables } from '../instance-variables.ts';
import { secretValuesIn } from '../secret-mask.ts';
import { checkSafeNames } from '../safe-names.ts';
import { startedRecord } from '../started-record.ts';
import { waitUntil } from '../wait-until.ts';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SwitchyardError } from '../../errors.ts';
import type {
  InstanceRecord,
  InstanceRequest,
  InstanceStatus,
  LogOptions,
  Runtime,
  StopResult,
} from '../runtime.ts';
import { findFreePort } from './free-port.ts';
import { exitPathForLog, instanceLogPath, readExitRecord } from './instance-files.ts';
import type { ExitRecord } from './instance-files.ts';
import { readLogLines } from './log-reader.ts';
import {
  isSameLiveProcess,
  processGroupHasLiveMembers,
  readProcessIdentity,
} from './process-identity.ts';
import type { ProcessIdentity } from './process-identity.ts';
import type { SuperviseReply, SuperviseRequest } from './supervisor-protocol.ts';
import { stopUnrecordedInstance } from './unrecorded-processes.ts';

export const PROCESS_RUNTIME_TYPE = 'process';
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_HOST = '127.0.0.1';
/** How often `stop` looks whether the instance has exited. */
const EXIT_POLL_MS = 25;
/**
 * The supervisor writes the exit record just after the shell exits; this is
 * how long `inspect` and `stop` wait for it while the supervisor still runs.
 */
const EXIT_RECORD_WAIT_MS = 3000;

export interface ProcessRuntimeOptions {
  /** Logs and exit records go under `<stateDir>/logs/`. */
  readonly stateDir: string;
  /** Address instances are reached on; also where free ports are found. Default 127.0.0.1. */
  readonly host?: string;
  /** Size at which an instance's log is rotated to `.log.1`. Default 10 MiB. */
  readonly logMaxBytes?: number;
}

/** The driver-specific part of a process InstanceRecord (its `handle`). */
export interface ProcessHandle {
  /** PID of the instance's shell, also its process group. */
  readonly pid: number;
  /** Kernel start time of that PID (clock ticks since boot). */
  readonly startTime: number;
  readonly supervisorPid: number;
  readonly supervisorStartTime: number;
  readonly exitPath: string;
  readonly stopTimeoutMs: number;
}

/** Reads the handle of a record, rejecting one this runtime did not write. */
export function processHandleOf(record: InstanceRecord): ProcessHandle {
  const h = record.handle;
  const number = (key: string) => (typeof h[key] === 'number' ? (h[key] as number) : NaN);
  const handle: ProcessHandle = {
    pid: number('pid'),
    startTime: number('startTime'),
    supervisorPid: number('supervisorPid'),
    supervisorStartTime: number('supervisorStartTime'),
    exitPath: typeof h.exitPath === 'string' ? h.exitPath : '',
    stopTimeoutMs: number('stopTimeoutMs'),
  };
  if (!(handle.pid > 0) || !(handle.supervisorPid > 0) || handle.exitPath === '') {
    throw new SwitchyardError(
      'RUNTIME_NOT_FOUND',
      `Instance ${record.instanceId} has no process handle (pid, start time, exit file); it was not started by the process runtime. Remove it from the state store.`,
    );
  }
  return handle;
}

function instanceIdentity(handle: ProcessHandle): ProcessIdentity {
  return { pid: handle.pid, startTime: handle.startTime };
}

function supervisorIdentity(handle: ProcessHandle): ProcessIdentity {
  return { pid: handle.supervisorPid, startTime: handle.supervisorStartTime };
}

/** The supervisor entry point beside this file: .ts from src/, .js from dist/. */
function supervisorScript(): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./supervisor.${extension}`, import.meta.url));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group ended between the identity check and the signal.
  }
}

export class ProcessRuntime implements Runtime {
  readonly type = PROCESS_RUNTIME_TYPE;
  readonly stateDir: string;
  readonly host: string;
  readonly logMaxBytes: number;

  constructor(options: ProcessRuntimeOptions) {
    this.stateDir = options.stateDir;
    this.host = options.host ?? DEFAULT_HOST;
    this.logMaxBytes = options.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    if (!(this.logMaxBytes > 0)) {
      throw new RangeError(`logMaxBytes must be a positive number, not ${this.logMaxBytes}`);
    }
  }

  async start(request: InstanceRequest): Promise<InstanceRecord> {
    const command = checkRequest(request);
    const cwd = request.cwd ?? process.cwd();
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      throw new SwitchyardError(
        'RUNTIME_START_FAILED',
        `Cannot start instance ${request.instanceId}: its working directory ${cwd} does not exist. Create it or fix the spec's runtime settings.`,
      );
    }
    const logPath = instanceLogPath({ stateDir: this.stateDir, ...request });
    const exitPath = exitPathForLog(logPath);
    mkdirSync(dirname(logPath), { recursive: true, mode: 0o700 });
    // An exit record left by an earlier run of the same instance id would make
    // the new instance look exited.
    rmSync(exitPath, { force: true });
    const port = await findFreePort(this.host);
    const startedAt = new Date().toISOString();

    const supervise: SuperviseRequest = {
      type: 'supervise',
      command,
      cwd,
      env: instanceEnvironment(request, port),
      logPath,
      exitPath,
      logMaxBytes: this.logMaxBytes,
      mask: secretValuesIn(request.env, request.secretNames ?? []),
    };
    const { reply, supervisor } = await launchSupervisor(supervise);
    if (reply.type === 'failed') {
      throw new SwitchyardError(
        'RUNTIME_START_FAILED',
        `Cannot start instance ${request.instanceId} (${command}): ${reply.message}. See ${logPath}.`,
      );
    }
    const handle: ProcessHandle = {
      pid: reply.pid,
      startTime: reply.startTime,
      supervisorPid: supervisor.pid,
      supervisorStartTime: supervisor.startTime,
      exitPath,
      stopTimeoutMs: request.stopTimeoutMs,
    };
    return startedRecord(request, {
      runtime: this.type,
      host: this.host,
      port,
      startedAt,
      handle: { ...handle },
      logPath,
    });
  }

  async inspect(record: InstanceRecord): Promise<InstanceStatus> {
    const handle = processHandleOf(record);
    if (isSameLiveProcess(instanceIdentity(handle))) return { state: 'running' };
    const exit = await awaitExitRecord(handle);
    if (exit === undefined) return { state: 'gone' };
    return { state: 'exited', exitCode: exit.exitCode, signal: exit.signal };
  }

  async stop(record: InstanceRecord, options: { timeoutMs?: number } = {}): Promise<StopResult> {
    const handle = processHandleOf(record);
    const identity = instanceIdentity(handle);
    const timeoutMs = options.timeoutMs ?? handle.stopTimeoutMs;
    // Never signal a PID that is not ours: a reused PID has another start time.
    // The instance is its whole process group: when the shell has exited but
    // left processes in its group, they are still ours while our supervisor
    // (same PID and start time) runs, since it ends the group before it exits.
    if (!isSameLiveProcess(identity) && !strayGroupOfLiveSupervisor(handle)) {
      return stopResultOf(await awaitExitRecord(handle), false);
    }

    signalGroup(handle.pid, 'SIGTERM');
    const exited = () => !instanceAlive(handle);
    const stopped = await waitUntil(exited, { timeoutMs, everyMs: EXIT_POLL_MS });
    let killed = false;
    if (!stopped) {
      // Check again right before the SIGKILL: the PID may have been freed and reused.
      if (isSameLiveProcess(identity) || groupOutlivesLeader(handle)) {
        signalGroup(handle.pid, 'SIGKILL');
        killed = true;
      }
      await waitUntil(exited, { timeoutMs: Number.POSITIVE_INFINITY, everyMs: EXIT_POLL_MS });
    }
    return stopResultOf(await awaitExitRecord(handle), killed);
  }

  logs(record: InstanceRecord, options: LogOptions = {}): AsyncIterable<string> {
    if (record.logPath === undefined) {
      throw new SwitchyardError(
        'RUNTIME_NOT_FOUND',
        `Instance ${record.instanceId} has no log file in its record; it was not started by the process runtime.`,
      );
    }
    return readLogLines(record.logPath, options);
  }

  async stopUnrecorded(instanceId: string): Promise<string[]> {
    const pids = await stopUnrecordedInstance(instanceId);
    return pids.map((pid) => `pid ${pid}`);
  }
}

/** Checks what becomes a file path, and returns the command to run. */
function checkRequest(request: InstanceRequest): string {
  if (request.command === undefined) {
    throw new SwitchyardError(
      'RUNTIME_START_FAILED',
      `Cannot start instance ${request.instanceId} with the process runtime: the request has no command. Set runtime.command in switchyard.yaml.`,
    );
  }
  checkSafeNames(request, 'a file path');
  return request.command;
}

/**
 * A minimal base from the controller's environment (see inherited-environment.ts), then
 * the spec's `env` and `secrets`, then DESIGN.md's instance variables, which
 * win: PORT must be the port chosen here.
 */
export function instanceEnvironment(
  request: InstanceRequest,
  port: number,
): Record<string, string> {
  return { ...inheritedEnvironment(), ...request.env, ...instanceVariables(request, port) };
}

/**
 * Starts the supervisor detached (own session, so it outlives the controller
 * and gets no terminal signals), hands it the request and waits for its
 * reply. The IPC channel is the only tie, and the supervisor drops it after
 * replying.
 */
function launchSupervisor(
  request: SuperviseRequest,
): Promise<{ reply: SuperviseReply; supervisor: ProcessIdentity }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [supervisorScript()], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      cwd: request.cwd,
    });
    const fail = (why: string) =>
      reject(
        new SwitchyardError(
          'RUNTIME_START_FAILED',
          `Cannot start the supervisor process for ${request.logPath}: ${why}. Check that ${process.execPath} can run ${supervisorScript()}.`,
        ),
      );
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? code}) before replying`));
    child.once('message', (reply: SuperviseReply) => {
      child.removeAllListeners('exit');
      child.unref();
      const identity = child.pid === undefined ? undefined : readProcessIdentity(child.pid);
      if (identity === undefined) return fail('it vanished right after replying');
      resolve({ reply, supervisor: identity });
    });
    if (child.pid !== undefined) {
      child.send(request);
    }
  });
}

/** True while the instance's shell, or another process it left in its group, runs. */
function instanceAlive(handle: ProcessHandle): boolean {
  return isSameLiveProcess(instanceIdentity(handle)) || groupOutlivesLeader(handle);
}

/**
 * True when the shell has exited but processes it started in the background
 * remain in its group. The group's number cannot have been reused while any
 * member lives, and a reused PID would show as a live process with that PID,
 * so this only counts a group with no live process at its own PID.
 */
function groupOutlivesLeader(handle: ProcessHandle): boolean {
  return readProcessIdentity(handle.pid) === undefined && processGroupHasLiveMembers(handle.pid);
}

/** The shell has exited, its group still has live members, and our supervisor still runs. */
function strayGroupOfLiveSupervisor(handle: ProcessHandle): boolean {
  return isSameLiveProcess(supervisorIdentity(handle)) && groupOutlivesLeader(handle);
}

/** The exit record, waiting briefly while the supervisor is still writing it. */
async function awaitExitRecord(handle: ProcessHandle): Promise<ExitRecord | undefined> {
  let exit = readExitRecord(handle.exitPath);
  const supervisor = supervisorIdentity(handle);
  const deadline = Date.now() + EXIT_RECORD_WAIT_MS;
  while (exit === undefined && isSameLiveProcess(supervisor) && Date.now() < deadline) {
    await sleep(EXIT_POLL_MS);
    exit = readExitRecord(handle.exitPath);
  }
  return exit;
}

function stopResultOf(exit: ExitRecord | undefined, killed: boolean): StopResult {
  return { exitCode: exit?.exitCode ?? null, signal: exit?.signal ?? null, killed };
}
