import { defineConfig } from 'vitest/config';

// `npm run test:long`: learning runs of every distributed mode and other checks too slow for CI.
export default defineConfig({
  test: {
    include: ['test/long/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
