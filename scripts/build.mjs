// `npm run build`: the server compiled to dist/ (tsc) and the dashboard bundled to dist/dashboard/
// (esbuild), so `npm start` runs plain JavaScript. dist/.build-stamp marks a finished build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const { buildDashboard } = await import(new URL('http/dashboard-build.js', dist).href);
const { BUNDLE_FILES } = await import(new URL('http/dashboard-assets.js', dist).href);
const assets = await buildDashboard();
mkdirSync(new URL('dashboard/', dist), { recursive: true });
for (const [kind, file] of Object.entries(BUNDLE_FILES)) writeFileSync(new URL(`dashboard/${file}`, dist), assets[kind]);
writeFileSync(new URL('.build-stamp', dist), `${new Date().toISOString()}\n`);
console.log(`built dist/ (dashboard: ${Math.round(assets.js.length / 1024)} KiB of script)`);
