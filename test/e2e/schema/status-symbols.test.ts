import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, dispose, gql, startStack, wsClient } from '../../support/helpers.js';

afterEach(dispose);

describe('symbols', () => {
  it('lists the catalogue by market and search', async () => {
    const stack = await startStack();
    const { body } = await gql(
      stack,
      '{ hk: symbols(market: HK, limit: 3) { symbol market endpoint maxDepth } gold: symbols(search: "gold") { symbol name market } }',
    );
    expect(body.data?.hk).toHaveLength(3);
    for (const s of body.data?.hk as { symbol: string; market: string; endpoint: string; maxDepth: number }[]) {
      expect(s).toMatchObject({ market: 'HK', endpoint: 'STOCK', maxDepth: 10 });
      expect(s.symbol).toMatch(/^\d+\.HK$/);
    }
    expect(body.data?.gold).toEqual(expect.arrayContaining([expect.objectContaining({ symbol: 'GOLD', market: 'METAL' })]));
    const bad = await gql(stack, '{ symbols(limit: 0) { symbol } }');
    expect(bad.body.errors?.[0]?.message).toMatch(/limit must be at least 1/);
  });
});

describe('feedStatus', () => {
  type Status = { connected: boolean; connections: { endpoint: string; state: string; reconnects: number; trades: string[] }[] };

  it('changes when the simulator drops the socket and again when the client is back', async () => {
    const stack = await startStack();
    await vi.waitFor(async () => {
      const { body } = await gql(stack, '{ feedStatus { connected connections { endpoint state reconnects trades } } }');
      expect((body.data?.feedStatus as Status).connected).toBe(true);
    });
    const sub = collect<{ data?: { feedStatus: Status } }>(
      wsClient(stack).iterate({
        query: 'subscription { feedStatus { connected connections { endpoint state reconnects trades } } }',
      }) as AsyncIterableIterator<{ data?: { feedStatus: Status } }>,
    );
    await vi.waitFor(() => expect(sub.items[0]?.data?.feedStatus.connected).toBe(true));

    stack.sim.killConnections({ endpoint: 'stock' });
    await vi.waitFor(
      () => {
        const stock = sub.items.map((i) => i.data?.feedStatus.connections.find((c) => c.endpoint === 'STOCK'));
        expect(stock.some((c) => c?.state === 'DISCONNECTED')).toBe(true);
        expect(sub.items.at(-1)?.data?.feedStatus.connected).toBe(true);
        expect(stock.at(-1)).toMatchObject({ state: 'CONNECTED', reconnects: 1 });
      },
      { timeout: 5000 },
    );
  });

  it('tells subscribers when a list changes and while it waits for its subscribe slot, with no change of connection state', async () => {
    const stack = await startStack();
    type Lists = { endpoint: string; trades: string[]; waiting: { list: string; symbols: string[] }[] };
    const status = collect<{ data?: { feedStatus: { connections: Lists[] } } }>(
      wsClient(stack).iterate({ query: 'subscription { feedStatus { connections { endpoint trades waiting { list symbols } } } }' }) as AsyncIterableIterator<{
        data?: { feedStatus: { connections: Lists[] } };
      }>,
    );
    await vi.waitFor(() => expect(status.items.length).toBeGreaterThan(0));
    const stockOf = (i: number) => status.items[i]?.data?.feedStatus.connections.find((c) => c.endpoint === 'STOCK');
    const quotes = collect(wsClient(stack).iterate({ query: 'subscription { quotes(symbols: ["AAPL.US"], depth: 0) { symbol } }' }));
    await vi.waitFor(() => {
      const seen = status.items.map((_, i) => stockOf(i));
      expect(seen.some((c) => c?.trades.includes('AAPL.US'))).toBe(true); // the wanted list changed
      expect(seen.at(-1)).toMatchObject({ trades: ['AAPL.US'], waiting: [] }); // and it no longer waits: it was sent
    });
    await quotes.stop();
    await status.stop();
  });
});
