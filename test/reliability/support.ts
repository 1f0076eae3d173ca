/**
 * Shared parts of the reliability suite: a seeded PRNG (SEED=… replays a
 * run), the controller as a child process (src/controller/bin.ts), and the
 * check of the store's instances against the processes really running,
 * read from /proc.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const controllerBin = fileURLToPath(new URL('../../src/controller/bin.ts', import.meta.url));

/** The seed of this run: SEED from the environment, or a fresh one. */
export function seedFromEnv(): number {
  const given = process.env['SEED'];
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** mulberry32: small, fast, good enough to pick kill moments. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ControllerChild {
  readonly pid: number;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts src/controller/bin.ts on a state dir and waits for its ready line. */
export async function startController(stateDir: string, holder: string): Promise<ControllerChild> {
  const proc: ChildProcess = spawn(
    process.execPath,
    [controllerBin, '--state', stateDir, '--holder', holder, '--tick-ms', '50'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (out.includes('"ready":true')) return;
      out += chunk.toString();
      if (out.includes('"ready":true')) resolve();
    });
    proc.once('exit', (code) =>
      reject(new Error(`the controller exited (${code}) before it was ready: ${err}`)),
    );
  });
  proc.removeAllListeners('exit');
  // Keep draining its output so it never blocks on a full pipe.
  proc.stdout?.resume();
  const pid = proc.pid as number;
  return {
    pid,
    async kill(signal) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill(signal);
      await exited;
    },
  };
}

/** PIDs of live processes whose environment holds SWITCHYARD_INSTANCE=<id>. */
export function pidsOfInstance(instanceId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`SWITCHYARD_INSTANCE=${instanceId}`)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export { runningProcesses } from '../system/controller-harness.ts';
