/**
 * Bundles the dashboard page with esbuild: src/dashboard/main.ts and everything it imports (the
 * graphql-ws browser client, lightweight-charts) into one minified script, plus the CSS and the
 * HTML shell. `npm run build` writes the result to dist/dashboard/; a server started from the
 * sources (`npm run dev`, tests) bundles in memory instead. esbuild is a dev dependency: only
 * those two paths import this module.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_FILES, type DashboardAssets } from './dashboard-files.js';

/** the package root: the first folder above this file (src/http/ or the bundle's dist/) with a package.json */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const source = (file: string) => join(packageRoot(), 'src', 'dashboard', file);

export async function buildDashboard(): Promise<DashboardAssets> {
  const [script, css, html] = await Promise.all([
    build({
      entryPoints: [source('main.ts')],
      bundle: true,
      write: false,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      legalComments: 'eof', // keeps the libraries' license notices
      logLevel: 'silent',
    }),
    build({ entryPoints: [source('dashboard.css')], bundle: true, write: false, minify: true, logLevel: 'silent' }),
    readFile(source('index.html'), 'utf8'),
  ]);
  return { html, js: script.outputFiles[0]?.text ?? '', css: css.outputFiles[0]?.text ?? '' };
}

/** `npm run build`: the three files into `dir` (dist/dashboard/); returns the script's size. */
export async function writeDashboard(dir: string): Promise<number> {
  const assets = await buildDashboard();
  await mkdir(dir, { recursive: true });
  await Promise.all((Object.keys(BUNDLE_FILES) as (keyof DashboardAssets)[]).map((kind) => writeFile(join(dir, BUNDLE_FILES[kind]), assets[kind])));
  return assets.js.length;
}
