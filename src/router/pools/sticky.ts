import { randomUUID } from 'node:crypto';
import { STICKY_COOKIE } from '../config.ts';

/**
 * Sticky assignment. The cookie holds a random client id, never a pool name:
 * the pool is a pure function of (id, weights), see weight-table.ts. So the
 * router keeps no per-client state, and a pool whose weight drops to 0 owns
 * no range and its sticky clients move to a pool that still takes traffic.
 */

const COOKIE_PREFIX = `${STICKY_COOKIE}=`;
const MAX_ID_LENGTH = 64;
const TWO_TO_32 = 4294967296;

export function newClientId(): string {
  return randomUUID();
}

export function stickyCookieHeader(clientId: string): string {
  return `${COOKIE_PREFIX}${clientId}; Path=/; HttpOnly; SameSite=Lax`;
}

/**
 * The client id in a Cookie header, or undefined. Hand-written scan (no regex,
 * no split) because it runs on every request of a sticky service.
 */
export function clientIdFromCookie(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  let from = 0;
  for (;;) {
    const at = cookie.indexOf(COOKIE_PREFIX, from);
    if (at < 0) return undefined;
    const before = at === 0 ? 32 : cookie.charCodeAt(at - 1);
    if (before === 32 /* space */ || before === 59 /* ; */ || before === 9 /* tab */) {
      const start = at + COOKIE_PREFIX.length;
      let end = cookie.indexOf(';', start);
      if (end < 0) end = cookie.length;
      return isWellFormedId(cookie, start, end) ? cookie.slice(start, end) : undefined;
    }
    from = at + 1;
  }
}

function isWellFormedId(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_ID_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/**
 * Hashes a client id to a point in [0, 1): FNV-1a over the characters, then
 * murmur3's finaliser so that ids differing in one character spread over the
 * whole range (plain FNV-1a is weak in its high bits for short inputs).
 */
export function clientPoint(clientId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < clientId.length; i++) {
    h ^= clientId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / TWO_TO_32;
}
