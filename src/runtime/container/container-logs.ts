/**
 * A container's log through the engine's API as lines: the last N (`tail`),
 * or everything, then, with `follow`, each new line until the signal aborts
 * or the container ends. The engine keeps what the container wrote as it
 * was; every line comes out with the `secrets` values masked.
 */
import type { LogOptions } from '../runtime.ts';
import { maskValues } from '../secret-mask.ts';
import type { ContainerEngine } from './container-engine.ts';
import { decodeLogBuffer, LogLineDecoder } from './log-frames.ts';

export async function* readContainerLogs(
  engine: ContainerEngine,
  containerId: string,
  options: LogOptions,
  secrets: readonly string[],
): AsyncGenerator<string> {
  for await (const line of rawLines(engine, containerId, options)) yield maskValues(line, secrets);
}

async function* rawLines(
  engine: ContainerEngine,
  containerId: string,
  options: LogOptions,
): AsyncGenerator<string> {
  if (options.tail === 0 && !options.follow) return;
  const tail = options.tail === undefined ? {} : { tail: options.tail };
  if (!options.follow) {
    const buffer = await engine.logBuffer(containerId, tail);
    if (buffer !== undefined) yield* decodeLogBuffer(buffer);
    return;
  }
  const signal = options.signal;
  if (signal?.aborted) return;
  const stream = await engine.logStream(containerId, {
    ...tail,
    ...(signal !== undefined && { signal }),
  });
  if (stream === undefined) return;
  const decoder = new LogLineDecoder();
  try {
    for await (const chunk of stream) {
      yield* decoder.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    }
  } catch (error) {
    // The caller's abort ends the request: that is the end of the log, not a failure.
    if (!signal?.aborted) throw error;
    return;
  } finally {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
  yield* decoder.flush();
}
