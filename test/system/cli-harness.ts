/**
 * Helpers for the tests that run the real CLI: the binary (or another script
 * that loads the CLI) in a project folder, its stdin not a terminal and no
 * SWITCHYARD_* from the caller's environment; the PIDs `up --detach` wrote;
 * and a poller with a bound that fails with a clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { daemonPaths } from '../../src/daemon/paths.ts';
import { routerPaths } from '../../src/router/config-file.ts';
import { alive, processesMentioning, stopPids } from '../support/processes.ts';

export const bin = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  readonly done: Promise<RunResult>;
}

export interface StartOptions {
  /** Variables added to the cleaned environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** The script Node runs instead of bin/switchyard.js (e.g. one that loads the CLI). */
  readonly script?: string;
}

/** The caller's environment without any SWITCHYARD_* variable, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_')),
    ),
    ...extra,
  };
}

/** Starts `switchyard ARGS` in `cwd` with its stdin a closed pipe (not a terminal). */
export function start(cwd: string, args: readonly string[], options: StartOptions = {}): Running {
  const child = spawn(process.execPath, [options.script ?? bin, ...args], {
    cwd,
    env: cleanEnv(options.env),
    stdio: 'pipe',
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, done };
}

export function run(
  cwd: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunResult> {
  return start(cwd, args, options).done;
}

/** What `up --detach` wrote to the state dir: the daemon's PID and URL, the router's PID. */
export function daemonInfo(stateDir: string): { pid: number; url: string; routerPid: number } {
  const api = JSON.parse(readFileSync(daemonPaths(stateDir).apiInfo, 'utf8')) as {
    pid: number;
    url: string;
  };
  const router = JSON.parse(readFileSync(routerPaths(stateDir).info, 'utf8')) as { pid: number };
  return { pid: api.pid, url: api.url, routerPid: router.pid };
}

/**
 * Polls `check` until it returns a truthy value; fails after `limitMs` with
 * `what` and the last value seen, so a hang reads as a sentence.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | false | undefined> | T | false | undefined,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    const value = await check();
    if (value) return value;
    last = value;
    if (Date.now() > deadline) {
      throw new Error(`Gave up after ${limitMs} ms waiting for ${what} (last: ${String(last)}).`);
    }
    await sleep(150);
  }
}

/**
 * The end of a test that ran `up --detach`: `down` while the daemon or the
 * router still runs, then whichever of `pids` is left, then every process
 * whose environment or command line mentions one of `mentioning` (the
 * test's unique service name, its folder), all by PID.
 */
export async function stopEverything(
  down: () => Promise<unknown>,
  pids: readonly number[],
  mentioning: readonly string[],
): Promise<void> {
  if (pids.some(alive)) await down();
  await stopPids(pids.filter(alive));
  await stopPids(mentioning.flatMap(processesMentioning));
}
