import type { FastifyRequest } from 'fastify';
import type { ServiceEnv } from '../state/store.ts';

/** Who is asking, as the CLI says in `X-Switchyard-User` (e.g. alice@laptop); "api" otherwise. */
export function requestedBy(request: FastifyRequest): string {
  const header = request.headers['x-switchyard-user'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && value.length <= 200 ? value : 'api';
}

export function serviceKey(params: { readonly service: string; readonly env: string }): ServiceEnv {
  return { service: params.service, environment: params.env };
}
