import http from 'node:http';
import type { Scheduler } from './scheduler.ts';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly timeoutMs: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Why, in a few words: "status 204", "status 302 (redirects are not healthy)", "timeout after 500ms", "ECONNREFUSED". */
  readonly detail: string;
}

export interface ProbeOptions {
  readonly agent: http.Agent;
  readonly scheduler: Scheduler;
  /** Aborts the probe when the instance leaves the config. */
  readonly signal?: AbortSignal;
}

/**
 * One active health check: GET the path, healthy on any 2xx. Redirects are not
 * followed and do not count as healthy (DESIGN.md). Never rejects.
 *
 * The keep-alive agent may hand out a pooled socket the instance closed a
 * moment ago; that ECONNRESET says nothing about the instance, so the probe
 * is retried once on a fresh socket (the pattern Node's docs recommend).
 */
export async function probeInstance(
  target: ProbeTarget,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const first = await attempt(target, options);
  if (first.staleSocket) return (await attempt(target, options)).result;
  return first.result;
}

interface Attempt {
  readonly result: ProbeResult;
  readonly staleSocket: boolean;
}

function attempt(target: ProbeTarget, options: ProbeOptions): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult, staleSocket = false): void => {
      if (settled) return;
      settled = true;
      options.scheduler.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ result, staleSocket });
    };

    const request = http.request({
      host: target.host,
      port: target.port,
      path: target.path,
      method: 'GET',
      agent: options.agent,
      headers: { 'user-agent': 'switchyard-health-check', accept: '*/*' },
    });
    const timer = options.scheduler.setTimeout(() => {
      finish({ ok: false, detail: `timeout after ${target.timeoutMs}ms` });
      request.destroy();
    }, target.timeoutMs);
    const onAbort = (): void => {
      finish({ ok: false, detail: 'aborted' });
      request.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      // Drain the body so the socket goes back to the pool; the verdict is the status.
      response.resume();
      response.on('end', () => finish(verdict(status)));
      response.on('error', (error) => finish({ ok: false, detail: describe(error) }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      finish(
        { ok: false, detail: describe(error) },
        request.reusedSocket && error.code === 'ECONNRESET',
      );
    });
    request.end();
  });
}

function verdict(status: number): ProbeResult {
  if (status >= 200 && status < 300) return { ok: true, detail: `status ${status}` };
  if (status >= 300 && status < 400)
    return { ok: false, detail: `status ${status} (redirects are not healthy)` };
  return { ok: false, detail: `status ${status}` };
}

function describe(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}
