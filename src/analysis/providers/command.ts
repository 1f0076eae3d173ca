/**
 * A `command` metric: `/bin/sh -c run`, passing when it exits 0. It runs in a
 * process group of its own, so a timeout or a cancelled run ends the whole
 * check (the shell and whatever it started), and so does the check's end: a
 * background process it left behind is killed with it, rather than living on
 * unowned and holding its output open.
 */
import { spawn } from 'node:child_process';
import { switchyardVariables } from '../../spec/switchyard-variables.ts';
import type { Observation } from '../types.ts';
import { excerpt } from './bounded-body.ts';
import { deadline } from './deadline.ts';
import { describeFailure, errorObservation } from './failure.ts';

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** What a measurement quotes of the output: its last lines, bounded. */
const TAIL_LINES = 10;
const TAIL_CHARS = 1000;
/** Output kept while the command runs: enough for the tail, however much it prints. */
const KEEP_BYTES = 16 * 1024;

/** What the command is checking; it gets these as SWITCHYARD_* variables. */
export interface CommandIdentity {
  readonly service: string;
  readonly environment: string;
  readonly pool: string;
  readonly version: string;
  readonly revision: number;
  /** Null when the rollout has no stable pool; the variable is then empty. */
  readonly stablePool: string | null;
}

export interface CheckCommandOptions {
  readonly run: string;
  /**
   * The environment to run in, from the caller (e.g. the inherited base and
   * the spec's env); the SWITCHYARD_* variables are set on top of it.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly identity: CommandIdentity;
  readonly cwd?: string;
  /** Default DEFAULT_COMMAND_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Runs the command; never throws. */
export function runCheckCommand(options: CheckCommandOptions): Promise<Observation> {
  const named = `The command ${JSON.stringify(excerpt(options.run, 80))}`;
  const limit = deadline(options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, options.signal);
  if (limit.signal.aborted) return Promise.resolve(errorObservation(`${named} was cancelled.`));

  return new Promise<Observation>((resolve) => {
    const child = spawn('/bin/sh', ['-c', options.run], {
      cwd: options.cwd,
      env: {
        ...options.env,
        ...switchyardVariables({
          ...options.identity,
          stablePool: options.identity.stablePool ?? '',
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, to end it whole
    });
    let output = Buffer.alloc(0);
    const collect = (chunk: Buffer) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > KEEP_BYTES) output = output.subarray(output.length - KEEP_BYTES);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    const stop = () => killGroup(child.pid);
    limit.signal.addEventListener('abort', stop, { once: true });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.once('error', (error) => {
      limit.signal.removeEventListener('abort', stop);
      resolve(errorObservation(`${named} could not start (${describeFailure(error)}).`));
    });
    // The shell has ended: end what it left behind too, which closes the pipes.
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      stop();
    });
    child.once('close', () => {
      limit.signal.removeEventListener('abort', stop);
      if (exit === undefined) return; // it never started: 'error' said so
      if (limit.signal.aborted) {
        resolve(errorObservation(`${named} ${limit.outcome()}${said(output)}.`));
        return;
      }
      if (exit.code === 0) {
        resolve({ kind: 'pass', pass: true, detail: `${lower(named)} exited 0${said(output)}` });
        return;
      }
      const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited ${exit.code}`;
      resolve({ kind: 'pass', pass: false, detail: `${lower(named)} ${how}${said(output)}` });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone, group and all.
  }
}

/** "; its last output: …" with the last lines, or nothing for a silent command. */
function said(output: Buffer): string {
  const lines = output
    .toString('utf8')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  if (lines.length === 0) return '';
  let tail = lines.slice(-TAIL_LINES).join('\n');
  if (tail.length > TAIL_CHARS) tail = `…${tail.slice(tail.length - TAIL_CHARS + 1)}`;
  return `; its last output: ${JSON.stringify(tail)}`;
}

function lower(sentenceStart: string): string {
  return sentenceStart.charAt(0).toLowerCase() + sentenceStart.slice(1);
}
