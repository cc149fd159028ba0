/**
 * One jest run for every suite; `npm test` runs it with two workers. Each suite starts
 * its own Temporal server (a dev server per API stack, a time-skipping server
 * per workflow harness) and, on MySQL, its jest worker has its own database
 * (test/helpers/stack.ts), so suites run side by side (`--maxWorkers=2`).
 *
 * With JEST_SQLITE_PROJECT=1 (`bash .ci/run`) the same run has two projects:
 * `mysql`, every suite (on MySQL when DB_HOST is set), and `sqlite`, the
 * database suites (test/api and test/workflow/sweep.test.ts) a second time on
 * SQLite: test/helpers/stack.ts drops DB_HOST from those suites' environment.
 * One run lets the workers take suites from both.
 */
const path = require('node:path');

const suites = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};

module.exports = process.env.JEST_SQLITE_PROJECT
  ? {
      testTimeout: 120_000,
      maxWorkers: 2,
      projects: [
        { ...suites, displayName: 'mysql' },
        {
          ...suites,
          displayName: 'sqlite',
          testMatch: [
            path.join(__dirname, 'test/api/**/*.test.ts'),
            path.join(__dirname, 'test/workflow/sweep.test.ts'),
          ],
          globals: { SKILLCONNECT_TEST_DB: 'sqlite' },
        },
      ],
    }
  : { ...suites, testTimeout: 120_000, maxWorkers: 2 };
