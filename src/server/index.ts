export { createApiServer, createApiServerWithRoutes } from './api-server.ts';
export type { ApiServer, ApiServerOptions } from './api-server.ts';
export type { ApiErrorBody } from './http-errors.ts';
export { httpStatusFor } from './http-errors.ts';
