/**
 * Builds the dashboard page with esbuild, in memory: src/dashboard/main.ts and everything it imports
 * (the graphql-ws browser client, lightweight-charts) into one minified script, plus the CSS and
 * the HTML shell. No CDN and no build step to remember: the server builds it once per process on
 * the first request for it (or at start, `npm start` warms it up), in a few hundred milliseconds.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
  /** how long the build took, ms */
  buildMs: number;
}

const here = (file: string) => fileURLToPath(new URL(`../dashboard/${file}`, import.meta.url));

export async function buildDashboard(): Promise<DashboardAssets> {
  const started = performance.now();
  const [script, css, html] = await Promise.all([
    build({
      entryPoints: [here('main.ts')],
      bundle: true,
      write: false,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      legalComments: 'eof', // keeps the libraries' license notices
      logLevel: 'silent',
    }),
    build({ entryPoints: [here('dashboard.css')], bundle: true, write: false, minify: true, logLevel: 'silent' }),
    readFile(here('index.html'), 'utf8'),
  ]);
  return {
    html,
    js: script.outputFiles[0]?.text ?? '',
    css: css.outputFiles[0]?.text ?? '',
    buildMs: Math.round(performance.now() - started),
  };
}

let cached: Promise<DashboardAssets> | null = null;

/** The built assets, built at most once per process (a failed build is retried on the next call). */
export function dashboardAssets(): Promise<DashboardAssets> {
  if (!cached) {
    cached = buildDashboard();
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}
