/**
 * What a program Switchyard starts (an instance, a hook) takes from the
 * daemon's environment: what a shell and common tools need to find programs,
 * the user's home, the locale and the time zone. Nothing else passes, so a
 * secret in the daemon's environment reaches a program only when the spec
 * names it in `secrets:`.
 */
export const INHERITED_ENV_NAMES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
];

export function inheritedEnvironment(
  from: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of INHERITED_ENV_NAMES) {
    const value = from[name];
    if (value !== undefined) base[name] = value;
  }
  return base;
}
