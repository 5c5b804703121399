/**
 * The conventions HTTP clients rely on: the GraphQL-over-HTTP audit of graphql-http (every check
 * ok, no warning), `x-request-id` on every response, and CORS as a browser on another origin sees
 * it (headless Chromium): readable without credentials from anywhere, credentials only for
 * CORS_ORIGINS, and `x-request-id` readable.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverAudits } from 'graphql-http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, startStack, type Stack } from '../../support/helpers.js';
import { launchChromium } from '../../support/browser.js';

let stack: Stack;
let base: string;
beforeAll(async () => {
  stack = await startStack({ env: { CORS_ORIGINS: 'http://127.0.0.1:1,http://localhost:2' } });
  base = stack.url.replace(/\/graphql$/, '');
});
afterAll(() => dispose());

it('passes every graphql-http server audit, without a warning', async () => {
  const results = await Promise.all(serverAudits({ url: stack.url, fetchFn: fetch }).map(async (audit) => ({ ...(await audit.fn()), name: audit.name })));
  expect(results.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`)).toEqual([]);
  expect(results.length).toBeGreaterThan(20);
});

it('x-request-id on every response: /health, /ready, GraphiQL, /metrics, the dashboard, GraphQL', async () => {
  const requests: [string, RequestInit?][] = [
    ['/health'],
    ['/ready'],
    ['/graphql', { headers: { accept: 'text/html' } }],
    ['/metrics'],
    ['/'],
    ['/dashboard.js'],
    ['/graphql?query=%7B__typename%7D'],
    ['/no-such-page'],
  ];
  for (const [path, init] of requests) {
    const res = await fetch(base + path, init);
    await res.arrayBuffer();
    expect(res.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
  }
  const echoed = await fetch(`${base}/health`, { headers: { 'x-request-id': 'my-trace.42' } });
  expect(echoed.headers.get('x-request-id')).toBe('my-trace.42');
});

describe('CORS in a browser on another origin', () => {
  let browser: Browser;
  const pages: Server[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const page of pages) page.close();
  });

  /** A page on an origin of its own (a free port). */
  async function originPage(): Promise<string> {
    const server = createServer((_req, res) => res.end('<!doctype html><title>other origin</title>'));
    pages.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** runs in the page: a cross-origin POST as a web app would send it */
  const fetchFromPage = async ([url, credentials]: [string, RequestCredentials]) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        credentials,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      return { ok: true, body: await res.text(), requestId: res.headers.get('x-request-id') };
    } catch (error) {
      return { ok: false, body: String(error), requestId: null };
    }
  };

  it('any origin reads the API without credentials, and reads x-request-id; credentials are refused', async () => {
    const origin = await originPage();
    const page = await browser.newPage();
    await page.goto(origin);
    const anonymous = await page.evaluate(fetchFromPage, [stack.url, 'omit'] as [string, RequestCredentials]);
    expect(anonymous).toMatchObject({ ok: true, body: '{"data":{"__typename":"Query"}}' });
    expect(anonymous.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const credentialed = await page.evaluate(fetchFromPage, [stack.url, 'include'] as [string, RequestCredentials]);
    expect(credentialed.ok).toBe(false); // not in CORS_ORIGINS: the browser keeps the answer from the page
    await page.close();
  });

  it('an origin in CORS_ORIGINS may send credentials', async () => {
    const listed = 'http://localhost:2';
    const res = await fetch(stack.url, { method: 'OPTIONS', headers: { origin: listed, 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBe(listed);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(stack.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBe('http://evil.example'); // may read, without credentials
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
