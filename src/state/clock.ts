/**
 * Where the store reads the time: lock leases and timestamps. Injected so
 * lease tests are deterministic (a manual clock), never read from Date.now()
 * deep inside the store.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
