/**
 * Shared parts of the reliability suite: a seeded PRNG (SEED=… replays a
 * run), the controller as a child process (src/controller/bin.ts), and the
 * check of the store's instances against the processes really running,
 * read from /proc.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * Instances really running for a state dir: every instance the process
 * runtime starts has a log file named by its id under <state>/logs and
 * carries SWITCHYARD_INSTANCE=<id> in its environment; its supervisor holds
 * that log file open.
 */
export function runningProcesses(
  stateDir: string,
  service: string,
  environment: string,
): { instances: Set<string>; supervisors: number } {
  const logDir = join(stateDir, 'logs', service, environment);
  let ids: string[];
  try {
    ids = readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => f.slice(0, -'.log'.length));
  } catch {
    ids = [];
  }
  const instances = new Set<string>();
  let supervisors = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const id = env
        .find((v) => v.startsWith('SWITCHYARD_INSTANCE='))
        ?.slice('SWITCHYARD_INSTANCE='.length);
      if (id !== undefined && ids.includes(id)) instances.add(id);
      if (id !== undefined) continue;
      const fds = readdirSync(`/proc/${entry}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      if (fds.some((target) => target.startsWith(`${logDir}/`) && target.endsWith('.log'))) {
        supervisors += 1;
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return { instances, supervisors };
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
