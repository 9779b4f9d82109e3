/**
 * vitest settings. No test may depend on wall-clock time: on a 2-core machine with a core busy
 * (a bench beside `npm test`) a test can take several times as long as on an idle one. The
 * timeouts below are safety nets against a hang, not limits a correct test should come near.
 */
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every core: vitest's default leaves one idle, which on this 2-core machine ran the files one
    // at a time (2 min 42 s against 1 min 42 s with both).
    maxWorkers: availableParallelism(),
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
