import { defineConfig } from 'vitest/config';

/**
 * `npm run test:security`: the security attack suite, long versions included (bigger floods, RSS
 * before/after). The short attacks also run in the default suite; the long ones only here.
 */
export default defineConfig({
  test: {
    include: ['test/security.*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    env: { COKNIGHT_SECURITY_LONG: '1' },
  },
});
