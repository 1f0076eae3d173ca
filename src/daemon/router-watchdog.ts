/**
 * The daemon keeps its router running, as a process supervisor would: the
 * router is a process of its own (so traffic flows while the daemon is down
 * or restarting), and when it dies while the daemon runs — a crash, an OOM
 * kill, a stray `kill` — the daemon starts it again on the same state
 * directory. The new router reads its last saved config and serves it at
 * once, on the same admin socket, so the controller's admin client carries on
 * without knowing. A router that dies again at once is started again after a
 * growing pause (up to 30 s), so a router that cannot start does not spin.
 *
 * It watches by polling the pid, because the router it found at `up` is not
 * its child and sends it no exit event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../controller/logger.ts';
import { DEFAULT_BACKOFF, backoffDelayMs } from '../controller/restart-backoff.ts';

const WATCH_EVERY_MS = 200;

export interface RouterWatchdogOptions {
  /** The router running when the watch begins. */
  readonly pid: number;
  /** Finds the router of the state directory, or starts one; resolves to its pid. */
  readonly restart: () => Promise<number>;
  readonly isAlive: (pid: number) => boolean;
  readonly logger: Logger;
  /** Default WATCH_EVERY_MS. */
  readonly everyMs?: number;
  /** Default: a real timer; tests pass one that returns at once. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RouterWatchdog {
  /** The router's pid now. */
  readonly pid: number;
  /** How many times it has started the router again. */
  readonly restarts: number;
  /** Ends the watch (before `down` stops the router, so it is not started again). */
  stop(): Promise<void>;
}

export function watchRouter(options: RouterWatchdogOptions): RouterWatchdog {
  const everyMs = options.everyMs ?? WATCH_EVERY_MS;
  const wait = options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
  const stopping = new AbortController();
  let pid = options.pid;
  let restarts = 0;

  const loop = (async () => {
    let pauseMs = everyMs;
    /** Restarts that failed in a row: they back off as a dying pool does (1 s, 2 s, … 30 s). */
    let failures = 0;
    while (!stopping.signal.aborted) {
      await wait(pauseMs, stopping.signal).catch(() => undefined);
      if (stopping.signal.aborted) return;
      if (options.isAlive(pid)) {
        pauseMs = everyMs;
        continue;
      }
      options.logger.warn(
        { pid },
        `The router (pid ${pid}) is gone; starting it again on its saved config.`,
      );
      try {
        const gone = pid;
        pid = await options.restart();
        restarts += 1;
        failures = 0;
        options.logger.info({ pid, previous: gone }, `Started the router again (pid ${pid}).`);
        pauseMs = everyMs;
      } catch (error) {
        failures += 1;
        pauseMs = backoffDelayMs(failures + 1, DEFAULT_BACKOFF);
        options.logger.error(
          { err: error },
          `Starting the router again failed; trying again in ${Math.round(pauseMs / 1000)} s. Its log is router/router.log in the state directory.`,
        );
      }
    }
  })();

  return {
    get pid() {
      return pid;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
