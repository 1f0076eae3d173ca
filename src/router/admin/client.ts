import { Client } from 'undici';
import { ErrorCodes, SwitchyardError, type ErrorCode } from '../../errors.ts';
import type { RouterConfig } from '../config.ts';
import type {
  AdminAddress,
  AdminErrorBody,
  DrainRequest,
  DrainResult,
  RouterStateView,
  WindowQuery,
  WindowStats,
} from './types.ts';

export interface RouterAdminClientOptions {
  readonly address: AdminAddress;
  readonly token: string;
}

/**
 * A typed client of the router admin API, over a unix socket or loopback TCP
 * (one keep-alive connection pool). Every failure is a SwitchyardError: the
 * router's own code when it answered with one (ROUTER_BAD_CONFIG with the
 * field list in `details`, ROUTER_STALE_CONFIG, ROUTER_PORT_IN_USE), else
 * ROUTER_ADMIN_FAILED.
 */
export class RouterAdminClient {
  private readonly client: Client;
  private readonly token: string;
  private readonly where: string;

  constructor(options: RouterAdminClientOptions) {
    const { address } = options;
    this.token = options.token;
    if ('socketPath' in address) {
      this.client = new Client('http://localhost', { socketPath: address.socketPath });
      this.where = address.socketPath;
    } else {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      this.client = new Client(`http://${host}:${address.port}`);
      this.where = `${address.host}:${address.port}`;
    }
  }

  /** Sets the router's config; resolves once it is applied and saved. */
  async putConfig(config: RouterConfig): Promise<{ generation: number }> {
    return this.json('PUT', '/config', config);
  }

  async getConfig(): Promise<RouterConfig> {
    return this.json('GET', '/config');
  }

  async getState(): Promise<RouterStateView> {
    return this.json('GET', '/state');
  }

  /** One pool's traffic over a span; `from`/`to` in the answer say which seconds it covers. */
  async window(query: WindowQuery): Promise<WindowStats> {
    const params = new URLSearchParams({ service: query.service, pool: query.pool });
    for (const name of ['seconds', 'from', 'to', 'slowerThanMs'] as const) {
      const value = query[name];
      if (value !== undefined) params.set(name, String(value));
    }
    return this.json('GET', `/window?${params.toString()}`);
  }

  /** Waits until the instances have drained or the timeout passed. */
  async drain(request: DrainRequest): Promise<DrainResult> {
    return this.json('POST', '/drain', request);
  }

  /** The Prometheus text exposition. */
  async metrics(): Promise<string> {
    return (await this.send('GET', '/metrics')).text;
  }

  async healthz(): Promise<{ ok: boolean }> {
    return this.json('GET', '/healthz');
  }

  /** Closes the connection pool; safe to call more than once. */
  async close(): Promise<void> {
    if (this.client.closed || this.client.destroyed) return;
    await this.client.close();
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return JSON.parse((await this.send(method, path, body)).text) as T;
  }

  private async send(method: string, path: string, body?: unknown): Promise<{ text: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await this.client.request({
        method: method as 'GET',
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new SwitchyardError(
        'ROUTER_ADMIN_FAILED',
        `Cannot reach the router admin API at ${this.where} (${describe(error)}). Check that the router is running (switchyard up).`,
        { cause: error },
      );
    }
    const text = await response.body.text();
    if (response.statusCode < 300) return { text };
    throw this.errorFrom(method, path, response.statusCode, text);
  }

  private errorFrom(method: string, path: string, status: number, text: string): SwitchyardError {
    if (status === 401)
      return new SwitchyardError(
        'ROUTER_ADMIN_FAILED',
        `The router admin API at ${this.where} refused the token. Use the token in <state>/router/token.`,
      );
    let error: AdminErrorBody['error'] | undefined;
    try {
      error = (JSON.parse(text) as AdminErrorBody).error;
    } catch {
      error = undefined;
    }
    if (error && isErrorCode(error.code))
      return new SwitchyardError(error.code, error.message, { details: error.details ?? [] });
    return new SwitchyardError(
      'ROUTER_ADMIN_FAILED',
      `The router admin API answered ${method} ${path} with status ${status}. See the router's log.`,
    );
  }
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}
