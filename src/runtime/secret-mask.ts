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
