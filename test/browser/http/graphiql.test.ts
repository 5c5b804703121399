/**
 * A newcomer's first minute: `npm start` without a token (built-in simulator), open /graphql in a
 * browser, run the default subscription, see prices arrive and move. GraphiQL must work offline.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { launchChromium } from '../../support/browser.js';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer({ config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), logger: createLogger('silent') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('GraphiQL loads offline and the default subscription shows live prices', async () => {
  expect(server.simulator).not.toBeNull(); // no token: the built-in simulator is the upstream
  const page = await browser.newPage();
  const external: string[] = [];
  page.on('request', (r) => {
    if (
      !r.url().startsWith(`http://127.0.0.1:${server.port}`) &&
      !r.url().startsWith('ws://127.0.0.1') &&
      !r.url().startsWith('data:') &&
      !r.url().startsWith('blob:')
    )
      external.push(r.url());
  });
  await page.goto(`http://127.0.0.1:${server.port}/graphql`);
  await page.locator('.graphiql-execute-button').click();

  const response = page.locator('.graphiql-response');
  const seqs = new Set<string>();
  await vi.waitFor(
    async () => {
      const text = (await response.textContent()) ?? '';
      const seq = /"seq":\s*"(\d+)"/.exec(text)?.[1];
      if (seq) seqs.add(seq);
      expect(text).toMatch(/"price":\s*"\d+(\.\d+)?"/);
      expect(seqs.size).toBeGreaterThanOrEqual(3); // the result keeps changing: live
    },
    { timeout: 15_000, interval: 200 },
  );
  expect(external).toEqual([]);
});
