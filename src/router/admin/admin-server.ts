import fs from 'node:fs/promises';
import net from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { ExitCode, SwitchyardError, isSwitchyardError, type ErrorCode } from '../../errors.ts';
import type { RouterConfig } from '../config.ts';
import { formatConfigIssues, parseRouterConfig, type ConfigIssue } from '../config-schema.ts';
import type { WindowStats } from '../metrics/rolling-window.ts';
import { bearerMatches } from './bearer-token.ts';
import { assertLoopbackHost } from './loopback.ts';
import type {
  AdminAddress,
  AdminErrorBody,
  DrainRequest,
  DrainResult,
  RouterStateView,
  WindowQuery,
} from './types.ts';

/**
 * What the admin API does, as callbacks: the server validates, authorises and
 * orders requests; the router process decides what they mean. This keeps the
 * server testable without a data plane.
 */
export interface AdminHandlers {
  /** Apply and persist a validated config; reject with a SwitchyardError (e.g. ROUTER_PORT_IN_USE). */
  applyConfig(config: RouterConfig): Promise<void>;
  getConfig(): RouterConfig;
  getState(): RouterStateView;
  window(query: WindowQuery): WindowStats;
  drain(request: DrainRequest): Promise<DrainResult>;
  metricsText(): Promise<string>;
}

export interface AdminServerOptions {
  readonly listen: AdminAddress;
  readonly token: string;
  readonly handlers: AdminHandlers;
  /** Errors the server could not turn into a client error are logged here. */
  readonly logger?: { error(details: object, message: string): void };
}

export interface AdminServer {
  readonly address: AdminAddress;
  close(): Promise<void>;
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  ROUTER_BAD_CONFIG: 400,
  ROUTER_STALE_CONFIG: 409,
  ROUTER_PORT_IN_USE: 409,
};

const drainSchema = z.strictObject({
  service: z.string().min(1),
  instanceIds: z.array(z.string().min(1)),
  timeoutMs: z.int().min(1),
});

const epochSecond = z.coerce.number().int().min(0);

const windowSchema = z
  .object({
    service: z.string().min(1),
    pool: z.string().min(1),
    seconds: z.coerce.number().int().min(1).optional(),
    from: epochSecond.optional(),
    to: z.union([z.literal('latest'), epochSecond]).optional(),
    slowerThanMs: z.coerce.number().min(0).optional(),
  })
  .superRefine(
    (query, ctx) => {
      // `from` and `seconds` would each say where the span starts.
      if (query.from !== undefined && query.seconds !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['from'],
          message: 'give `from` or `seconds`, not both',
        });
      if (query.from !== undefined && typeof query.to === 'number' && query.from > query.to)
        ctx.addIssue({
          code: 'custom',
          path: ['from'],
          message: `must not be after \`to\` (${query.from} > ${query.to})`,
        });
    },
    // Only across fields that are themselves right; each wrong field is already reported.
    { when: (payload) => payload.issues.length === 0 },
  );

const WINDOW_USAGE =
  'GET /window needs ?service=NAME&pool=NAME and optionally &seconds=N (a whole number ≥ 1) for the last N seconds, or &from=S and/or &to=S|latest (epoch seconds, from ≤ to) for complete seconds only, and &slowerThanMs=MS (a number ≥ 0) to count slow requests.';

