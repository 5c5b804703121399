/**
 * End to end: simulator ⇄ server ⇄ real graphql-ws and graphql-sse clients, all on port 0.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../src/feed/alltick/protocol.js';
import { collect, dispose, gql, QUOTES_SUBSCRIPTION, rawSubscribe, sseClient, startStack, wsClient, type QuoteData, type Stack } from '../support/helpers.js';

afterEach(dispose);

type Result = { data?: { quotes: QuoteData } | null; errors?: readonly { message: string }[] };

function subscribeWs(stack: Stack, symbols: string[], depth?: number) {
  return collect<Result>(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols, depth } }) as AsyncIterableIterator<Result>);
}

const stockSession = (stack: Stack) => stack.sim.sessions({ endpoint: 'stock' })[0];
const subscribeFrames = (stack: Stack) => stack.sim.record.frames.filter((f) => f.cmd_id === Cmd.SubscribeTrade || f.cmd_id === Cmd.SubscribeDepth);

describe('quotes subscription', () => {
  it('subscribes the stock endpoint to trades and depth of both codes and delivers exact decimals within depth', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 20 } });
    const sub = subscribeWs(stack, ['AAPL.US', '700.HK'], 5);
    await vi.waitFor(() => {
      expect(stockSession(stack)?.tradeList).toEqual(['700.HK', 'AAPL.US']);
      expect(stockSession(stack)?.depthList).toEqual([
        { code: '700.HK', depth_level: 5 },
        { code: 'AAPL.US', depth_level: 1 },
      ]);
    });
    stack.sim.pushTrade('AAPL.US', { price: '189.120000', volume: '300' });
    await vi.waitFor(() => expect(sub.items.some((r) => r.data?.quotes.price === '189.120000')).toBe(true));
    await vi.waitFor(() => expect(sub.items.some((r) => r.data?.quotes.symbol === '700.HK' && r.data.quotes.bids.length > 0)).toBe(true));
    for (const { data } of sub.items) {
      const q = data!.quotes;
      expect(q.bids.length).toBeLessThanOrEqual(q.symbol === 'AAPL.US' ? 1 : 5);
      expect(q.asks.length).toBeLessThanOrEqual(q.symbol === 'AAPL.US' ? 1 : 5);
      for (const level of [...q.bids, ...q.asks]) {
        expect(typeof level.price).toBe('string');
        expect(level.price).toMatch(/^\d+(\.\d+)?$/);
      }
      if (q.time) expect(q.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(sub.items.some((r) => r.data?.quotes.symbol === '700.HK' && r.data.quotes.bids.length === 5)).toBe(true);
  });

  it('two clients on one symbol share one upstream subscription; upstream gets the larger depth and each client its own', async () => {
    const stack = await startStack();
    const shallow = subscribeWs(stack, ['700.HK'], 2);
    const deep = subscribeWs(stack, ['700.HK'], 8);
    await vi.waitFor(() => expect(stockSession(stack)?.depthList).toEqual([{ code: '700.HK', depth_level: 8 }]));
    expect(stockSession(stack)?.tradeList).toEqual(['700.HK']);
    expect(stack.server.feed.manager.refCount('700.HK')).toBe(2);

    stack.sim.pushDepth('700.HK');
    await vi.waitFor(() => {
      expect(shallow.items.at(-1)?.data?.quotes.bids).toHaveLength(2);
      expect(deep.items.at(-1)?.data?.quotes.bids).toHaveLength(8);
    });
    // one trade list and one depth list ever sent for the shared symbol (no per-client requests)
    const lists = subscribeFrames(stack).map((f) => JSON.parse(f.text).data.symbol_list);
    expect(lists.every((l: { code: string }[]) => l.length === 1 && l[0]?.code === '700.HK')).toBe(true);
    expect(stack.sim.sessions()).toHaveLength(2); // one connection per endpoint, not per client
  });

  it('the first events are the cached state of symbols the server already knows', async () => {
    const stack = await startStack();
    const first = subscribeWs(stack, ['BTCUSDT'], 3);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['BTCUSDT']));
    stack.sim.pushTrade('BTCUSDT', { price: '97000.50' });
    await vi.waitFor(() => expect(first.items.map((i) => i.data?.quotes.price)).toContain('97000.50'));

    const second = subscribeWs(stack, ['BTCUSDT'], 3);
    await vi.waitFor(() => expect(second.items.length).toBeGreaterThanOrEqual(1));
    expect(second.items[0]?.data?.quotes).toMatchObject({ symbol: 'BTCUSDT', price: '97000.50' });
  });

  describe('when the last client leaves, the symbol leaves upstream after the linger even if it never ticks again', () => {
    async function expectReleased(stack: Stack, symbol: string) {
      await vi.waitFor(() => expect(stack.server.feed.manager.refCount(symbol)).toBe(0));
      // still held during the linger…
      expect(stockSession(stack)?.tradeList).toContain(symbol);
      // …and gone after it
      await vi.waitFor(() => expect(stockSession(stack)?.tradeList).not.toContain(symbol), { timeout: 3000 });
    }

    it('graphql-ws complete', async () => {
      const stack = await startStack();
      const sub = subscribeWs(stack, ['MSFT.US'], 1);
      await vi.waitFor(() => expect(stockSession(stack)?.tradeList).toEqual(['MSFT.US']));
      await sub.stop();
      await expectReleased(stack, 'MSFT.US');
    });

    it('abrupt socket termination', async () => {
      const stack = await startStack();
      const { socket } = await rawSubscribe(stack, QUOTES_SUBSCRIPTION, { symbols: ['NVDA.US'], depth: 1 });
      await vi.waitFor(() => expect(stockSession(stack)?.tradeList).toEqual(['NVDA.US']));
      socket.terminate();
      await expectReleased(stack, 'NVDA.US');
    });

    it('SSE abort', async () => {
      const stack = await startStack();
      const controller = new AbortController();
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['TSLA.US'], depth: 0 } }),
        signal: controller.signal,
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      await vi.waitFor(() => expect(stockSession(stack)?.tradeList).toEqual(['TSLA.US']));
      expect(stockSession(stack)?.depthList).toEqual([]); // depth 0: trades only
      controller.abort();
      await expectReleased(stack, 'TSLA.US');
    });
  });

  it('delivers over SSE with graphql-sse', async () => {
    const stack = await startStack();
    const sub = collect<Result>(
      sseClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['EURUSD'], depth: 1 } }) as AsyncIterableIterator<Result>,
    );
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['EURUSD']));
    stack.sim.pushTrade('EURUSD', { price: '1.08512' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ symbol: 'EURUSD', price: '1.08512' }));
  });

  it.each([
    [{ symbols: ['aapl.us'], depth: 1 }, /invalid symbol "aapl\.us"/],
    [{ symbols: ['AAPL.US', '00700.HK'], depth: 1 }, /invalid symbol "00700\.HK"/],
    [{ symbols: [], depth: 1 }, /symbols must not be empty/],
    [{ symbols: Array.from({ length: 101 }, (_, i) => `${i + 1}.HK`), depth: 1 }, /too many symbols: 101 given, at most 100/],
    [{ symbols: ['AAPL.US'], depth: 11 }, /invalid depth 11/],
    [{ symbols: ['AAPL.US'], depth: -1 }, /invalid depth -1/],
  ])('rejects %j with an error naming the value, before any upstream request', async (variables, message) => {
    const stack = await startStack();
    const sub = collect<Result>(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables }) as AsyncIterableIterator<Result>);
    await vi.waitFor(() => expect(sub.done).toBe(true));
    const errors = [...sub.items.flatMap((r) => r.errors ?? []), ...(sub.errors as { message?: string }[][]).flat()];
    expect(errors.map((e) => e.message).join(' ')).toMatch(message);
    expect(subscribeFrames(stack)).toHaveLength(0);
    expect(stack.server.feed.manager.leaseCount).toBe(0);

    const query = await gql(stack, 'query($symbols: [String!]!, $depth: Int) { quotes(symbols: $symbols, depth: $depth) { symbol } }', variables);
    expect(query.body.errors?.[0]?.message).toMatch(message);
  });

  it('symbols beyond the plan capacity error only the subscription that asked for them', async () => {
    const stack = await startStack({ env: { ALLTICK_PLAN: 'free' } }); // 5 codes, 1 connection per endpoint
    const first = subscribeWs(stack, ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'AMZN.US'], 0);
    await vi.waitFor(() => expect(stockSession(stack)?.tradeList).toHaveLength(5));
    const excess = subscribeWs(stack, ['META.US'], 0);
    await vi.waitFor(() => expect(excess.done).toBe(true));
    const errors = [...excess.items.flatMap((r) => r.errors ?? []), ...(excess.errors as { message?: string }[][]).flat()];
    expect(errors.map((e) => e.message).join(' ')).toMatch(/plan allows 5 symbols on the stock endpoint; cannot subscribe META\.US/);
    expect(first.done).toBe(false);
    expect(stockSession(stack)?.tradeList).not.toContain('META.US');
    expect(stack.server.feed.manager.refCount('META.US')).toBe(0);
  });

  it('after the upstream connection is killed, the same subscription receives data again', async () => {
    const stack = await startStack();
    const sub = subscribeWs(stack, ['AAPL.US'], 1);
    await vi.waitFor(() => expect(stockSession(stack)?.tradeList).toEqual(['AAPL.US']));
    stack.sim.pushTrade('AAPL.US', { price: '190.00' });
    await vi.waitFor(() => expect(sub.items.map((i) => i.data?.quotes.price)).toContain('190.00'));

    stack.sim.killConnections({ endpoint: 'stock' });
    await vi.waitFor(
      () => {
        expect(stack.sim.record.connectionsOf('stock')).toHaveLength(2);
        expect(stockSession(stack)?.tradeList).toEqual(['AAPL.US']);
      },
      { timeout: 5000 },
    );
    stack.sim.pushTrade('AAPL.US', { price: '191.25' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes.price).toBe('191.25'));
    expect(sub.done).toBe(false);
  });
});

describe('snapshot queries', () => {
  it('answer from the cache, or from REST for cold symbols, and never subscribe upstream', async () => {
    const stack = await startStack();
    const cold = await gql(stack, '{ quote(symbol: "AAPL.US") { symbol price stale } quotes(symbols: ["AAPL.US", "GOLD"]) { symbol price } }');
    expect(cold.body.errors).toBeUndefined();
    const coldData = cold.body.data as { quote: { symbol: string; price: string; stale: boolean }; quotes: { symbol: string; price: string }[] };
    expect(coldData.quote).toMatchObject({ symbol: 'AAPL.US', stale: false, price: expect.stringMatching(/^\d+\.\d+$/) });
    expect(coldData.quotes.map((q) => q.symbol)).toEqual(['AAPL.US', 'GOLD']);
    expect(coldData.quotes[0]?.price).toBe(coldData.quote.price); // one request, one REST answer per symbol
    expect(stack.sim.record.restCalls.map((c) => c.path).sort()).toEqual([
      '/quote-b-api/depth-tick',
      '/quote-b-api/trade-tick',
      '/quote-stock-b-api/depth-tick',
      '/quote-stock-b-api/trade-tick',
    ]);
    expect(subscribeFrames(stack)).toHaveLength(0);

    const sub = subscribeWs(stack, ['GOLD'], 1);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.depthList).toEqual([{ code: 'GOLD', depth_level: 1 }]));
    stack.sim.pushTrade('GOLD', { price: '2650.35', volume: '2' });
    stack.sim.pushDepth('GOLD', { bids: [{ price: '2650.30', volume: '0' }], asks: [{ price: '2650.40', volume: '0' }] });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ price: '2650.35', bids: [{ price: '2650.30', volume: '0' }] }));
    const framesBefore = subscribeFrames(stack).length;

    const warm = await gql(
      stack,
      '{ quote(symbol: "GOLD", depth: 1) { symbol price volume seq time bids { price } asks { price } } quotes(symbols: ["GOLD", "AAPL.US"]) { symbol price } }',
    );
    expect(warm.body.data).toMatchObject({
      quote: { symbol: 'GOLD', price: '2650.35', volume: '2', bids: [{ price: '2650.30' }], asks: [{ price: '2650.40' }] },
      quotes: [{ symbol: 'GOLD', price: '2650.35' }, { symbol: 'AAPL.US' }],
    });
    expect(subscribeFrames(stack)).toHaveLength(framesBefore);
    expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(0);

    // GET works for BI tools
    const get = await fetch(`${stack.url}?query=${encodeURIComponent('{ quote(symbol: "GOLD") { price } }')}`, { headers: { accept: 'application/json' } });
    expect(await get.json()).toEqual({ data: { quote: { price: '2650.35' } } });
  });
});

describe('HTTP surface and shutdown', () => {
  it('serves /health, /ready and GraphiQL', async () => {
    const stack = await startStack();
    const base = stack.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await vi.waitFor(async () => expect((await fetch(`${base}/ready`)).status).toBe(200));
    const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('subscription LiveQuotes');
    expect(html).not.toContain('test-token');
  });

  it('shutdown: graphql-ws clients get 1001, SSE streams end, upstream lists are emptied, ref counts 0', async () => {
    const stack = await startStack();
    const { socket } = await rawSubscribe(stack, QUOTES_SUBSCRIPTION, { symbols: ['AAPL.US', 'EURUSD'], depth: 1 });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const sse = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['700.HK'], depth: 2 } }),
    });
    const sseEnded = (async () => {
      const reader = sse.body!.getReader();
      try {
        while (!(await reader.read()).done);
      } catch {
        // a reset also ends the stream
      }
      return true;
    })();
    await vi.waitFor(() => {
      expect(stockSession(stack)?.tradeList).toEqual(['700.HK', 'AAPL.US']);
      expect(stockSession(stack)?.depthList).toHaveLength(2);
      expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.depthList).toEqual([{ code: 'EURUSD', depth_level: 1 }]);
    });

    await stack.server.stop();
    expect(await closed).toBe(1001);
    expect(await sseEnded).toBe(true);
    expect(stack.server.feed.manager.totalRefs).toBe(0);
    expect(stack.server.feed.manager.desired('stock')).toEqual({ trades: [], depth: [] });
    // the lists were emptied upstream before the connections closed
    const cancels = stack.sim.record.framesOf(Cmd.Cancel).map((f) => [f.endpoint, JSON.parse(f.text).data.cancel_type]);
    expect(cancels).toEqual(
      expect.arrayContaining([
        ['stock', 0],
        ['quote', 0],
      ]),
    );
    await vi.waitFor(() => expect(stack.sim.sessions()).toHaveLength(0));
  });
});
