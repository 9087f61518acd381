import { defineConfig } from 'vitest/config';

// The default suite (npm test, CI): minutes on 2 cores. Long checks live in test/long (npm run test:long).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/long/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes; two cores on CI, so keep files from oversubscribing.
    maxWorkers: 2,
  },
});
