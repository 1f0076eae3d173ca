import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOrCreateToken, readToken } from './token-file.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

async function tokenPath(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sy-token-'));
  dirs.push(dir);
  return path.join(dir, 'token');
}

describe('token file', () => {
  it('creates a 0600 token once and reuses it', async () => {
    const file = await tokenPath();
    const token = await readOrCreateToken(file);
    expect(token.length).toBeGreaterThan(20);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await readOrCreateToken(file)).toBe(token);
    expect(await readToken(file)).toBe(token);
  });

  it('gives racing creators one token, never an empty file, and leaves nothing aside', async () => {
    const file = await tokenPath();
    const seen: (string | undefined)[] = [];
    const creators = Array.from({ length: 20 }, () => readOrCreateToken(file));
    // Readers racing the creators see no file or the whole token, never an empty one.
    for (let i = 0; i < 20; i++) {
      seen.push(await readToken(file));
      await fs.readFile(file, 'utf8').then(
        (text) => expect(text.trim()).not.toBe(''),
        () => undefined,
      );
    }
    const tokens = await Promise.all(creators);
    expect(new Set(tokens).size).toBe(1);
    expect(seen.filter((t) => t !== undefined && t !== tokens[0])).toEqual([]);
    expect(await fs.readdir(path.dirname(file))).toEqual(['token']);
  });
});
