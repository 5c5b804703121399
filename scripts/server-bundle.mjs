// How the server is bundled (esbuild), shared by `npm run build` and the bench's server processes
// so that both run what production runs.

/** @type {import('esbuild').BuildOptions} */
export const SERVER_BUNDLE = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // whitespace and syntax only: identifiers keep their names, so stack traces and logs show them
  // without keepNames, whose __name() on every function made each closure created per connection
  // or subscription carry its own property store (+3 KiB per idle graphql-ws connection)
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true, // `node --enable-source-maps dist/main.js` maps traces to src/
  sourcesContent: false,
  legalComments: 'linked',
  // pino starts pino-pretty in a worker by module path; esbuild only builds the dashboard from the
  // sources (dev); ws loads its optional native helpers when installed
  external: ['pino', 'pino-pretty', 'esbuild', 'bufferutil', 'utf-8-validate'],
  // CommonJS libraries inside an ES module bundle still call require() for Node's own modules
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
};
