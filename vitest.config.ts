import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql module for all: Node gives Pothos and Yoga its CommonJS build (graphql 16 has no
  // "exports"), while Vite would pick its ESM build for our code; two copies make the schema's types
  // come "from another realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: [
      'test/**/*.test.ts',
      'services/**/*.test.ts',
      'src/**/*.test.ts',
      'dev/**/*.test.ts',
      'packages/**/*.test.ts',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file starts real servers on its own database; two at a time suits a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
