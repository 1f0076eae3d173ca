/**
 * The router process: the data plane (Router) with its health checker,
 * metrics, admin API and saved config wired together. `switchyard router`
 * and bin.ts call into here.
 */
import fs from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { isSwitchyardError } from '../errors.ts';
import type { RouterConfig } from './config.ts';
import { loadRouterState, routerPaths, writeFileAtomic } from './config-file.ts';
import { ConfigSaver } from './config-saver.ts';
import { startAdminServer, type AdminHandlers, type AdminServer } from './admin/admin-server.ts';
import { readOrCreateToken } from './admin/token-file.ts';
import { startMetricsListener, type MetricsListener } from './admin/metrics-listener.ts';
import type { AdminAddress } from './admin/types.ts';
import { HealthChecker } from './health/health-checker.ts';
import { RouterMetrics } from './metrics/router-metrics.ts';
import { Router } from './router.ts';

export interface RouterProcessOptions {
  /** The Switchyard state directory; the router keeps its files in `<stateDir>/router/`. */
  readonly stateDir: string;
  /** Admin API on this unix socket. Default `<stateDir>/router/admin.sock` unless `adminPort` is set. */
  readonly adminSocket?: string;
  /** Admin API on this loopback TCP port instead of a socket (0 picks one). */
  readonly adminPort?: number;
  /** Host for `adminPort`; loopback only. Default 127.0.0.1. */
  readonly adminHost?: string;
  /** Also serve GET /metrics without a token on this loopback port, for Prometheus. */
  readonly metricsPort?: number;
  /** Admin token; default: read `<stateDir>/router/token`, created (mode 0600) if missing. */
  readonly token?: string;
  /** Seconds each pool's rolling window holds. Default 60. */
  readonly windowSeconds?: number;
  readonly logger?: Logger;
}

export interface RouterProcessInfo {
  readonly pid: number;
  readonly admin: AdminAddress;
  readonly metrics?: { readonly host: string; readonly port: number };
  readonly startedAt: string;
}

