/**
 * Plain HTTP/1.1 requests for the conformance tests, one connection each
 * (no agent), so a test never leaves a keep-alive socket that would hold an
 * instance open while it drains.
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface InFlightRequest {
  /** Resolves when the response headers have arrived: the request is being served. */
  readonly headers: Promise<IncomingMessage>;
  /** Resolves with the whole response. */
  readonly response: Promise<HttpResponse>;
}

export function startRequest(url: string): InFlightRequest {
  let resolveHeaders: (message: IncomingMessage) => void = () => undefined;
  const headers = new Promise<IncomingMessage>((resolve) => (resolveHeaders = resolve));
  const response = new Promise<HttpResponse>((resolve, reject) => {
    const outgoing = request(url, { agent: false }, (incoming) => {
      resolveHeaders(incoming);
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
  // The caller may only await `response`; a failure then shows there.
  headers.catch(() => undefined);
  return { headers, response };
}

export function httpGet(url: string): Promise<HttpResponse> {
  return startRequest(url).response;
}

/** Polls until `url` answers 200; the test's own timeout bounds the wait. */
export async function waitForHttpOk(url: string): Promise<void> {
  for (;;) {
    const status = await httpGet(url).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(50);
  }
}
