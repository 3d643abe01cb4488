import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'build/**', '.state/**'],
    globalSetup: ['./test/global-setup.ts'],
    // Integration suites share one set of real servers (one broker, one rater
    // checkpoint table) and some take the broker down on purpose: files run one
    // at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
