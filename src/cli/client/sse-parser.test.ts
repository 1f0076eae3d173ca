import { describe, expect, it } from 'vitest';
import { parseSse, splitLines } from './sse-parser.ts';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  yield* parts;
}

describe('parseSse', () => {
  it('reads messages split anywhere across chunks, skipping comments', async () => {
    const text = ': hello\n\nid: 1\ndata: {"a":1}\n\nid: 2\r\nevent: error\r\ndata: x\r\n\r\n';
    const split = [text.slice(0, 13), Buffer.from(text.slice(13, 30)), text.slice(30)];
    expect(await collect(parseSse(chunks(...split)))).toEqual([
      { id: '1', event: 'message', data: '{"a":1}' },
      { id: '2', event: 'error', data: 'x' },
    ]);
  });

  it('drops a message the stream ends before finishing', async () => {
    expect(await collect(parseSse(chunks('id: 1\ndata: x\n')))).toEqual([]);
  });
});

describe('splitLines', () => {
  it('yields non-blank lines, and the last one without a newline', async () => {
    expect(await collect(splitLines(chunks('{"a"', ':1}\n\n{"b":2}\n{"c"', ':3}')))).toEqual([
      '{"a":1}',
      '{"b":2}',
      '{"c":3}',
    ]);
  });
});
