/**
 * HTTP for browsers and BI tools: GET snapshot queries carry a Cache-Control matching the
 * server's snapshot reuse window; the dashboard and the 9 MB GraphiQL page are compressed
 * (brotli, gzip) and cacheable (ETag and 304; the dashboard's script and style by content hash).
 */
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_REUSE_MS } from '../../../src/feed/snapshots/snapshot-service.js';
import { dispose, startStack, type Stack } from '../../support/helpers.js';

let stack: Stack;
let base: string;
beforeAll(async () => {
  stack = await startStack();
  base = stack.url.replace(/\/graphql$/, '');
});
afterAll(() => dispose());

/** A GET as bytes on the wire (fetch would decompress them). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('Cache-Control on snapshot queries', () => {
  const query = encodeURIComponent('{ quotes(symbols: ["AAPL.US"]) { symbol price } }');

  it('a GET query answered without errors may be cached for the snapshot reuse window', async () => {
    const res = await fetch(`${stack.url}?query=${query}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe(`public, max-age=${SNAPSHOT_REUSE_MS / 1000}`);
  });

  it('POSTs and answers with errors are not', async () => {
    const post = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: decodeURIComponent(query) }),
    });
    expect(post.headers.get('cache-control')).toBeNull();
    const failed = await fetch(`${stack.url}?query=${encodeURIComponent('{ quotes(symbols: ["not a symbol!"]) { symbol } }')}`);
    expect(failed.headers.get('cache-control')).toBeNull();
  });
});

describe('compressed, cacheable pages', () => {
  for (const [encoding, decode] of [
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ] as const) {
    it(`GraphiQL's page with ${encoding}: a fraction of its size, an ETag, then 304`, async () => {
      const plain = await rawGet(stack.url, { accept: 'text/html' });
      expect(plain.body.length).toBeGreaterThan(5_000_000);
      const packed = await rawGet(stack.url, { accept: 'text/html', 'accept-encoding': `${encoding}, deflate` });
      expect(packed.headers['content-encoding']).toBe(encoding);
      expect(packed.body.length).toBeLessThan(plain.body.length / 3);
      expect(decode(packed.body).equals(plain.body)).toBe(true);
      expect(packed.headers['x-request-id']).toBeDefined();
      const etag = String(packed.headers.etag);
      expect((await rawGet(stack.url, { accept: 'text/html', 'if-none-match': etag })).status).toBe(304);
    });
  }

  it('the dashboard page links its script and style by hash; those are cached for good, the page revalidated', async () => {
    const page = await rawGet(`${base}/`, { 'accept-encoding': 'gzip' });
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(page.headers['cache-control']).toBe('no-cache');
    const html = gunzipSync(page.body).toString();
    const script = /src="(\/dashboard\.js\?v=[\w-]+)"/.exec(html)?.[1];
    const style = /href="(\/dashboard\.css\?v=[\w-]+)"/.exec(html)?.[1];
    expect(html).toContain('<title>alltick-graphql · live dashboard</title>');
    expect(script && style).toBeTruthy();
    for (const asset of [script!, style!]) {
      const res = await rawGet(base + asset, { 'accept-encoding': 'br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await rawGet(base + asset, { 'if-none-match': String(res.headers.etag) })).status).toBe(304);
    }
    expect((await rawGet(`${base}/dashboard.js`)).headers['cache-control']).toBe('no-cache'); // unversioned URL
  });
});
