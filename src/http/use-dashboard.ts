/**
 * Serves the dashboard (SPEC §7): `/` (the page), `/dashboard.js`, `/dashboard.css`. Everything is
 * served from this process (src/http/dashboard-assets.ts), so the page works offline; the page
 * talks to the server only through the public GraphQL API over graphql-ws. The page links its
 * script and style by content hash (`?v=`), so those are cached for good and the page is
 * revalidated (ETag); all three are compressed.
 */
import type { Plugin } from 'graphql-yoga';
import { dashboardAssets } from './dashboard-assets.js';
import { StaticFile } from './static-file.js';

/** Same-origin only: scripts, styles and the graphql-ws socket come from this server (lightweight-charts sets inline styles). */
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOSNIFF = { 'x-content-type-options': 'nosniff' };
const REVALIDATE = 'no-cache';
const FOREVER = 'public, max-age=31536000, immutable';

interface DashboardFiles {
  page: StaticFile;
  assets: Record<string, StaticFile>;
}

let files: Promise<DashboardFiles> | null = null;

async function dashboardFiles(): Promise<DashboardFiles> {
  const { html, js, css } = await dashboardAssets();
  const script = new StaticFile(js, { 'content-type': 'text/javascript; charset=utf-8', ...NOSNIFF });
  const style = new StaticFile(css, { 'content-type': 'text/css; charset=utf-8', ...NOSNIFF });
  const versioned = html.replace('"/dashboard.js"', `"/dashboard.js?v=${script.version}"`).replace('"/dashboard.css"', `"/dashboard.css?v=${style.version}"`);
  const page = new StaticFile(versioned, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, ...NOSNIFF });
  return { page, assets: { '/dashboard.js': script, '/dashboard.css': style } };
}

export function useDashboard(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (url.pathname !== '/' && !(url.pathname === '/dashboard.js' || url.pathname === '/dashboard.css')) return;
      if (!files) {
        files = dashboardFiles();
        files.catch(() => (files = null)); // a failed build is retried on the next request
      }
      const { page, assets } = await files;
      const asset = assets[url.pathname];
      if (!asset) return endResponse(await page.respond(request, REVALIDATE, fetchAPI.Response));
      // the page's own link carries the hash: that URL never changes content
      endResponse(await asset.respond(request, url.searchParams.get('v') === asset.version ? FOREVER : REVALIDATE, fetchAPI.Response));
    },
  };
}
