/**
 * The CLI's typed client of the control API (undici). Every failure becomes
 * a SwitchyardError: the server's own code when it answered with one (so the
 * exit code is the same as if the command had run in the daemon), the
 * "not running" message when nothing answers.
 */
import os from 'node:os';
import { request, type Dispatcher } from 'undici';
import type {
  CleanupPlan,
  DeployRequest,
  HistoryEntry,
  RolloutView,
  ServiceStatus,
  ServiceSummary,
} from '../../controller/control-plane.ts';
import { ErrorCodes, SwitchyardError, type ErrorCode } from '../../errors.ts';
import type { LockInfo, PoolWeight, ServiceEnv, StoredEvent } from '../../state/store.ts';
import type { CliIO } from '../io.ts';
import { notRunning, resolveDaemonAddress, type DaemonAddress } from './daemon-address.ts';
import { parseSse, splitLines } from './sse-parser.ts';

type Method = 'GET' | 'POST' | 'DELETE';

/** Connection failures that mean "nobody is listening there". */
const NOT_LISTENING = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface ApiClientOptions extends DaemonAddress {
  /** Who is asking, sent as X-Switchyard-User and stored with locks and revisions. */
  readonly user: string;
}

/** `alice@laptop`, or SWITCHYARD_USER when set. */
export function currentUser(env: CliIO['env']): string {
  return env['SWITCHYARD_USER'] || `${os.userInfo().username}@${os.hostname()}`;
}

/** Finds the daemon for this folder (or SWITCHYARD_URL) and returns a client of it. */
export async function connect(
  io: CliIO,
  options: { readonly stateDir?: string } = {},
): Promise<ApiClient> {
  const address = await resolveDaemonAddress({
    cwd: io.cwd,
    env: io.env,
    ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
  });
  return new ApiClient({ ...address, user: currentUser(io.env) });
}

