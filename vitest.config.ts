import { defineConfig } from 'vitest/config';
import { pgAnswers, redisAnswers } from './test/support/services.js';

// The integration suite runs twice: on the zero-setup default (SQLite, in-process
// bus) and on PostgreSQL + Redis. Without those services the second run is
// skipped with a warning, except on CI (CI=true), where its tests then fail.
const scaled = process.env.CI === 'true' || ((await pgAnswers()) && (await redisAnswers()));
if (!scaled) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! PostgreSQL or Redis is not reachable: the postgres+redis run of the` +
      ` integration suite is SKIPPED\n${'!'.repeat(78)}\n`,
  );
}

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Browser and multi-process tests are heavy on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'default', include: ['test/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      ...(scaled
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres+redis',
                include: ['test/integration/**/*.test.ts'],
                exclude: [
                  // backend-specific already, or about the SQLite file itself
                  'test/integration/{store,bus,presence,cluster}.*.test.ts',
                  'test/integration/process-lifecycle.test.ts',
                  'test/integration/upgrade-crash.test.ts',
                  'test/integration/accounts.cluster.test.ts',
                  'test/integration/attachments.cluster.test.ts',
                  'test/integration/message-changes.cluster.test.ts',
                  'test/integration/backup-restore.test.ts',
                  'test/integration/delete-erases.test.ts',
                  'test/integration/start-supervisor.test.ts',
                  'test/integration/startup-failures.test.ts',
                ],
                env: { CHAT_TEST_BACKEND: 'postgres-redis' },
                // after the default run, not beside it: timing-sensitive tests
                // (slow consumers, rate limits) get the machine's two cores
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
