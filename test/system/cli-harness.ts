/**
 * Helpers for the CLI system test: run the real binary in a project folder
 * (stdin not a terminal, no SWITCHYARD_* from the caller), poll with a bound
 * that fails with a clear message, and find or stop processes by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));
export const httpApp = fileURLToPath(new URL('../fixtures/apps/http-app.mjs', import.meta.url));

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

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_')),
  );
}

/** Starts `switchyard ARGS` in `cwd` with its stdin a closed pipe (not a terminal). */
export function start(cwd: string, args: readonly string[]): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: cleanEnv(), stdio: 'pipe' });
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

export function run(cwd: string, args: readonly string[]): Promise<RunResult> {
  return start(cwd, args).done;
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

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // An exited process not yet reaped by its parent counts as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live PIDs whose environment or command line contains `needle`. */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let text = '';
    for (const file of ['environ', 'cmdline']) {
      try {
        text += readFileSync(`/proc/${entry}/${file}`, 'latin1');
      } catch {
        // Gone, or not ours to read.
      }
    }
    if (text.includes(needle) && alive(pid)) found.push(pid);
  }
  return found;
}

/** SIGTERM, then SIGKILL after a grace period, each of exactly these PIDs. */
export async function stopPids(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
