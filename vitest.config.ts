import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Tests live in one folder per kind, each mirroring src/ (test/unit/feed/alltick/protocol.test.ts
 * tests src/feed/alltick/protocol.ts); shared helpers are in test/support/.
 * - unit: one process, no sockets (test/support/no-network.ts refuses them), no Redis, no browser;
 *   time through fake timers or an injected Clock. The files share worker threads and their module
 *   cache (isolate: false), so they must leave no global state behind (restore fake timers).
 *   `npm run test:unit`: under 10 s.
 * - e2e: real sockets on 127.0.0.1 to the simulator, the server, graphql-ws / graphql-sse clients
 * - redis: several server processes sharing a real Redis on 127.0.0.1:6379
 * - browser: headless Debian Chromium through playwright-core
 * `npm test` runs them all (that is what CI runs).
 */
export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module); Node loads the CJS one for our dependencies,
    // so tests must too, or graphql sees two copies of itself.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/no-network.ts'],
          testTimeout: 5_000,
          pool: 'threads',
          isolate: false,
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'redis', include: ['test/redis/**/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
      // Files still at the old flat place (test/*.test.ts) keep running with `npm test` until moved
      // into the folder of their kind.
      { extends: true, test: { name: 'unsorted', include: ['test/*.test.ts'] } },
    ],
  },
});
