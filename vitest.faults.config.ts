import { defineConfig } from 'vitest/config';

// The fault suite (`make test-faults`): its own configuration, so that the default `vitest run` of
// `make test` does not include it. Files run one at a time, each on its own control plane; the global
// setup draws the seed of every random fault point and adds the files' figures up at the end.
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
