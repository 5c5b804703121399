/**
 * GraphiQL's page is 9 MB of bundled script. It is imported on the first visit, not at start
 * (~50 MB of resident memory an API-only deployment never needs), rendered once (its options never
 * change), and sent compressed (about 2 MB with gzip, less with brotli) with an ETag, instead of
 * Yoga's plain 9 MB on every visit.
 */
import type { Plugin } from 'graphql-yoga';
import type { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { StaticFile } from './static-file.js';

let page: Promise<{ html: string; file: StaticFile }> | null = null;

export function renderGraphiQLOnDemand(options: Parameters<typeof renderGraphiQL>[0]): Promise<string> {
  if (!page) {
    page = import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => {
      const html = renderGraphiQL(options);
      return { html, file: new StaticFile(html, { 'content-type': 'text/html; charset=utf-8' }) };
    });
    page.catch(() => (page = null));
  }
  return page.then((p) => p.html);
}

/** Swaps Yoga's GraphiQL response (the only HTML it makes at `graphqlPath`) for the compressed, cacheable one. */
export function useGraphiQLPage(graphqlPath: string): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!page || request.method !== 'GET' || !response.headers.get('content-type')?.startsWith('text/html')) return;
      const path = new URL(request.url).pathname;
      if (path !== graphqlPath && path !== `${graphqlPath}/`) return;
      const { file } = await page;
      const replacement = await file.respond(request, 'no-cache', fetchAPI.Response);
      response.headers.forEach((value, name) => {
        if (!replacement.headers.has(name) && name !== 'content-length') replacement.headers.set(name, value);
      });
      setResponse(replacement);
    },
  };
}