/**
 * The router's admin API (fastify). Every route needs the bearer token,
 * /healthz included: only the separate metrics listener is open.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { handlers, token } = options;
  if ('host' in options.listen) assertLoopbackHost(options.listen.host, 'router admin API');

  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });

  app.addHook('onRequest', async (request, reply) => {
    if (bearerMatches(request.headers.authorization, token)) return;
    reply.header('www-authenticate', 'Bearer realm="switchyard-router"');
    return sendError(reply, 401, {
      code: 'ROUTER_ADMIN_FAILED',
      message:
        'The router admin API needs the token from <state>/router/token, sent as "Authorization: Bearer <token>".',
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isSwitchyardError(error)) {
      const status =
        HTTP_STATUS[error.code] ??
        (error.exitCode === ExitCode.badInput
          ? 400
          : error.exitCode === ExitCode.conflict
            ? 409
            : 500);
      return sendError(reply, status, {
        code: error.code,
        message: error.message,
        details: error.details,
      });
    }
    const status = error.statusCode ?? 500;
    if (status < 500)
      // fastify's own client errors: a body that is not JSON, a wrong content type, too large.
      return sendError(reply, status, {
        code: request.url.startsWith('/config') ? 'ROUTER_BAD_CONFIG' : 'ROUTER_ADMIN_FAILED',
        message: `The request to ${request.method} ${request.url} was not accepted: ${error.message}. Send a JSON body with content-type application/json.`,
      });
    options.logger?.error(
      { err: error, url: request.url },
      'The router admin API failed on a request.',
    );
    return sendError(reply, 500, {
      code: 'ROUTER_ADMIN_FAILED',
      message: `The router failed while handling ${request.method} ${request.url}: ${error.message}. See the router's log.`,
    });
  });

  // One config change at a time, so the generation check and the apply cannot interleave.
  let configQueue: Promise<unknown> = Promise.resolve();

  app.put('/config', async (request, reply) => {
    const parsed = parseRouterConfig(request.body);
    if (!parsed.ok) return sendInvalidConfig(reply, parsed.issues);
    const config = parsed.config;
    const run = configQueue.then(async () => {
      const current = handlers.getConfig().generation;
      if (config.generation < current)
        throw new SwitchyardError(
          'ROUTER_STALE_CONFIG',
          `The router already serves config generation ${current}, newer than the ${config.generation} sent; send a config with generation ${current} or more.`,
        );
      await handlers.applyConfig(config);
    });
    configQueue = run.catch(() => undefined);
    await run;
    return { generation: config.generation };
  });

  app.get('/config', async () => handlers.getConfig());

  app.get('/state', async () => handlers.getState());

  app.get('/window', async (request, reply) => {
    const query = windowSchema.safeParse(request.query);
    if (!query.success) return sendUsage(reply, WINDOW_USAGE, query.error);
    return handlers.window(query.data);
  });

  app.post('/drain', async (request, reply) => {
    const body = drainSchema.safeParse(request.body);
    if (!body.success)
      return sendUsage(
        reply,
        'POST /drain needs a JSON body {"service": NAME, "instanceIds": [ID, ...], "timeoutMs": N}.',
        body.error,
      );
    return handlers.drain(body.data);
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return handlers.metricsText();
  });

  const address = await listen(app, options.listen);
  return {
    address,
    close: async () => {
      await app.close();
      if ('socketPath' in address) await fs.rm(address.socketPath, { force: true });
    },
  };
}

async function listen(app: FastifyInstance, where: AdminAddress): Promise<AdminAddress> {
  if ('socketPath' in where) {
    await removeStaleSocket(where.socketPath);
    await app.listen({ path: where.socketPath });
    // The token guards every request; the mode keeps other users from even trying.
    await fs.chmod(where.socketPath, 0o600);
    return { socketPath: where.socketPath };
  }
  await app.listen({ host: where.host, port: where.port });
  const bound = app.server.address() as net.AddressInfo;
  return { host: where.host, port: bound.port };
}

/** A socket file left by a router that was killed is removed; one that answers is another router's. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (answered)
    throw new SwitchyardError(
      'ROUTER_PORT_IN_USE',
      `Another router is already listening on ${socketPath}. Stop it first, or give this one its own state directory.`,
    );
  await fs.rm(socketPath, { force: true });
}

function sendInvalidConfig(reply: FastifyReply, issues: readonly ConfigIssue[]): FastifyReply {
  return sendError(reply, 400, {
    code: 'ROUTER_BAD_CONFIG',
    message: `The router config is invalid (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}); fix each field listed and send it again.`,
    details: formatConfigIssues(issues),
    issues,
  });
}

/** A 400 for a request that does not fit its route: the usage, and each field zod found wrong. */
function sendUsage(reply: FastifyReply, usage: string, error: z.ZodError): FastifyReply {
  return sendError(reply, 400, {
    code: 'ROUTER_ADMIN_FAILED',
    message: usage,
    details: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  });
}

function sendError(
  reply: FastifyReply,
  status: number,
  error: {
    code: string;
    message: string;
    details?: readonly string[];
    issues?: readonly ConfigIssue[];
  },
): FastifyReply {
  const body: AdminErrorBody = { error: { ...error, details: error.details ?? [] } };
  return reply.code(status).type('application/json').send(body);
}
