import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code they test, and system tests
// (real processes, sockets, load) that run one file at a time because the
// machines have two cores and these tests measure behaviour under load.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
