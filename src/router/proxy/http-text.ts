/** Small text helpers shared by the router's request and response parsing (RFC 9110 §5.6). */

/** `text` from `start` to `end`, without the spaces and tabs around it (OWS). */
export function trimOws(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
  return text.slice(from, to);
}

/** `token` appears as a whole element of a comma-separated, lower-cased list. */
export function hasToken(list: string, token: string): boolean {
  if (list === token) return true;
  for (const part of list.split(',')) if (part.trim() === token) return true;
  return false;
}
