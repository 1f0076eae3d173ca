import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { refusedUrl, useLoopbackServers } from '../../../test/support/loopback-server.ts';
import { callWebhook, type WebhookPayload } from './webhook.ts';

const payload: WebhookPayload = {
  service: 'shop',
  environment: 'live',
  revision: 7,
  version: '2.4.1',
  pool: 'canary',
  stablePool: 'stable',
  template: 'smoke',
  metricIndex: 2,
};

interface Received {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

const serve = useLoopbackServers();

/** A real HTTP receiver on a loopback port that records what it got and answers as told. */
async function receiver(
  answer: (response: http.ServerResponse) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const base = await serve((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({
        method: request.method!,
        contentType: request.headers['content-type'],
        body,
      });
      answer(response);
    });
  });
  return { url: `${base}/check`, received };
}

describe('callWebhook', () => {
  it('POSTs the rollout as JSON and passes on a 2xx', async () => {
    const { url, received } = await receiver((response) => response.writeHead(204).end());
    expect(await callWebhook({ url, payload })).toEqual({
      kind: 'pass',
      pass: true,
      detail: `the webhook ${url} answered 204`,
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe('POST');
    expect(received[0]!.contentType).toBe('application/json');
    // The payload as it is: every field, nothing added.
    expect(JSON.parse(received[0]!.body)).toStrictEqual(payload);
  });

  it('sends a null stablePool when there is none', async () => {
    const { url, received } = await receiver((response) => response.end('ok'));
    const observation = await callWebhook({ url, payload: { ...payload, stablePool: null } });
    expect(observation).toMatchObject({ kind: 'pass', pass: true });
    expect(JSON.parse(received[0]!.body).stablePool).toBeNull();
  });

  it('fails on a 500 with the status and the start of the body', async () => {
    const { url } = await receiver((response) =>
      response.writeHead(500).end(`database down\n${'x'.repeat(5000)}`),
    );
    const observation = await callWebhook({ url, payload });
    expect(observation).toMatchObject({ kind: 'pass', pass: false });
    const { detail } = observation as { detail: string };
    expect(detail).toMatch(new RegExp(`^the webhook ${url} answered 500: "database down x+…"$`));
    expect(detail.length).toBeLessThan(300);
  });

  it('fails on a 2xx whose JSON says "pass": false', async () => {
    const { url } = await receiver((response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"pass":false}'),
    );
    expect(await callWebhook({ url, payload })).toEqual({
      kind: 'pass',
      pass: false,
      detail: `the webhook ${url} answered 200 with "pass": false: "{\\"pass\\":false}"`,
    });
  });

  it('is an error when the webhook does not answer in time', async () => {
    const { url, received } = await receiver(() => undefined); // never answers
    const started = Date.now();
    expect(await callWebhook({ url, payload, timeoutMs: 300 })).toEqual({
      kind: 'error',
      message: `The webhook ${url} timed out after 300ms.`,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it('is an error when nothing listens', async () => {
    const closed = `${await refusedUrl()}/check`;
    expect(await callWebhook({ url: closed, payload })).toEqual({
      kind: 'error',
      message: `Cannot reach the webhook ${closed} (ECONNREFUSED).`,
    });
  });

  it('is an error when the run is cancelled', async () => {
    const { url } = await receiver(() => undefined);
    const controller = new AbortController();
    const pending = callWebhook({ url, payload, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toEqual({ kind: 'error', message: `The webhook ${url} was cancelled.` });
  });
});
