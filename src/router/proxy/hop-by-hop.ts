/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a
 * proxy drops them in both directions, together with any header the
 * Connection header names. Upgrade requests re-add Connection and Upgrade.
 */

/** Lower-cased names; a switch on the name is cheaper than a Set lookup for these few. */
export function isHopByHop(lowerName: string): boolean {
  switch (lowerName) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return false;
  }
}

/**
 * Whether a header name, in any case, could be hop-by-hop: only names of the
 * lengths above need lower-casing to tell (most response headers do not).
 */
export function mayBeHopByHop(name: string): boolean {
  switch (name.length) {
    case 2: // te
    case 7: // trailer, upgrade
    case 10: // connection, keep-alive
    case 16: // proxy-connection
    case 17: // transfer-encoding
      return true;
    default:
      return false;
  }
}

/**
 * Extra header names a Connection header lists (beyond the usual keep-alive,
 * close and upgrade), lower-cased; null in the common case of none, so most
 * requests allocate nothing here.
 */
export function namedByConnection(rawHeaders: readonly string[]): string[] | null {
  let named: string[] | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    const value = rawHeaders[i + 1] as string;
    let start = 0;
    while (start <= value.length) {
      let end = value.indexOf(',', start);
      if (end < 0) end = value.length;
      const token = value.slice(start, end).trim().toLowerCase();
      if (token !== '' && token !== 'keep-alive' && token !== 'close' && token !== 'upgrade') {
        (named ??= []).push(token);
      }
      start = end + 1;
    }
  }
  return named;
}
