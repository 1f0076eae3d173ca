import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new admin token: 32 random bytes, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Checks an Authorization header against the token in constant time.
 * Both sides are hashed first so the compare takes the same time whatever
 * the length of what the caller sent.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const sent = createHash('sha256').update(header.slice('Bearer '.length)).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(sent, expected);
}
