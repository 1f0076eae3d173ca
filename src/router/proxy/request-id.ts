import { randomBytes } from 'node:crypto';

/**
 * Request ids: a random per-process prefix and a counter. Unique enough to
 * follow one request through logs, and costs one string concat per request.
 */
const prefix = randomBytes(6).toString('hex');
let counter = 0;

export function nextRequestId(): string {
  counter = counter >= Number.MAX_SAFE_INTEGER ? 0 : counter + 1;
  return `${prefix}-${counter.toString(36)}`;
}

const MAX_LENGTH = 128;

/** An incoming id is kept when it is 1..128 of [A-Za-z0-9._:-] (safe to log and echo). */
export function isWellFormedRequestId(value: string): boolean {
  if (value.length === 0 || value.length > MAX_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) /* 0-9 : */ ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 45 /* - */ ||
      c === 46 /* . */ ||
      c === 95; /* _ */
    if (!ok) return false;
  }
  return true;
}
