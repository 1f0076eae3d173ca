/**
 * Reads a Server-Sent Events stream (text/event-stream) into messages. Only
 * what our server sends is needed: `id`, `event`, `data` lines, comments, and
 * a blank line ending each message.
 */
export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export async function* parseSse(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<SseEvent> {
  let fields: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const raw of textLines(chunks)) {
    const line = raw.replace(/\r$/, '');
    if (line === '') {
      if (fields.data.length > 0) {
        yield {
          ...(fields.id !== undefined && { id: fields.id }),
          event: fields.event ?? 'message',
          data: fields.data.join('\n'),
        };
      }
      fields = { data: [] };
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') fields.data.push(value);
    else if (name === 'id') fields.id = value;
    else if (name === 'event') fields.event = value;
  }
}

/** Splits a stream of text into lines (for JSON-lines answers). */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  for await (const line of textLines(chunks)) if (line.trim() !== '') yield line;
}

/** Every line of a stream of text, empty ones too, and the last one even without a newline. */
async function* textLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== '') yield buffer;
}
