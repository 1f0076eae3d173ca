import { isHopByHop, mayBeHopByHop, namedByConnection } from './hop-by-hop.ts';

/**
 * The upstream's response headers as a flat array for `res.writeHead`, minus
 * hop-by-hop ones (Node's server adds its own Connection, Keep-Alive and
 * Transfer-Encoding for the client's connection), plus a sticky cookie for a
 * new client.
 */
export function clientResponseHeaders(
  rawHeaders: readonly string[],
  setCookie: string | null,
): string[] {
  const named = namedByConnection(rawHeaders);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (named !== null || mayBeHopByHop(name)) {
      const lower = name.toLowerCase();
      if (isHopByHop(lower) || (named !== null && named.includes(lower))) continue;
    }
    out.push(name, rawHeaders[i + 1] as string);
  }
  if (setCookie !== null) out.push('Set-Cookie', setCookie);
  return out;
}
