/**
 * Defence in depth for DESIGN.md's promise that secrets never appear in API
 * responses: a spec never holds secret values (only their names), but if an
 * env value is ever keyed by a name listed in `secrets`, it is replaced
 * before the response leaves. Runs over every JSON answer.
 */
export const REDACTED = '[secret]';

type Json = unknown;

export function scrubSecrets(value: Json): Json {
  if (Array.isArray(value)) return value.map(scrubSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) out[key] = scrubSecrets(child);
  const secrets = object['secrets'];
  if (Array.isArray(secrets) && secrets.every((name) => typeof name === 'string')) {
    const names = new Set<string>(secrets);
    out['env'] = redact(out['env'], names);
    const runtime = out['runtime'];
    if (typeof runtime === 'object' && runtime !== null && 'env' in runtime) {
      out['runtime'] = { ...runtime, env: redact(runtime.env, names) };
    }
  }
  return out;
}

function redact(env: unknown, names: ReadonlySet<string>): unknown {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return env;
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, names.has(key) ? REDACTED : value]),
  );
}
