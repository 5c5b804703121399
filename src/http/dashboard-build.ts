/**
 * Bundles the dashboard page with esbuild: src/dashboard/main.ts and everything it imports (the
 * graphql-ws browser client, lightweight-charts) into one minified script, plus the CSS and the
 * HTML shell. `npm run build` writes the result to dist/dashboard/; a server started from the
 * sources (`npm run dev`, tests) bundles in memory instead. esbuild is a dev dependency: only
 * those two paths import this module.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The dashboard page's three files, as served. */
export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
}

// src/http and dist/http are both two levels below the package root
const source = (file: string) => fileURLToPath(new URL(`../../src/dashboard/${file}`, import.meta.url));

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
