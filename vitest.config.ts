import { defineConfig } from 'vitest/config';

// Three projects: `unit` needs no cluster; `integration` and `e2e` start real control planes
// (test/harness) that are shared per test file, so files run one at a time on this 2-core machine.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // The operator image, run against a control plane: only with `make test-image`, which builds the
      // image first (minutes), so neither `make test` nor a bare `vitest run` depends on it.
      ...(process.env.SOVEREIGN_PLACEMENT_IMAGE_TEST
        ? [
            {
              test: {
                name: 'image',
                include: ['test/image/**/*.test.ts'],
                testTimeout: 120_000,
                hookTimeout: 240_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
