/**
 * Merges the log streams of several instances into one, each line tagged
 * with its instance, in the order lines arrive (with `follow`, until the
 * signal aborts and every stream ends).
 */
import type { InstanceLogLine } from './control-plane.ts';

export async function* mergeLogs(
  sources: readonly { readonly instanceId: string; readonly lines: AsyncIterable<string> }[],
): AsyncIterable<InstanceLogLine> {
  const streams = sources.map((source) => ({
    instanceId: source.instanceId,
    lines: source.lines[Symbol.asyncIterator](),
  }));
  type Stream = (typeof streams)[number];
  const next = (stream: Stream) => stream.lines.next().then((result) => ({ stream, result }));
  const pending = new Map(streams.map((stream) => [stream, next(stream)]));
  while (pending.size > 0) {
    const { stream, result } = await Promise.race(pending.values());
    if (result.done === true) {
      pending.delete(stream);
      continue;
    }
    pending.set(stream, next(stream));
    yield { instanceId: stream.instanceId, line: result.value };
  }
}
