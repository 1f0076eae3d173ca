import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../daemon/process-check.ts';
import { runCheckCommand, type CommandIdentity } from './command.ts';

const identity: CommandIdentity = {
  service: 'shop',
  environment: 'beta',
  pool: 'canary',
  version: '2.0.0',
  revision: 12,
  stablePool: 'stable',
};
const env = { PATH: process.env['PATH'], CHECK_TOKEN: 'from-the-caller' };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sy-check-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Waits (at most 2 s) for a process to be gone (a zombie counts as gone: only init may reap an orphan). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  return !isAlive(pid);
}

describe('runCheckCommand', () => {
  it('passes on exit 0, with the caller’s environment and the SWITCHYARD_* variables', async () => {
    const observation = await runCheckCommand({
      run: 'echo "$SWITCHYARD_SERVICE $SWITCHYARD_ENV $SWITCHYARD_POOL $SWITCHYARD_VERSION $SWITCHYARD_REVISION $SWITCHYARD_STABLE_POOL $CHECK_TOKEN"',
      env,
      identity,
    });
    expect(observation).toEqual({
      kind: 'pass',
      pass: true,
      detail: expect.stringMatching(
        /exited 0; its last output: "shop beta canary 2.0.0 12 stable from-the-caller"$/,
      ),
    });
  });

  it('sets SWITCHYARD_STABLE_POOL empty when there is no stable pool, and runs in cwd', async () => {
    const dir = await tempDir();
    const observation = await runCheckCommand({
      run: 'test -z "$SWITCHYARD_STABLE_POOL" && pwd',
      env,
      identity: { ...identity, stablePool: null },
      cwd: dir,
    });
    expect(observation).toMatchObject({ kind: 'pass', pass: true });
    expect((observation as { detail: string }).detail).toContain(await fs.realpath(dir));
  });

  it('fails on a non-zero exit with the last lines of its output, bounded', async () => {
    const observation = await runCheckCommand({
      run: 'for i in $(seq 1 500); do echo "line $i"; done; echo "p99 too high: 812ms" >&2; exit 3',
      env,
      identity,
    });
    expect(observation).toMatchObject({ kind: 'pass', pass: false });
    const { detail } = observation as { detail: string };
    expect(detail).toMatch(/^the command "for i in .*" exited 3; its last output: "line 492\\n/);
    expect(detail).toMatch(/line 500\\np99 too high: 812ms"$/);
    expect(detail).not.toContain('line 491\\n');
  });

  it('says nothing more for a command that printed nothing', async () => {
    expect(await runCheckCommand({ run: 'exit 1', env, identity })).toEqual({
      kind: 'pass',
      pass: false,
      detail: 'the command "exit 1" exited 1',
    });
  });

  it('kills the whole process group when it times out, and that is an error', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'pid');
    const started = Date.now();
    const observation = await runCheckCommand({
      // A background child that outlives a plain kill of the shell.
      run: `sleep 30 & echo $! > ${pidFile}; echo waiting; wait`,
      env,
      identity,
      timeoutMs: 300,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(observation).toEqual({
      kind: 'error',
      message: expect.stringMatching(
        /^The command ".*" timed out after 300ms; its last output: "waiting"\.$/,
      ),
    });
    const child = Number(await fs.readFile(pidFile, 'utf8'));
    expect(await gone(child)).toBe(true);
  });

  it('ends what a passing command left running in the background', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'pid');
    const observation = await runCheckCommand({
      run: `sleep 30 & echo $! > ${pidFile}`,
      env,
      identity,
    });
    expect(observation).toMatchObject({ kind: 'pass', pass: true });
    expect(await gone(Number(await fs.readFile(pidFile, 'utf8')))).toBe(true);
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    const pending = runCheckCommand({ run: 'sleep 30', env, identity, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toEqual({
      kind: 'error',
      message: 'The command "sleep 30" was cancelled.',
    });
    controller.abort();
    expect(
      await runCheckCommand({ run: 'true', env, identity, signal: controller.signal }),
    ).toEqual({ kind: 'error', message: 'The command "true" was cancelled.' });
  });

  it('is an error when it cannot start', async () => {
    const observation = await runCheckCommand({
      run: 'true',
      env,
      identity,
      cwd: '/nonexistent/switchyard-check',
    });
    expect(observation).toEqual({
      kind: 'error',
      message: 'The command "true" could not start (ENOENT).',
    });
  });
});
