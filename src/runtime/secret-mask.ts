/**
 * What stands in for a secret's value wherever Switchyard writes down what a
 * program printed: an instance's log (both runtimes), a hook's output, an
 * analysis command's output. The values are known only while the program
 * runs (they are in its environment); the masked text is what is kept.
 */
export const SECRET_MASK = '********';

/** `text` with every secret value (keyed by name) replaced by SECRET_MASK. */
export function maskSecrets(text: string, values: Readonly<Record<string, string>>): string {
  return maskValues(text, Object.values(values));
}

/** `text` with every value replaced by SECRET_MASK (empty values are skipped). */
export function maskValues(text: string, values: readonly string[]): string {
  let masked = text;
  for (const value of values) {
    if (value !== '') masked = masked.split(value).join(SECRET_MASK);
  }
  return masked;
}

/**
 * The same for raw output bytes, whatever their encoding: matched byte for
 * byte against each value's UTF-8 bytes (latin1 maps each byte to one
 * character and back), so bytes that are not UTF-8 pass through unchanged.
 */
export function maskSecretBytes(chunk: Buffer, values: readonly string[]): Buffer {
  if (values.length === 0) return chunk;
  const asBytes = values.map((value) => Buffer.from(value, 'utf8').toString('latin1'));
  const text = chunk.toString('latin1');
  const masked = maskValues(text, asBytes);
  return masked === text ? chunk : Buffer.from(masked, 'latin1');
}

/** The values of the named variables in `env` (names it lacks are skipped). */
export function secretValuesIn(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): string[] {
  return names.flatMap((name) => {
    const value = env[name];
    return value === undefined || value === '' ? [] : [value];
  });
}

/**
 * Where a long run of output may be cut, to be masked and written now, with
 * the rest kept for what follows: no value that lies whole in `chunk` is cut
 * in two, and the last bytes that could begin a value still to be completed
 * by the next read are kept. Returns chunk.length when there is nothing to
 * mask, and never 0 (a value longer than the chunk is left to chance).
 */
export function secretSafeCut(chunk: Buffer, values: readonly string[]): number {
  const secrets = values.filter((value) => value !== '').map((value) => Buffer.from(value));
  if (secrets.length === 0) return chunk.length;
  const longest = Math.max(...secrets.map((secret) => secret.length));
  let cut = chunk.length - (longest - 1);
  let moved = true;
  while (moved && cut > 0) {
    moved = false;
    for (const secret of secrets) {
      // An occurrence that starts before the cut and ends after it.
      let at = chunk.indexOf(secret, Math.max(0, cut - secret.length + 1));
      while (at >= 0 && at < cut) {
        if (at + secret.length > cut) {
          cut = at;
          moved = true;
        }
        at = chunk.indexOf(secret, at + 1);
      }
    }
  }
  return cut > 0 ? cut : chunk.length;
}
