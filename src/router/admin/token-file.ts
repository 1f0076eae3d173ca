/**
 * A bearer-token file (the router's admin token, the daemon's API token):
 * created once with mode 0600, then reused. `wx` makes two processes racing
 * to create it agree on one token.
 */
import fs from 'node:fs/promises';
import { newToken } from './bearer-token.ts';

export async function readOrCreateToken(file: string): Promise<string> {
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing !== '') return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = newToken();
  try {
    // `wx`: if another process wrote one meanwhile, keep theirs.
    await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await fs.readFile(file, 'utf8')).trim();
  }
}

export async function readToken(file: string): Promise<string | undefined> {
  try {
    const token = (await fs.readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}
