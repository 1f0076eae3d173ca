/**
 * The router's files under `<stateDir>/router/`, and the saved config: the
 * last config the controller set, with the instances that were healthy then,
 * so a restarted router serves at once (DESIGN.md: "keeps its last config on
 * disk, so the data plane keeps serving while the controller restarts").
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RouterConfig } from './config.ts';
import { formatConfigIssues, parseRouterConfig } from './config-schema.ts';
import type { HealthyInstances } from './health/health-checker.ts';

export interface RouterPaths {
  readonly dir: string;
  /** The saved config and healthy set. */
  readonly config: string;
  /** `{pid, admin, metrics}` of the running router, for the controller and CLI to find it. */
  readonly info: string;
  /** The admin API bearer token (mode 0600). */
  readonly token: string;
  readonly adminSocket: string;
}

export function routerPaths(stateDir: string): RouterPaths {
  const dir = path.join(stateDir, 'router');
  return {
    dir,
    config: path.join(dir, 'config.json'),
    info: path.join(dir, 'router.json'),
    token: path.join(dir, 'token'),
    adminSocket: path.join(dir, 'admin.sock'),
  };
}

export interface SavedRouterState {
  readonly config: RouterConfig;
  readonly healthy: HealthyInstances;
}

/** What loading needs from a logger; a pino logger fits. */
export interface ErrorLog {
  error(details: object, message: string): void;
}

const FORMAT = 1;

/**
 * Writes a file so a reader (or a crash) sees the old content or the new,
 * never half: a temp file in the same directory, fsync, rename over the
 * target, then fsync the directory so the rename itself is durable.
 */
export async function writeFileAtomic(
  file: string,
  data: string,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await fs.open(temp, 'w', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export async function saveRouterState(stateDir: string, state: SavedRouterState): Promise<void> {
  const paths = routerPaths(stateDir);
  await fs.mkdir(paths.dir, { recursive: true });
  const body = {
    format: FORMAT,
    savedAt: new Date().toISOString(),
    config: state.config,
    healthy: state.healthy,
  };
  await writeFileAtomic(paths.config, `${JSON.stringify(body, null, 2)}\n`);
}

/**
 * The saved state, or null when there is none. A file that cannot be read
 * or is not a valid config is logged and ignored: the router then starts
 * with no services and waits for the controller, rather than not starting.
 */
export async function loadRouterState(options: {
  stateDir: string;
  logger: ErrorLog;
}): Promise<SavedRouterState | null> {
  const file = routerPaths(options.stateDir).config;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    options.logger.error(
      { file, err: error },
      `Cannot read the saved router config ${file}; starting with no services until the controller sends one. Check the file's permissions.`,
    );
    return null;
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    options.logger.error(
      { file, err: error },
      `The saved router config ${file} is not valid JSON; starting with no services until the controller sends a config (it will be rewritten then).`,
    );
    return null;
  }

  const record = isRecord(body) ? body : {};
  const parsed = parseRouterConfig(record['config']);
  if (!parsed.ok) {
    options.logger.error(
      { file, problems: formatConfigIssues(parsed.issues) },
      `The saved router config ${file} is not a valid config; starting with no services until the controller sends one (it will be rewritten then).`,
    );
    return null;
  }
  return { config: parsed.config, healthy: parseHealthy(record['healthy']) };
}

/** A damaged healthy set only costs a re-check: every instance starts unhealthy. */
function parseHealthy(value: unknown): HealthyInstances {
  if (!isRecord(value)) return {};
  const healthy: Record<string, string[]> = {};
  for (const [service, ids] of Object.entries(value))
    if (Array.isArray(ids))
      healthy[service] = ids.filter((id): id is string => typeof id === 'string');
  return healthy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
