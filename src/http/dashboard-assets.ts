/**
 * The dashboard page's files. `npm run build` bundles them into dist/dashboard/ (next to the
 * compiled server, which reads them from there); a server run from the sources (`npm run dev`,
 * tests) has no bundle next to it and builds one in memory with esbuild, once per process.
 */
import { readFile } from 'node:fs/promises';
import { BUNDLE_FILES, type DashboardAssets } from './dashboard-files.js';

// the bundled server is dist/*.js with the page in dist/dashboard/; from the sources this is
// src/http/dashboard/, which does not exist, so the page is built in memory
const bundled = (file: string) => new URL(`./dashboard/${file}`, import.meta.url);

async function loadDashboard(): Promise<DashboardAssets> {
  try {
    const [html, js, css] = await Promise.all([BUNDLE_FILES.html, BUNDLE_FILES.js, BUNDLE_FILES.css].map((f) => readFile(bundled(f), 'utf8')));
    return { html: html!, js: js!, css: css! };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const { buildDashboard } = await import('./dashboard-build.js'); // from the sources: bundle now
    return buildDashboard();
  }
}

let cached: Promise<DashboardAssets> | null = null;

/** The assets, loaded or built at most once per process (a failure is retried on the next call). */
export function dashboardAssets(): Promise<DashboardAssets> {
  if (!cached) {
    cached = loadDashboard();
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}
