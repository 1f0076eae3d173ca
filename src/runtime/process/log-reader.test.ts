import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineSplitter, readLogLines } from './log-reader.ts';
import { RotatingLogFile, rotatedPath } from './rotating-log-file.ts';

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe('LineSplitter', () => {
  it('returns whole lines and holds a partial one until its newline comes', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from('one\ntw'))).toEqual(['one']);
    expect(splitter.push(Buffer.from('o\n\nthr'))).toEqual(['two', '']);
    expect(splitter.flush()).toEqual(['thr']);
    expect(splitter.flush()).toEqual([]);
  });

  it('does not split a multi-byte character cut between two chunks', () => {
    const bytes = Buffer.from('héllo\n');
    const splitter = new LineSplitter();
    expect(splitter.push(bytes.subarray(0, 2))).toEqual([]);
    expect(splitter.push(bytes.subarray(2))).toEqual(['héllo']);
  });
});

describe('readLogLines', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-log-reader-'));
    path = join(dir, 'app.log');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the rotated file first, then the current one, and a last line without newline', async () => {
    await writeFile(rotatedPath(path), 'a\nb\n');
    await writeFile(path, 'c\nd');
    expect(await collect(readLogLines(path))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('tails the last lines across both files', async () => {
    await writeFile(rotatedPath(path), 'a\nb\n');
    await writeFile(path, 'c\n');
    expect(await collect(readLogLines(path, { tail: 2 }))).toEqual(['b', 'c']);
    expect(await collect(readLogLines(path, { tail: 0 }))).toEqual([]);
  });

  it('reads nothing from a log that does not exist yet', async () => {
    expect(await collect(readLogLines(path))).toEqual([]);
  });

  it('follows appended lines across a rotation until aborted', async () => {
    const log = new RotatingLogFile({ path, maxBytes: 20 });
    log.write(Buffer.from('first\n'));
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const line of readLogLines(path, { follow: true, signal: abort.signal })) {
      seen.push(line);
      if (line === 'first') {
        // Written after the reader has read what was there; 3 lines of 10
        // bytes with a 20-byte cap force a rotation in the middle.
        log.write(Buffer.from('second...\n'));
        log.write(Buffer.from('third....\n'));
        log.write(Buffer.from('fourth...\n'));
      }
      if (line === 'fourth...') abort.abort();
    }
    log.close();
    expect(seen).toEqual(['first', 'second...', 'third....', 'fourth...']);
  });

  it('a follow that is aborted while waiting ends', async () => {
    await appendFile(path, 'only\n');
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const line of readLogLines(path, { follow: true, signal: abort.signal })) {
      seen.push(line);
      abort.abort();
    }
    expect(seen).toEqual(['only']);
  });
});
