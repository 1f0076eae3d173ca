import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../secret-mask.ts';
import { LineBufferedWriter, MAX_HELD_BYTES } from './line-buffered-writer.ts';

const SECRET = 's3cret-token';

function collect(): { log: { write(data: Buffer): void }; text: () => string } {
  const parts: Buffer[] = [];
  return {
    log: { write: (data: Buffer) => parts.push(Buffer.from(data)) },
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

describe('LineBufferedWriter', () => {
  it('masks a secret split across two reads of one line', () => {
    const { log, text } = collect();
    const writer = new LineBufferedWriter(log, [SECRET]);
    writer.push(Buffer.from('token=s3cr'));
    writer.push(Buffer.from('et-token done\n'));
    expect(text()).toBe(`token=${SECRET_MASK} done\n`);
  });

  it('cuts a line longer than it holds where no secret is cut: one ending the first read, one across the cut', () => {
    const { log, text } = collect();
    const writer = new LineBufferedWriter(log, [SECRET]);
    const filler = 'x'.repeat(MAX_HELD_BYTES + 10);
    // The first read ends inside the secret, beyond the hold limit.
    writer.push(Buffer.from(`${filler}s3cr`));
    writer.push(Buffer.from(`et-token ${'y'.repeat(MAX_HELD_BYTES - 5)}${SECRET} end\n`));
    writer.flush();
    const written = text();
    expect(written).not.toContain('s3cr');
    expect(written.split(SECRET_MASK)).toHaveLength(3);
    // Nothing else lost or added but the line breaks of the cuts.
    expect(written.replaceAll('\n', '')).toBe(
      `${filler}${SECRET_MASK} ${'y'.repeat(MAX_HELD_BYTES - 5)}${SECRET_MASK} end`,
    );
  });
});
