import { defineConfig } from 'vitest/config';

// `npm test -w @paygraph/stripe-local`: the emulator's tests alone, no database (the repository's own
// config runs them with everything else).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
