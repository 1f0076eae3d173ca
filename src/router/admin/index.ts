export { startAdminServer } from './admin-server.ts';
export type { AdminHandlers, AdminServer, AdminServerOptions } from './admin-server.ts';
export { startMetricsListener } from './metrics-listener.ts';
export type { MetricsListener, MetricsListenerOptions } from './metrics-listener.ts';
export { RouterAdminClient } from './client.ts';
export type { RouterAdminClientOptions } from './client.ts';
export { newToken } from './bearer-token.ts';
export type * from './types.ts';
