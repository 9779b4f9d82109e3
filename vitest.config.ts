/**
 * vitest settings. No test may depend on wall-clock time: on a 2-core machine with a core busy
 * (a bench beside `npm test`) a test can take several times as long as on an idle one. The
 * timeouts below are safety nets against a hang, not limits a correct test should come near.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
