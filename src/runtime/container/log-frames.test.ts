import { describe, expect, it } from 'vitest';
import { decodeLogBuffer, FrameDecoder, LogLineDecoder } from './log-frames.ts';

/** One multiplexed frame: stream byte, three zeros, big-endian length, payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDecoder', () => {
  it('reads frames of both streams, however the bytes are split', () => {
    const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
    for (let size = 1; size <= bytes.length; size++) {
      const decoder = new FrameDecoder();
      const frames = [];
      for (let at = 0; at < bytes.length; at += size) {
        frames.push(...decoder.push(bytes.subarray(at, at + size)));
      }
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
        ['stdout', 'out\n'],
        ['stderr', 'err\n'],
        ['stdout', ''],
      ]);
    }
  });
});

describe('LogLineDecoder', () => {
  it('joins a line split across frames, and keeps stdout and stderr lines apart', () => {
    const decoder = new LogLineDecoder();
    expect(decoder.push(frame(1, 'hel'))).toEqual([]);
    expect(decoder.push(frame(2, 'an error\n'))).toEqual(['an error']);
    expect(decoder.push(frame(1, 'lo\nwor'))).toEqual(['hello']);
    expect(decoder.push(frame(1, 'ld\n'))).toEqual(['world']);
  });

  it('gives the partial lines left at the end', () => {
    const decoder = new LogLineDecoder();
    decoder.push(Buffer.concat([frame(1, 'no newline'), frame(2, 'nor here')]));
    expect(decoder.flush()).toEqual(['no newline', 'nor here']);
  });

  it('decodes a whole buffer, as a log read without follow returns it', () => {
    const buffer = Buffer.concat([frame(1, 'line 1\nline 2\n'), frame(2, 'on-stderr\n')]);
    expect(decodeLogBuffer(buffer)).toEqual(['line 1', 'line 2', 'on-stderr']);
    expect(decodeLogBuffer(Buffer.alloc(0))).toEqual([]);
  });
});
