/**
 * Tests run through swc (no type-check: `npm run typecheck` does that once). Jest's default leaves one core idle
 * (cores - 1 workers: one worker on a 2-core machine); the suites are independent processes-worth of synth work, so
 * use every core.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/env.ts'],
  testTimeout: 120000,
  maxWorkers: '100%',
};