export class ApiClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #user: string;

  constructor(options: ApiClientOptions) {
    this.url = options.url;
    this.#token = options.token;
    this.#user = options.user;
  }

  // reads
  healthz = () => this.#json<{ ok: boolean; version: string; pid: number }>('GET', '/v1/healthz');
  services = async () =>
    (await this.#json<{ services: ServiceSummary[] }>('GET', '/v1/services')).services;
  status = (key: ServiceEnv) => this.#json<ServiceStatus>('GET', `${base(key)}/status`);
  history = (key: ServiceEnv, limit?: number) =>
    this.#json<HistoryEntry[]>('GET', `${base(key)}/history${query({ limit })}`);
  lockStatus = async (key: ServiceEnv) =>
    (await this.#json<{ lock: LockInfo | null }>('GET', `${base(key)}/lock`)).lock;
  logs = async (key: ServiceEnv, options: { instance?: string; tail?: number }) =>
    (
      await this.#json<{ lines: { instanceId: string; line: string }[] }>(
        'GET',
        `${base(key)}/logs${query(options)}`,
      )
    ).lines;

  // changes
  deploy = (request: Omit<DeployRequest, 'requestedBy'>) =>
    this.#json<RolloutView>('POST', `${base(request)}/deploy`, {
      version: request.version,
      spec: request.spec,
      requestedBy: this.#user,
    });
  promote = (key: ServiceEnv, full: boolean) =>
    this.#json<RolloutView>('POST', `${base(key)}/promote`, { full });
  pause = (key: ServiceEnv) => this.#json<RolloutView>('POST', `${base(key)}/pause`, {});
  resume = (key: ServiceEnv) => this.#json<RolloutView>('POST', `${base(key)}/resume`, {});
  abort = (key: ServiceEnv) => this.#json<RolloutView>('POST', `${base(key)}/abort`, {});
  rollback = (key: ServiceEnv, to?: number) =>
    this.#json<RolloutView>('POST', `${base(key)}/rollback`, to === undefined ? {} : { to });
  traffic = (key: ServiceEnv, weights: readonly PoolWeight[]) =>
    this.#json<ServiceStatus>('POST', `${base(key)}/traffic`, { weights });
  scale = (key: ServiceEnv, replicas: number) =>
    this.#json<ServiceStatus>('POST', `${base(key)}/scale`, { replicas });
  cleanup = (key: ServiceEnv, apply: boolean) =>
    this.#json<CleanupPlan>('POST', `${base(key)}/cleanup`, { apply });
  lockRelease = async (key: ServiceEnv, force: boolean) =>
    (
      await this.#json<{ released: LockInfo | null }>(
        'DELETE',
        `${base(key)}/lock${query({ force })}`,
      )
    ).released;
  shutdown = () => this.#json<{ stopping: boolean; pid: number }>('POST', '/v1/shutdown', {});

  /** Events (Server-Sent Events) until the signal aborts or the daemon goes away. */
  async *events(
    filter: Partial<ServiceEnv> & { readonly after?: number; readonly signal: AbortSignal },
  ): AsyncGenerator<StoredEvent> {
    const path = `/v1/events${query({ service: filter.service, env: filter.environment, after: filter.after })}`;
    const body = await this.#open(path, filter.signal);
    try {
      for await (const message of parseSse(body)) {
        if (message.event === 'error') throw fromBody(JSON.parse(message.data), 500);
        yield JSON.parse(message.data) as StoredEvent;
      }
    } catch (error) {
      if (!filter.signal.aborted) throw error;
    }
  }

  /** `logs -f`: lines as they are written, until the signal aborts. */
  async *followLogs(
    key: ServiceEnv,
    options: { readonly instance?: string; readonly tail?: number; readonly signal: AbortSignal },
  ): AsyncGenerator<{ instanceId: string; line: string }> {
    const path = `${base(key)}/logs${query({ instance: options.instance, tail: options.tail, follow: true })}`;
    const body = await this.#open(path, options.signal);
    try {
      for await (const line of splitLines(body))
        yield JSON.parse(line) as { instanceId: string; line: string };
    } catch (error) {
      if (!options.signal.aborted) throw error;
    }
  }

  async #open(path: string, signal: AbortSignal): Promise<Dispatcher.ResponseData['body']> {
    const response = await this.#send('GET', path, undefined, signal);
    if (response.statusCode >= 400) throw await errorOf(response);
    return response.body;
  }

  async #json<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    if (response.statusCode >= 400) throw await errorOf(response);
    return (await response.body.json()) as T;
  }

  async #send(method: Method, path: string, body: unknown, signal?: AbortSignal) {
    const headers: Record<string, string> = { 'x-switchyard-user': this.#user };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await request(`${this.url}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        ...(signal && { signal }),
      });
    } catch (error) {
      const code =
        (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (code !== undefined && NOT_LISTENING.has(code)) throw notRunning(error);
      if (signal?.aborted) throw error;
      throw new SwitchyardError(
        'API_FAILED',
        `The Switchyard daemon at ${this.url} could not be reached: ${(error as Error).message}.`,
        { cause: error },
      );
    }
  }
}

function base(key: ServiceEnv): string {
  return `/v1/services/${encodeURIComponent(key.service)}/${encodeURIComponent(key.environment)}`;
}

function query(values: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

async function errorOf(response: Dispatcher.ResponseData): Promise<SwitchyardError> {
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return fromBody(parsed, response.statusCode, text);
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'API_BAD_REQUEST',
  401: 'API_UNAUTHORIZED',
  404: 'API_NOT_FOUND',
  409: 'API_CONFLICT',
};

/** The server's error, with its own code when this CLI knows it; otherwise one chosen by status. */
function fromBody(parsed: unknown, status: number, text = ''): SwitchyardError {
  const error = (
    parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined
  )?.error;
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `The Switchyard daemon answered ${status}: ${text.slice(0, 200) || 'no body'}.`;
  const details = Array.isArray(error?.details) ? error.details.map(String) : [];
  const code =
    typeof error?.code === 'string' && error.code in ErrorCodes
      ? (error.code as ErrorCode)
      : (STATUS_CODES[status] ?? 'API_FAILED');
  if (code === 'API_UNAUTHORIZED') {
    return new SwitchyardError(
      code,
      'The Switchyard daemon refused the token. Use the token in .switchyard/token, or set SWITCHYARD_TOKEN to it.',
    );
  }
  return new SwitchyardError(code, message, { details });
}
