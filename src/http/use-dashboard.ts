/**
 * Serves the dashboard (SPEC §7): `/` (the page), `/dashboard.js`, `/dashboard.css`. Everything is
 * served from this process (built by src/http/dashboard-assets.ts), so the page works offline; the
 * page talks to the server only through the public GraphQL API over graphql-ws.
 */
import type { Plugin } from 'graphql-yoga';
import { dashboardAssets, type DashboardAssets } from './dashboard-assets.js';

const ROUTES: Record<string, { type: string; body: (a: DashboardAssets) => string }> = {
  '/': { type: 'text/html; charset=utf-8', body: (a) => a.html },
  '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: (a) => a.js },
  '/dashboard.css': { type: 'text/css; charset=utf-8', body: (a) => a.css },
};

/** Same-origin only: scripts, styles and the graphql-ws socket come from this server (lightweight-charts sets inline styles). */
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function useDashboard(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const route = ROUTES[url.pathname];
      if (!route || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      const assets = await dashboardAssets();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : route.body(assets), {
          headers: {
            'content-type': route.type,
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
            ...(url.pathname === '/' && { 'content-security-policy': CSP }),
          },
        }),
      );
    },
  };
}
