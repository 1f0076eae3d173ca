/**
 * The engine's log stream for a container without a TTY (all of
 * Switchyard's) is multiplexed: each frame is an 8-byte header — stream
 * (1 stdout, 2 stderr), three zero bytes, the payload's length as a 32-bit
 * big-endian number — then the payload. A frame can be split across reads,
 * and a line across frames, so both are reassembled here, one line buffer
 * per stream so stdout and stderr never mix inside a line.
 */
import { LineSplitter } from '../line-splitter.ts';

const HEADER_BYTES = 8;

export type LogStream = 'stdout' | 'stderr';

export interface LogFrame {
  readonly stream: LogStream;
  readonly payload: Buffer;
}

/** Splits the raw stream into frames, holding back a partial one. */
export class FrameDecoder {
  #held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    let data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const frames: LogFrame[] = [];
    while (data.length >= HEADER_BYTES) {
      const length = data.readUInt32BE(4);
      if (data.length < HEADER_BYTES + length) break;
      // 0 is stdin, which an engine never sends back; count it with stdout.
      const stream: LogStream = data[0] === 2 ? 'stderr' : 'stdout';
      frames.push({
        stream,
        payload: Buffer.from(data.subarray(HEADER_BYTES, HEADER_BYTES + length)),
      });
      data = data.subarray(HEADER_BYTES + length);
    }
    this.#held = Buffer.from(data);
    return frames;
  }
}

/** Raw multiplexed bytes in, whole lines out, in the order their last byte arrived. */
export class LogLineDecoder {
  readonly #frames = new FrameDecoder();
  readonly #lines: Record<LogStream, LineSplitter> = {
    stdout: new LineSplitter(),
    stderr: new LineSplitter(),
  };

  push(chunk: Buffer): string[] {
    return this.#frames
      .push(chunk)
      .flatMap((frame) => this.#lines[frame.stream].push(frame.payload));
  }

  /** Partial lines left when the stream ends: stdout's, then stderr's. */
  flush(): string[] {
    return [...this.#lines.stdout.flush(), ...this.#lines.stderr.flush()];
  }
}

/** Every line of a whole multiplexed buffer (a log read without follow). */
export function decodeLogBuffer(buffer: Buffer): string[] {
  const decoder = new LogLineDecoder();
  return [...decoder.push(buffer), ...decoder.flush()];
}
