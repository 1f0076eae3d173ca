/**
 * A bearer-token file (the router's admin token, the daemon's API token):
 * created once with mode 0600, then reused. It appears with its content in
 * one step (written aside, then hard-linked into place), so a reader never
 * sees it empty; `link` fails if it exists, which makes two processes racing
 * to create it agree on one token.
 */
import { randomBytes } from 'node:crypto';
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
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(aside, `${token}\n`, { mode: 0o600, flag: 'wx' });
    // If another process put one in place meanwhile, keep theirs.
    await fs.link(aside, file);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await fs.readFile(file, 'utf8')).trim();
  } finally {
    await fs.rm(aside, { force: true });
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
