// `npm run build`: the server and the simulator bundled with esbuild into dist/ (one file per entry
// plus shared chunks, whitespace and syntax minified with names as written, source maps beside them) and the dashboard
// bundled to dist/dashboard/, so `npm start` runs plain JavaScript. One bundle instead of ~140 of
// our modules and the libraries' hundreds loads faster and idles in less memory (README "Idle
// footprint"). Type checking is `npm run typecheck`. dist/.build-stamp marks a finished build.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SERVER_BUNDLE } from './server-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);

rmSync(dist, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // dashboard-build: the dashboard's own bundler, imported below and by the server only when
  // dist/dashboard/ is missing
  entryPoints: { main: 'src/main.ts', simulator: 'src/simulator/main.ts', 'dashboard-build': 'src/http/dashboard-build.ts' },
  outdir: 'dist',
  ...SERVER_BUNDLE,
  splitting: true, // GraphiQL (9 MB), ioredis and the cluster code load only when used
});

const { writeDashboard } = await import(new URL('dashboard-build.js', dist).href);
const scriptSize = await writeDashboard(fileURLToPath(new URL('dashboard/', dist)));
writeFileSync(new URL('.build-stamp', dist), `${new Date().toISOString()}\n`);
console.log(`built dist/ (dashboard: ${Math.round(scriptSize / 1024)} KiB of script)`);
