/**
 * Writing a streamed answer on a hijacked fastify reply: Server-Sent Events
 * (`id:` is the event id, so a client that reconnects sends Last-Event-ID and
 * resumes), or JSON lines. A comment line every few seconds keeps idle
 * proxies from closing the connection and tells us early when the client left.
 */
import type { FastifyReply } from 'fastify';

export interface StreamWriter {
  /** Aborts when the client goes away or the server closes. */
  readonly signal: AbortSignal;
  write(chunk: string): void;
  end(): void;
}

export interface SseMessage {
  readonly id?: number;
  readonly event?: string;
  readonly data: unknown;
}

export const HEARTBEAT_MS = 15_000;

export function sseFrame(message: SseMessage): string {
  let frame = '';
  if (message.id !== undefined) frame += `id: ${message.id}\n`;
  if (message.event !== undefined) frame += `event: ${message.event}\n`;
  // JSON.stringify never emits a raw newline, so the data is one `data:` line.
  frame += `data: ${JSON.stringify(message.data)}\n\n`;
  return frame;
}

export function openStream(options: {
  readonly reply: FastifyReply;
  readonly contentType: 'text/event-stream' | 'application/x-ndjson';
  /** Aborts the stream when the server shuts down. */
  readonly serverSignal: AbortSignal;
}): StreamWriter {
  const { reply } = options;
  const abort = new AbortController();
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    'content-type': `${options.contentType}; charset=utf-8`,
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  const stop = () => abort.abort();
  res.once('close', stop);
  options.serverSignal.addEventListener('abort', stop, { once: true });
  const heartbeat =
    options.contentType === 'text/event-stream'
      ? setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
      : undefined;
  heartbeat?.unref();
  return {
    signal: abort.signal,
    write(chunk) {
      if (!res.writableEnded) res.write(chunk);
    },
    end() {
      clearInterval(heartbeat);
      options.serverSignal.removeEventListener('abort', stop);
      if (!res.writableEnded) res.end();
    },
  };
}
