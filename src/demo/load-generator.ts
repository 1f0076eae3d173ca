/**
 * A small, bounded load generator: steady traffic through the router while a
 * deploy happens, counting every failure and which version answered. Used by
 * the demo and by the zero-downtime system tests. Half the workers reuse
 * keep-alive connections, half open a new connection per request, because
 * both kinds of client must survive a switch. With `slowEvery`, a share of
 * the requests ask the app to take its time (`?delay=`), so some requests are
 * always in flight when traffic moves.
 */
import http from 'node:http';

export interface LoadOptions {
  readonly url: string;
  /** Concurrent request loops. */
  readonly concurrency: number;
  /** Hard bounds: the generator stops at whichever comes first. */
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  /** Pause between requests of one loop, to keep the rate modest. */
  readonly pauseMs?: number;
  /** Every `slowEvery`-th request asks for a slow answer (`?delay=slowMs`). */
  readonly slowEvery?: number;
  /** How slow a slow request is. Default 300 ms. */
  readonly slowMs?: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly failures: readonly string[];
  /** Responses per version, from the app's JSON `version` field. */
  readonly byVersion: Readonly<Record<string, number>>;
  /** The version of the most recent successful response. */
  readonly lastVersion: string | undefined;
  /** Requests sent but not answered yet. */
  readonly inFlight: number;
  /** Sequence number (1-based, in sending order) of the oldest request still in flight. */
  readonly oldestInFlight: number | undefined;
}

export interface LoadRun {
  /** Live counters while the load runs. */
  snapshot(): LoadResult;
  /** Ask the loops to finish their current request and stop. */
  stop(): void;
  readonly done: Promise<LoadResult>;
}

export function startLoad(options: LoadOptions): LoadRun {
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const byVersion: Record<string, number> = {};
  const failures: string[] = [];
  let sent = 0;
  let ok = 0;
  let lastVersion: string | undefined;
  let stopped = false;
  const pending = new Set<number>();
  const slowUrl = new URL(options.url);
  slowUrl.searchParams.set('delay', String(options.slowMs ?? 300));
  const deadline = Date.now() + options.maxDurationMs;

  const snapshot = (): LoadResult => ({
    sent,
    ok,
    failed: failures.length,
    failures: [...failures],
    byVersion: { ...byVersion },
    lastVersion,
    inFlight: pending.size,
    oldestInFlight: pending.size === 0 ? undefined : Math.min(...pending),
  });

  const loop = async (worker: number): Promise<void> => {
    const agent = worker % 2 === 0 ? keepAlive : false;
    while (!stopped && sent < options.maxRequests && Date.now() < deadline) {
      sent += 1;
      const seq = sent;
      const slow = options.slowEvery !== undefined && seq % options.slowEvery === 0;
      pending.add(seq);
      const outcome = await getOnce(slow ? slowUrl.href : options.url, agent);
      pending.delete(seq);
      if (outcome.status >= 200 && outcome.status < 300) {
        ok += 1;
        const version = outcome.version ?? 'unknown';
        byVersion[version] = (byVersion[version] ?? 0) + 1;
        lastVersion = version;
      } else {
        // An answer from the app says which version failed (a bad canary's own 500s).
        const from = outcome.version === undefined ? '' : ` from ${outcome.version}`;
        failures.push(outcome.error ?? `HTTP ${outcome.status}${from}`);
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };

  const done = Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i))).then(
    () => {
      keepAlive.destroy();
      return snapshot();
    },
  );

  return {
    snapshot,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

interface Outcome {
  readonly status: number;
  readonly version?: string;
  readonly error?: string;
}

function getOnce(url: string, agent: http.Agent | false): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent, timeout: 15_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, version: parseVersion(body) }),
      );
      response.on('error', (error) => resolve({ status: 0, error: `response: ${error.message}` }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out after 15s')));
    request.on('error', (error) => resolve({ status: 0, error: error.message }));
  });
}

function parseVersion(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
