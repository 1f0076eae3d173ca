import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLogFile, rotatedPath } from './rotating-log-file.ts';

describe('RotatingLogFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-rotating-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const line = (n: number) => Buffer.from(`line ${n} `.padEnd(39, '.') + '\n'); // 40 bytes

  it('rotates to .1 when the next write would pass the cap, keeping the newest lines', async () => {
    const path = join(dir, 'app.log');
    const log = new RotatingLogFile({ path, maxBytes: 100 });
    for (let n = 1; n <= 7; n++) log.write(line(n));
    log.close();

    // 40+40 fit, the third would make 120: rotate. Files: [5,6] in .1 and [7] current.
    expect(await readFile(rotatedPath(path), 'utf8')).toBe(`${line(5)}${line(6)}`);
    expect(await readFile(path, 'utf8')).toBe(`${line(7)}`);
  });

  it('keeps both files within the cap when every write is smaller than it', async () => {
    const path = join(dir, 'app.log');
    const log = new RotatingLogFile({ path, maxBytes: 1000 });
    for (let n = 1; n <= 500; n++) log.write(line(n));
    log.close();

    expect((await stat(path)).size).toBeLessThanOrEqual(1000);
    expect((await stat(rotatedPath(path))).size).toBeLessThanOrEqual(1000);
  });

  it('continues an existing file and counts what it already holds', async () => {
    const path = join(dir, 'app.log');
    const first = new RotatingLogFile({ path, maxBytes: 100 });
    first.write(line(1));
    first.write(line(2));
    first.close();
    const second = new RotatingLogFile({ path, maxBytes: 100 });
    second.write(line(3));
    second.close();

    expect(await readFile(rotatedPath(path), 'utf8')).toBe(`${line(1)}${line(2)}`);
    expect(await readFile(path, 'utf8')).toBe(`${line(3)}`);
  });

  it('refuses a cap that is not a positive number', () => {
    expect(() => new RotatingLogFile({ path: join(dir, 'x.log'), maxBytes: 0 })).toThrow(
      RangeError,
    );
  });
});
