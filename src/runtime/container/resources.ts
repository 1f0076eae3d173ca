/**
 * Limits as the Docker Engine API counts them: memory in bytes, CPUs in
 * billionths of a CPU (`docker run --cpus 1.5` sends NanoCpus 1500000000).
 */

const UNIT_BYTES: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m` → 536870912. The spec checks the format; this rejects anything else. */
export function memoryBytes(size: string): number {
  const match = /^([0-9]+)([kmgKMG]?)$/.exec(size);
  if (match === null) {
    throw new RangeError(`${JSON.stringify(size)} is not a memory size like 512m or 1g`);
  }
  const [, digits = '', unit = ''] = match;
  return Number(digits) * (UNIT_BYTES[unit.toLowerCase()] ?? 1);
}

export function nanoCpus(cpus: number): number {
  return Math.round(cpus * 1e9);
}
