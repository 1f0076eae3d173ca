import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../controller/logger.ts';
import { watchRouter } from './router-watchdog.ts';

/** A logger that keeps what it was told. */
function keptLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_details, message) => lines.push(`info ${message}`),
    warn: (_details, message) => lines.push(`warn ${message}`),
    error: (_details, message) => lines.push(`error ${message}`),
  };
}

/** A wait that records the pause asked for and yields a turn instead of sleeping. */
function recordedWait() {
  const pauses: number[] = [];
  const wait = async (ms: number) => {
    pauses.push(ms);
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { pauses, wait };
}

describe('watchRouter', () => {
  it('leaves a live router alone', async () => {
    const { wait, pauses } = recordedWait();
    const restart = vi.fn(async () => 2);
    const watchdog = watchRouter({
      pid: 1,
      restart,
      isAlive: () => true,
      logger: keptLogger(),
      everyMs: 200,
      wait,
    });
    await vi.waitFor(() => expect(pauses.length).toBeGreaterThan(5));
    await watchdog.stop();
    expect(restart).not.toHaveBeenCalled();
    expect(new Set(pauses)).toEqual(new Set([200]));
    expect(watchdog.pid).toBe(1);
  });

  it('starts a dead router again, once, and then watches the new pid', async () => {
    const { wait } = recordedWait();
    const dead = new Set([10]);
    const restart = vi.fn(async () => 11);
    const logger = keptLogger();
    const watchdog = watchRouter({
      pid: 10,
      restart,
      isAlive: (pid) => !dead.has(pid),
      logger,
      wait,
    });
    await vi.waitFor(() => expect(watchdog.pid).toBe(11));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await watchdog.stop();
    expect(restart).toHaveBeenCalledTimes(1);
    expect(watchdog.restarts).toBe(1);
    expect(logger.lines).toEqual([
      'warn The router (pid 10) is gone; starting it again on its saved config.',
      'info Started the router again (pid 11).',
    ]);
  });

  it('backs off while the router cannot be started, up to 30 s, and recovers', async () => {
    const { wait, pauses } = recordedWait();
    let failures = 12;
    const restart = vi.fn(async () => {
      if (failures-- > 0) throw new Error('port 8080 is taken');
      return 21;
    });
    const logger = keptLogger();
    const watchdog = watchRouter({
      pid: 20,
      restart,
      isAlive: (pid) => pid === 21,
      logger,
      everyMs: 200,
      wait,
    });
    await vi.waitFor(() => expect(watchdog.pid).toBe(21));
    await watchdog.stop();
    expect(pauses.slice(0, 9)).toEqual([200, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(pauses.at(-1)).toBe(200);
    expect(logger.lines[1]).toBe(
      'error Starting the router again failed; trying again in 1 s. Its log is router/router.log in the state directory.',
    );
  });

  it('does not start the router again once stopped', async () => {
    let alive = true;
    const restart = vi.fn(async () => 2);
    const watchdog = watchRouter({
      pid: 1,
      restart,
      isAlive: () => alive,
      logger: keptLogger(),
      everyMs: 5,
    });
    await watchdog.stop();
    alive = false;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(restart).not.toHaveBeenCalled();
  });
});
