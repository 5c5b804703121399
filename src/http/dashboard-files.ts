/** The dashboard page's three files, as served, and their names in dist/dashboard/. */
export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
}

export const BUNDLE_FILES = { html: 'index.html', js: 'dashboard.js', css: 'dashboard.css' } as const;
