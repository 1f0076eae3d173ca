/**
 * A container's log through the engine's API as lines: the last N (`tail`),
 * or everything, then, with `follow`, each new line until the signal aborts
 * or the container ends.
 */
import type { LogOptions } from '../runtime.ts';
import type { ContainerEngine } from './container-engine.ts';
import { decodeLogBuffer, LogLineDecoder } from './log-frames.ts';

export async function* readContainerLogs(
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
