/**
 * Merges the log streams of several instances into one, each line tagged
 * with its instance, in the order lines arrive (with `follow`, until the
 * signal aborts and every stream ends).
 */
export async function* mergeLogs(
  sources: readonly { readonly instanceId: string; readonly lines: AsyncIterable<string> }[],
): AsyncIterable<{ readonly instanceId: string; readonly line: string }> {
  const iterators = sources.map((s) => ({ id: s.instanceId, it: s.lines[Symbol.asyncIterator]() }));
  const next = (index: number) =>
    (iterators[index] as (typeof iterators)[number]).it
      .next()
      .then((result) => ({ index, result }));
  const pending = new Map(iterators.map((_, index) => [index, next(index)]));
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done === true) {
      pending.delete(index);
      continue;
    }
    pending.set(index, next(index));
    yield { instanceId: (iterators[index] as (typeof iterators)[number]).id, line: result.value };
  }
}
