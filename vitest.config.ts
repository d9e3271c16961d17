import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Browser and multi-process tests are heavy on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