export interface RouterProcess {
  readonly info: RouterProcessInfo;
  readonly token: string;
  /**
   * Stops accepting new connections and control requests, lets requests in
   * flight finish for up to `timeoutMs` (default: the longest drainTimeoutMs
   * of the config), then closes everything.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

const EMPTY_CONFIG: RouterConfig = { generation: 0, services: [] };
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export async function startRouterProcess(options: RouterProcessOptions): Promise<RouterProcess> {
  const logger = options.logger ?? pino({ name: 'switchyard-router' });
  const paths = routerPaths(options.stateDir);
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const token = options.token ?? (await readOrCreateToken(paths.token));

  const metrics = new RouterMetrics({ windowSeconds: options.windowSeconds, processMetrics: true });
  const health = new HealthChecker();
  const router = new Router({ observer: metrics, health, logger });
  let current: RouterConfig = EMPTY_CONFIG;

  // Serve the last config before anything else, trusting the instances that
  // were healthy then, so traffic flows while the controller is away.
  const saved = await loadRouterState({ stateDir: options.stateDir, logger });
  if (saved) {
    health.apply(saved.config, { trusted: saved.healthy });
    try {
      await router.apply(saved.config);
      current = saved.config;
      logger.info({ generation: current.generation }, 'Serving the saved router config.');
    } catch (error) {
      health.apply(EMPTY_CONFIG);
      logger.error(
        { err: error },
        `Cannot serve the saved router config (${describe(error)}); starting with no services until the controller sends one.`,
      );
    }
  }

  const saver = new ConfigSaver({
    stateDir: options.stateDir,
    current: () => ({ config: current, healthy: health.healthyInstances() }),
  });
  const save = (): Promise<void> =>
    saver.save().catch((error: unknown) => {
      logger.error(
        { err: error, file: paths.config },
        `Cannot save the router config to ${paths.config}: ${describe(error)}.`,
      );
      throw error;
    });
  health.onChange((change) => {
    logger.info(
      change,
      `Instance ${change.instanceId} of ${change.service} is now ${change.healthy ? 'healthy' : 'unhealthy'} (${change.reason}: ${change.detail}).`,
    );
    // The saved healthy set must follow health, so a restart trusts the right instances.
    save().catch(() => undefined);
  });

  const handlers: AdminHandlers = {
    async applyConfig(config) {
      await router.apply(config); // rejects, keeping the old config, e.g. ROUTER_PORT_IN_USE
      health.apply(config);
      current = config;
      logger.info({ generation: config.generation }, 'Applied a new router config.');
      await save();
    },
    getConfig: () => current,
    getState: () => ({
      generation: current.generation,
      health: health.snapshot(),
      drain: router.drainState(),
      listening: router.listeningPorts(),
    }),
    window: (query) => metrics.window(query),
    drain: (request) => router.waitDrained(request),
    metricsText: () => metrics.text(),
  };

  const adminListen: AdminAddress =
    options.adminSocket !== undefined || options.adminPort === undefined
      ? { socketPath: options.adminSocket ?? paths.adminSocket }
      : { host: options.adminHost ?? '127.0.0.1', port: options.adminPort };

  let admin: AdminServer | undefined;
  let metricsListener: MetricsListener | undefined;
  try {
    admin = await startAdminServer({ listen: adminListen, token, handlers, logger });
    if (options.metricsPort !== undefined)
      metricsListener = await startMetricsListener({
        port: options.metricsPort,
        metricsText: () => metrics.text(),
        contentType: metrics.contentType,
      });
  } catch (error) {
    await admin?.close();
    await router.close();
    await health.close();
    throw error;
  }

  const info: RouterProcessInfo = {
    pid: process.pid,
    admin: admin.address,
    ...(metricsListener
      ? { metrics: { host: metricsListener.host, port: metricsListener.port } }
      : {}),
    startedAt: new Date().toISOString(),
  };
  await writeFileAtomic(paths.info, `${JSON.stringify(info, null, 2)}\n`);
  logger.info(info, 'The router is running.');

  let stopping: Promise<void> | undefined;
  const stop = (stopOptions: { timeoutMs?: number } = {}): Promise<void> => {
    stopping ??= (async () => {
      const longestDrain = Math.max(0, ...current.services.map((s) => s.drainTimeoutMs));
      const timeoutMs = stopOptions.timeoutMs ?? (longestDrain || DEFAULT_STOP_TIMEOUT_MS);
      await admin.close();
      await metricsListener?.close();
      await drainEverything(router, current, timeoutMs);
      await router.close();
      await health.close();
      await removeInfoIfOurs(paths.info);
      logger.info('The router has stopped.');
    })();
    return stopping;
  };

  return { info, token, stop };
}

/**
 * Graceful stop through the data plane's own drain: an empty config (never
 * saved) closes the listeners to new connections and drains every instance;
 * then wait for the requests in flight, up to the timeout.
 */
async function drainEverything(
  router: Router,
  config: RouterConfig,
  timeoutMs: number,
): Promise<void> {
  await router.apply({ generation: config.generation + 1, services: [] });
  await Promise.all(
    config.services.map((service) =>
      router.waitDrained({
        service: service.name,
        instanceIds: service.pools.flatMap((pool) => pool.instances.map((i) => i.id)),
        timeoutMs,
      }),
    ),
  );
}

/**
 * Starts the router and runs it until SIGTERM or SIGINT, then stops it
 * gracefully. Resolves with the exit code: 0 after a clean stop.
 */
export async function runRouterProcess(options: RouterProcessOptions): Promise<number> {
  // Listen before starting: a SIGTERM that arrives while the admin API is
  // already up but start-up is still finishing must stop cleanly too.
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const running = await startRouterProcess(options);
  await signalled;
  await running.stop();
  return 0;
}

/** A router started after this one (same state dir) owns router.json now; leave it alone. */
async function removeInfoIfOurs(file: string): Promise<void> {
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown };
    if (info.pid === process.pid) await fs.rm(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}

function describe(error: unknown): string {
  if (isSwitchyardError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
