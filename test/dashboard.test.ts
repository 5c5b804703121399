/**
 * The dashboard at `/`, driven in headless Chromium against a ticking simulator: pick a symbol,
 * watch its price, chart and book move; kill and silence the upstream and watch the badge.
 * The first test saves a screenshot to test-results/dashboard.png (and to docs/dashboard.png, the
 * README's picture, when UPDATE_SCREENSHOT=1: `npm run docs:screenshot`).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { dispose, startStack, type Stack } from './helpers.js';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ sim: { ticksPerSecond: 8 } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await dispose();
});

/** A fresh page (fresh storage) that records page errors, console errors and any off-server request. */
async function openDashboard(query = '', before?: (page: Page) => void): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 800 } });
  before?.(page);
  const problems: string[] = [];
  const origin = `127.0.0.1:${stack.server.port}`;
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.host !== origin && url.protocol !== 'data:') problems.push(`off-server request: ${r.url()}`);
  });
  await page.goto(`http://${origin}/${query}`);
  return { page, problems };
}

const badgeOf = (page: Page) => page.locator('#status').getAttribute('data-state');
/** Points on the chart's series (the page's test hook reads lightweight-charts' series data). */
const chartPoints = (page: Page) => page.evaluate(() => window.__dashboard?.chartPoints() ?? 0);

it('picks a symbol and shows its price moving, the chart drawing and the book', async () => {
  const { page, problems } = await openDashboard();
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('connected'), { timeout: 10_000, interval: 100 });

  // pick 9988.HK by searching its name
  await page.locator('#search').fill('alibaba');
  const result = page.locator('#results li[data-symbol="9988.HK"]');
  await result.waitFor({ timeout: 5000 });
  await result.click();
  expect(await page.evaluate(() => window.__dashboard?.selected())).toBe('9988.HK');
  await expect.poll(() => page.locator('#sel-symbol').textContent()).toBe('9988.HK');

  // its row appears and its price cell changes within a few seconds
  const price = page.locator('tr[data-symbol="9988.HK"] td.price');
  await vi.waitFor(async () => expect(await price.textContent()).toMatch(/^[\d,]+\.\d+$/), { timeout: 8000, interval: 100 });
  const first = await price.textContent();
  await vi.waitFor(async () => expect(await price.textContent()).not.toBe(first), { timeout: 8000, interval: 100 });

  // the chart draws points (one per second) and the book shows HK's levels on both sides
  await vi.waitFor(async () => expect(await chartPoints(page)).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 200 });
  await vi.waitFor(
    async () => {
      expect(await page.locator('#book .level.bid').count()).toBeGreaterThanOrEqual(5);
      expect(await page.locator('#book .level.ask').count()).toBeGreaterThanOrEqual(5);
    },
    { timeout: 8000, interval: 100 },
  );
  expect(await page.locator('#book .level.bid .px').first().textContent()).toMatch(/^[\d,]+\.\d+$/);

  // the default watchlist is live too
  for (const symbol of ['BTCUSDT', 'EURUSD', 'AAPL.US']) {
    await vi.waitFor(async () => expect(await page.locator(`tr[data-symbol="${symbol}"] td.price`).textContent()).toMatch(/\d/), { timeout: 8000 });
  }

  // a few more seconds of line on the chart for the picture
  await vi.waitFor(async () => expect(await chartPoints(page)).toBeGreaterThanOrEqual(8), { timeout: 15_000, interval: 250 });
  await page.locator('#search').blur();
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/dashboard.png' });
  if (process.env.UPDATE_SCREENSHOT === '1') await page.screenshot({ path: 'docs/dashboard.png' });
  expect(problems).toEqual([]);
  await page.close();
});

it('the status badge says reconnecting while the upstream is down and stale while it is silent', async () => {
  const { page, problems } = await openDashboard('?staleMs=1500');
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('connected'), { timeout: 10_000, interval: 100 });

  // upstream killed, and refused for a while: reconnecting, then connected again
  await vi.waitFor(() => expect(stack.sim.sessions()).toHaveLength(2)); // both endpoints up to be killed
  stack.sim.refuseConnections(2500);
  expect(stack.sim.killConnections()).toBeGreaterThan(0);
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('reconnecting'), { timeout: 5000, interval: 50 });
  expect(await page.locator('#status').textContent()).toBe('reconnecting');
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('connected'), { timeout: 15_000, interval: 100 });

  // connected but no ticks: stale, until ticks come back
  stack.sim.pause();
  try {
    await vi.waitFor(async () => expect(await badgeOf(page)).toBe('stale'), { timeout: 6000, interval: 100 });
  } finally {
    stack.sim.resume();
  }
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('connected'), { timeout: 6000, interval: 100 });
  expect(problems).toEqual([]);
  await page.close();
});

it('after a server restart the page reconnects by itself and resumes its quotes from the cursors it had', async () => {
  const subscribes: { after?: string[] }[] = [];
  const { page, problems } = await openDashboard('', (p) =>
    p.on('websocket', (ws) =>
      ws.on('framesent', (frame) => {
        const message = JSON.parse(String(frame.payload)) as { type: string; payload?: { query: string; variables: { after?: string[] } } };
        if (message.type === 'subscribe' && message.payload?.query.includes('DashboardQuotes')) subscribes.push(message.payload.variables);
      }),
    ),
  );
  const price = page.locator('tr[data-symbol="BTCUSDT"] td.price');
  await vi.waitFor(async () => expect(await price.textContent()).toMatch(/\d/), { timeout: 10_000, interval: 100 });
  const before = subscribes.length;

  await stack.restart(); // connections refused until the new server listens
  await vi.waitFor(() => expect(subscribes.slice(before).some((v) => (v.after?.length ?? 0) > 0)).toBe(true), { timeout: 15_000, interval: 100 });
  await vi.waitFor(async () => expect(await badgeOf(page)).toBe('connected'), { timeout: 15_000, interval: 100 });
  const after = await price.textContent();
  await vi.waitFor(async () => expect(await price.textContent()).not.toBe(after), { timeout: 10_000, interval: 100 });
  // the browser reports the refused connections while the server was away; nothing else went wrong
  expect(problems.filter((p) => !/WebSocket connection .* failed/.test(p))).toEqual([]);
  await page.close();
});
