/** One jest run for every suite; workflow suites need the single time-skipping clock, so run in band. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120_000,
  maxWorkers: 1,
};
