/**
 * The values of a spec's `secrets:`. Until Switchyard has its own encrypted
 * store, they come from the environment of `switchyard up`, and only the
 * names the spec lists reach an instance or a hook. What those programs
 * print is masked before Switchyard writes it anywhere (a hook's log file,
 * an instance's log, an event; see runtime/secret-mask.ts), so a secret
 * never appears in logs or API answers.
 */
import { SwitchyardError } from '../errors.ts';

export function secretValues(
  names: readonly string[],
  from: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = from[name];
    if (value === undefined)
      throw new SwitchyardError(
        'RUNTIME_START_FAILED',
        `The secret ${name} has no value: set ${name} in the environment of \`switchyard up\`, or remove it from the spec's secrets.`,
      );
    values[name] = value;
  }
  return values;
}
