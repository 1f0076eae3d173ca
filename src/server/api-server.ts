/**
 * The control API (DESIGN.md, server/): fastify over a route table. Every
 * route needs the bearer token except GET /v1/healthz and the OpenAPI
 * document — reads too, since status names hosts, ports and who holds locks,
 * and one rule is easier to get right than a list of exceptions. The token is
 * compared in constant time before the body is even parsed.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ControlPlane } from '../controller/control-plane.ts';
import { SwitchyardError } from '../errors.ts';
import { bearerMatches } from '../router/admin/bearer-token.ts';
import { errorBody, httpStatusFor, toSwitchyardError } from './http-errors.ts';
import { buildOpenApi } from './openapi.ts';
import type { ApiRoute } from './route.ts';
import { metaRoutes } from './routes/meta-routes.ts';
import { serviceRoutes } from './routes/service-routes.ts';
import { scrubSecrets } from './scrub-secrets.ts';
import { validateInput } from './validate-input.ts';

export interface ApiServerOptions {
  readonly control: ControlPlane;
  /** The bearer token every non-public route needs. */
  readonly token: string;
  /** A pino logger; default none. */
  readonly logger?: FastifyBaseLogger;
  /** POST /v1/shutdown calls this after answering; without it the route does not exist. */
  readonly onShutdown?: () => void;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly routes: readonly ApiRoute[];
}

const UNAUTHORIZED =
  'This request needs the control API token: send "Authorization: Bearer <token>" with the token in .switchyard/token (or set SWITCHYARD_TOKEN).';

export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  return (await createApiServerWithRoutes(options)).app;
}

export async function createApiServerWithRoutes(options: ApiServerOptions): Promise<ApiServer> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Streams (events, logs -f) stay open; close them when the server closes.
    forceCloseConnections: true,
  });
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  let openApi: unknown;
  const routes: ApiRoute[] = [
    ...metaRoutes({
      control: options.control,
      serverSignal: closing.signal,
      openApi: () => (openApi ??= buildOpenApi(routes)),
      ...(options.onShutdown && { onShutdown: options.onShutdown }),
    }),
    ...serviceRoutes(options.control, closing.signal),
  ];

  app.setErrorHandler((error, request, reply) => {
    const failure = toSwitchyardError(error);
    const status = httpStatusFor(failure);
    if (status >= 500) request.log.error({ err: error }, 'control API request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.status(status).send(errorBody(failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new SwitchyardError(
      'API_NOT_FOUND',
      `There is no route ${request.method} ${request.url.split('?')[0]}; GET /v1/openapi.json lists them.`,
    );
    return reply.status(404).send(errorBody(failure));
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      onRequest: async (request) => {
        if (!route.public && !bearerMatches(request.headers.authorization, options.token)) {
          throw new SwitchyardError('API_UNAUTHORIZED', UNAUTHORIZED);
        }
      },
      handler: async (request, reply) => {
        const params = route.params
          ? validateInput(route.params, request.params, 'path')
          : undefined;
        const query = route.query ? validateInput(route.query, request.query, 'query') : undefined;
        const body = route.body ? validateInput(route.body, request.body ?? {}, 'body') : undefined;
        const result = await route.handle({ params, query, body, request, reply });
        if (reply.sent) return reply;
        return scrubSecrets(result ?? null);
      },
    });
  }
  return { app, routes };
}
