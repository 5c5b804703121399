/**
 * Shared execution of graphql-ws subscriptions (src/http/fanout) end to end: real simulator,
 * real server, bare graphql-transport-ws sockets so that ids and frames can be checked exactly.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fanoutCounters } from '../../../../src/http/fanout/outbox.js';
import { collect, dispose, sseClient, startStack, type Stack } from '../../../support/helpers.js';
import { closeAll, GqlWsClient } from '../../../support/gql-ws-client.js';
import { elapse } from '../../../support/time.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../src/logger.js';

afterEach(async () => {
  await closeAll();
  await dispose();
});

const QUOTES = (fields = 'symbol price seq', name = 'Q') =>
  `subscription ${name}($symbols: [String!]!, $depth: Int, $throttleMs: Int) { quotes(symbols: $symbols, depth: $depth, throttleMs: $throttleMs) { ${fields} } }`;

const connect = (stack: Stack) => GqlWsClient.connect(stack.wsUrl);
const tradeList = (stack: Stack, endpoint: 'stock' | 'quote') => stack.sim.sessions({ endpoint })[0]?.tradeList ?? [];

describe('shared execution', () => {
  it('members with different operation ids, on one socket or several, share one group and each gets its own frames', async () => {
    const stack = await startStack();
    const a = await connect(stack);
    const b = await connect(stack);
    a.subscribe('a1', QUOTES(), { symbols: ['AAPL.US', 'MSFT.US'], depth: 1 });
    a.subscribe('a2', QUOTES(), { symbols: ['MSFT.US', 'AAPL.US'], depth: 1 }); // order does not matter
    const oddId = 'b "1" \u2028';
    // other operation name, whitespace and a repeated symbol: still the same operation
    b.subscribe(oddId, `subscription   Other($symbols: [String!]!) {\n quotes(symbols: $symbols, depth: 1) { symbol price seq } }`, {
      symbols: ['AAPL.US', 'MSFT.US', 'AAPL.US'],
    });
    b.subscribe('b2', QUOTES('symbol'), { symbols: ['AAPL.US', 'MSFT.US'], depth: 1 }); // another selection: another group

    await vi.waitFor(() => {
      expect(stack.server.fanout.stats()).toMatchObject({ groups: 2, members: 4 });
      expect(tradeList(stack, 'stock')).toEqual(['AAPL.US', 'MSFT.US']);
    });
    expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(2); // one upstream interest per group, not per subscriber
    const symbols = ['AAPL.US', 'MSFT.US'];
    const base = {
      a1: await a.firstEvents('a1', symbols),
      a2: await a.firstEvents('a2', symbols),
      odd: await b.firstEvents(oddId, symbols),
      b2: await b.firstEvents('b2', symbols),
    };

    const pushed = [
      stack.sim.pushTrade('AAPL.US', { price: '100.01' }).data,
      stack.sim.pushTrade('MSFT.US', { price: '200.02' }).data,
      stack.sim.pushTrade('AAPL.US', { price: '100.03' }).data,
    ];
    const expected = pushed.map((t) => ({ symbol: t.code, price: t.price, seq: t.seq }));
    await vi.waitFor(() => {
      expect(a.quotes('a1').slice(base.a1)).toEqual(expected);
      expect(a.quotes('a2').slice(base.a2)).toEqual(expected);
      expect(b.quotes(oddId).slice(base.odd)).toEqual(expected);
      expect(b.quotes('b2').slice(base.b2)).toEqual(expected.map(({ symbol }) => ({ symbol })));
    });
    // nothing for ids that were never subscribed, and no other message types
    expect(new Set(a.messages.map((m) => m.id ?? m.type))).toEqual(new Set(['connection_ack', 'a1', 'a2']));
    expect(new Set(b.messages.map((m) => m.id ?? m.type))).toEqual(new Set(['connection_ack', oddId, 'b2']));
  });

  it('a member leaving does not disturb the others; when all have left, groups and ref counts are back to 0', async () => {
    const stack = await startStack();
    const clients = [await connect(stack), await connect(stack), await connect(stack)];
    clients.forEach((c, i) => c.subscribe(`s${i}`, QUOTES(), { symbols: ['NVDA.US'], depth: 0 }));
    await vi.waitFor(() => expect(tradeList(stack, 'stock')).toEqual(['NVDA.US']));
    await vi.waitFor(() => expect(stack.server.fanout.stats()).toMatchObject({ groups: 1, members: 3 }));
    const [c0, c1, c2] = clients as [GqlWsClient, GqlWsClient, GqlWsClient];
    const base = await Promise.all(clients.map((c, i) => c.firstEvents(`s${i}`, ['NVDA.US'])));
    const prices = (i: number) =>
      clients[i]!.quotes(`s${i}`)
        .slice(base[i])
        .map((q) => q.price);

    stack.sim.pushTrade('NVDA.US', { price: '1.00' });
    await vi.waitFor(() => clients.forEach((_, i) => expect(prices(i)).toHaveLength(1)));

    c0.complete('s0');
    await vi.waitFor(() => expect(stack.server.fanout.stats().members).toBe(2));
    stack.sim.pushTrade('NVDA.US', { price: '2.00' });
    await vi.waitFor(() => {
      expect(prices(1)).toEqual(['1.00', '2.00']);
      expect(prices(2)).toEqual(['1.00', '2.00']);
    });
    expect(prices(0)).toHaveLength(1); // nothing after its complete
    expect(c0.of('s0', 'complete')).toHaveLength(0); // the client completed: the server does not answer

    c1.ws.terminate();
    await vi.waitFor(() => expect(stack.server.fanout.stats().members).toBe(1));
    stack.sim.pushTrade('NVDA.US', { price: '3.00' });
    await vi.waitFor(() => expect(prices(2)).toEqual(['1.00', '2.00', '3.00']));

    c2.complete('s2');
    await vi.waitFor(() => {
      expect(stack.server.fanout.stats()).toEqual({ groups: 0, members: 0, shapes: 0, behindConnections: 0 });
      expect(stack.server.feed.manager.totalRefs).toBe(0);
      expect(stack.server.feed.manager.leaseCount).toBe(0);
    });
  });

  it('a member joining a running group first gets the current state of each symbol; the others see nothing extra', async () => {
    const stack = await startStack();
    const first = await connect(stack);
    first.subscribe('1', QUOTES(), { symbols: ['BTCUSDT', 'ETHUSDT'], depth: 1 });
    await vi.waitFor(() => expect(tradeList(stack, 'quote')).toEqual(['BTCUSDT', 'ETHUSDT']));
    const base = await first.firstEvents('1', ['BTCUSDT', 'ETHUSDT']);
    stack.sim.pushTrade('BTCUSDT', { price: '97000.1' });
    stack.sim.pushTrade('ETHUSDT', { price: '3500.1' });
    stack.sim.pushTrade('BTCUSDT', { price: '97000.2' });
    await vi.waitFor(() => expect(first.quotes('1')).toHaveLength(base + 3));

    const joiner = await connect(stack);
    joiner.subscribe('j', QUOTES(), { symbols: ['ETHUSDT', 'BTCUSDT'], depth: 1 });
    await vi.waitFor(() => expect(joiner.quotes('j')).toHaveLength(2));
    expect(stack.server.fanout.stats()).toMatchObject({ groups: 1, members: 2 });
    expect(Object.fromEntries(joiner.quotes('j').map((q) => [q.symbol, q.price]))).toEqual({ BTCUSDT: '97000.2', ETHUSDT: '3500.1' });

    stack.sim.pushTrade('ETHUSDT', { price: '3500.2' });
    await vi.waitFor(() => expect(joiner.quotes('j').at(-1)).toMatchObject({ symbol: 'ETHUSDT', price: '3500.2' }));
    await vi.waitFor(() => expect(first.quotes('1')).toHaveLength(base + 4));
    expect(
      first
        .quotes('1')
        .slice(base)
        .map((q) => q.price),
    ).toEqual(['97000.1', '3500.1', '97000.2', '3500.2']);
  });

  it('groups of one shape on different symbol sets share one listener per symbol (a lane); each still gets every tick once, in order', async () => {
    const stack = await startStack();
    // listeners on the in-memory bus, per symbol (the lanes are there to keep this at one per kind of stream)
    const listeners = (symbol: string) => (stack.server.feed as unknown as { bus: { topics: Map<string, Set<unknown>> } }).bus.topics.get(symbol)?.size ?? 0;
    const a = await connect(stack);
    const b = await connect(stack);
    a.subscribe('a', QUOTES(), { symbols: ['AAPL.US', 'MSFT.US'], depth: 1 });
    b.subscribe('b', QUOTES(), { symbols: ['AAPL.US', 'NVDA.US'], depth: 1 }); // another set: another group
    b.subscribe('t', QUOTES(), { symbols: ['AAPL.US'], depth: 0 }); // another depth: another lane
    await vi.waitFor(() => expect(tradeList(stack, 'stock')).toEqual(['AAPL.US', 'MSFT.US', 'NVDA.US']));
    const base = {
      a: await a.firstEvents('a', ['AAPL.US', 'MSFT.US']),
      b: await b.firstEvents('b', ['AAPL.US', 'NVDA.US']),
      t: await b.firstEvents('t', ['AAPL.US']),
    };
    expect(stack.server.fanout.stats()).toMatchObject({ groups: 3, members: 3 });

    // a burst (one upstream read): the streams hand AAPL.US over to its lanes in the middle of it, then a second burst
    const prices = ['1.01', '1.02', '1.03', '1.04', '1.05', '1.06'];
    for (const price of prices.slice(0, 3)) stack.sim.pushTrade('AAPL.US', { price });
    const aapl = (client: GqlWsClient, id: keyof typeof base) =>
      client
        .quotes(id)
        .slice(base[id])
        .filter((q) => q.symbol === 'AAPL.US')
        .map((q) => q.price);
    await vi.waitFor(() => expect(aapl(a, 'a')).toHaveLength(3));
    for (const price of prices.slice(3)) stack.sim.pushTrade('AAPL.US', { price });
    await vi.waitFor(() => {
      expect(aapl(a, 'a')).toEqual(prices);
      expect(aapl(b, 'b')).toEqual(prices);
      expect(aapl(b, 't')).toEqual(prices);
    });
    expect(listeners('AAPL.US')).toBe(2); // one lane per depth, not one listener per group

    a.complete('a');
    await vi.waitFor(() => expect(stack.server.fanout.stats()).toMatchObject({ groups: 2, members: 2 }));
    stack.sim.pushTrade('AAPL.US', { price: '1.07' });
    await vi.waitFor(() => expect(aapl(b, 'b')).toEqual([...prices, '1.07']));
    expect(aapl(b, 't')).toEqual([...prices, '1.07']);
    b.complete('b');
    b.complete('t');
    await vi.waitFor(() => expect(stack.server.fanout.stats()).toMatchObject({ groups: 0, members: 0 }));
    expect(listeners('AAPL.US')).toBe(0);
  });

  it('an upstream capacity error reaches every member of the group as a graphql-ws error; other groups carry on', async () => {
    const stack = await startStack({ env: { ALLTICK_PLAN: 'free' }, sim: { plan: 'free' } });
    const ok = await connect(stack);
    ok.subscribe('ok', QUOTES(), { symbols: ['EURUSD'], depth: 1 });
    await vi.waitFor(() => expect(tradeList(stack, 'quote')).toEqual(['EURUSD']));

    const six = ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'AMZN.US', 'META.US'];
    const a = await connect(stack);
    const b = await connect(stack);
    a.subscribe('x', QUOTES(), { symbols: six, depth: 1 });
    b.subscribe('y', QUOTES(), { symbols: [...six].reverse(), depth: 1 });
    await vi.waitFor(() => {
      expect(a.of('x', 'error')[0]?.payload[0]?.extensions?.code).toBe('UPSTREAM_CAPACITY');
      expect(b.of('y', 'error')[0]?.payload[0]?.extensions?.code).toBe('UPSTREAM_CAPACITY');
    });
    stack.sim.pushTrade('EURUSD', { price: '1.0850' });
    await vi.waitFor(() => expect(ok.quotes('ok').at(-1)?.price).toBe('1.0850'));
    expect(stack.server.fanout.stats()).toMatchObject({ groups: 1, members: 1 });
  });
  it('an unexpected failure of a group reaches its members masked, as Yoga masks it, and is logged with its cause', async () => {
    const lines: string[] = [];
    const logger = createLogger('error', 'test', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    const stack = await startStack({ logger });
    // the group's source fails as it starts, with an error that is not the client's business
    stack.server.feed.watch = () => {
      throw new Error('kaput: internal detail');
    };
    const a = await connect(stack);
    const b = await connect(stack);
    a.subscribe('x', QUOTES(), { symbols: ['AAPL.US'], depth: 1 });
    b.subscribe('y', QUOTES(), { symbols: ['AAPL.US'], depth: 1 });
    await vi.waitFor(() => {
      expect(a.of('x', 'error')[0]?.payload).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
      expect(b.of('y', 'error')[0]?.payload).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
    });
    expect(JSON.stringify([a.messages, b.messages])).not.toContain('kaput');
    expect(lines.join('')).toContain('kaput: internal detail');
  });
});

describe('conflation by request (throttleMs)', () => {
  it('passes the latest value per symbol at most once per interval, marked conflated; without it every update arrives', async () => {
    const stack = await startStack();
    const c = await connect(stack);
    c.subscribe('throttled', QUOTES('symbol price conflated'), { symbols: ['EURUSD'], depth: 1, throttleMs: 1000 });
    c.subscribe('every', QUOTES('symbol price conflated'), { symbols: ['EURUSD'], depth: 1 });
    await vi.waitFor(() => expect(tradeList(stack, 'quote')).toEqual(['EURUSD']));
    await vi.waitFor(() => expect(stack.server.fanout.stats().groups).toBe(2));
    const base = await c.firstEvents('every', ['EURUSD']);
    await c.firstEvents('throttled', ['EURUSD']);
    await elapse(1100, 'the throttle interval of the snapshot ends');

    const prices = Array.from({ length: 10 }, (_, i) => `1.08${String(i).padStart(3, '0')}`);
    for (const price of prices) stack.sim.pushTrade('EURUSD', { price });

    await vi.waitFor(() =>
      expect(
        c
          .quotes('every')
          .slice(base)
          .map((q) => q.price),
      ).toEqual(prices),
    );
    expect(c.quotes('every').every((q) => q.conflated === false)).toBe(true);
    await vi.waitFor(() => expect(c.quotes('throttled').at(-1)).toEqual({ symbol: 'EURUSD', price: prices.at(-1), conflated: true }), { timeout: 5000 });
    // the first update at once, then only the latest when the interval ended
    expect(c.quotes('throttled').slice(1)).toEqual([
      { symbol: 'EURUSD', price: prices[0], conflated: false },
      { symbol: 'EURUSD', price: prices.at(-1), conflated: true },
    ]);
  });

  it('works the same over SSE (the ordinary, ungrouped path)', async () => {
    const stack = await startStack();
    // connected first, so no in-band FEED_UP event comes before the trades
    await vi.waitFor(() => expect(stack.server.upstream.connected).toBe(true));
    type R = { data?: { quotes: { symbol: string; price: string; conflated: boolean } } };
    const sub = collect<R>(
      sseClient(stack).iterate({
        query: QUOTES('symbol price conflated'),
        variables: { symbols: ['GOLD'], depth: 1, throttleMs: 1000 },
      }) as AsyncIterableIterator<R>,
    );
    await vi.waitFor(() => expect(tradeList(stack, 'quote')).toEqual(['GOLD']));
    await vi.waitFor(() => expect(sub.items).toHaveLength(1)); // the cold symbol's SNAPSHOT
    await elapse(1100, 'the throttle interval of the snapshot ends');
    const prices = Array.from({ length: 10 }, (_, i) => `2650.${String(i).padStart(2, '0')}`);
    for (const price of prices) stack.sim.pushTrade('GOLD', { price });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toEqual({ symbol: 'GOLD', price: prices.at(-1), conflated: true }), { timeout: 5000 });
    expect(sub.items.slice(1).map((r) => r.data?.quotes.price)).toEqual([prices[0], prices.at(-1)]);
    expect(stack.server.fanout.stats().groups).toBe(0);
  });

  it('rejects a bad throttleMs with an error naming the value', async () => {
    const stack = await startStack();
    const c = await connect(stack);
    c.subscribe('bad', QUOTES(), { symbols: ['EURUSD'], throttleMs: -5 });
    await vi.waitFor(() => expect(c.nexts('bad')[0]?.errors?.[0]?.message).toMatch(/invalid throttleMs -5/));
    await vi.waitFor(() => expect(c.of('bad', 'complete')).toHaveLength(1));
    expect(stack.server.feed.manager.leaseCount).toBe(0);
  });
});

describe('slow consumers', () => {
  it('a client that stops reading falls behind and is conflated to the latest values; the others keep receiving every event', async () => {
    const stack = await startStack({ env: { SLOW_CONSUMER_BUFFER_BYTES: '16384' } });
    const fields = 'symbol seq conflated bids { price volume } asks { price volume }';
    const fast = [await connect(stack), await connect(stack)];
    const slow = await connect(stack);
    for (const c of [...fast, slow]) c.subscribe('q', QUOTES(fields), { symbols: ['700.HK'], depth: 10 });
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.depthList).toEqual([{ code: '700.HK', depth_level: 10 }]));
    await vi.waitFor(() => expect(stack.server.fanout.stats().members).toBe(3));
    const base = await Promise.all(fast.map((c) => c.firstEvents('q', ['700.HK'])));
    const seqsOf = (i: number) =>
      fast[i]!.quotes('q')
        .slice(base[i])
        .map((q) => q.seq);

    const before = { ...fanoutCounters };
    slow.ws.pause(); // stops reading: its kernel buffers fill, then the server's
    const seqs: string[] = [];
    // push in batches until the slow one is behind (bounded), then some more
    for (let batch = 0; batch < 50 && fanoutCounters.fellBehind === before.fellBehind; batch++) {
      for (let i = 0; i < 400; i++) seqs.push(stack.sim.pushDepth('700.HK').data.seq);
      // the readers keep up with every batch while the slow one does not read at all
      await vi.waitFor(() => fast.forEach((c) => expect(c.quotes('q').at(-1)?.seq).toBe(seqs.at(-1))), { timeout: 10_000, interval: 10 });
    }
    expect(fanoutCounters.fellBehind).toBeGreaterThan(before.fellBehind);
    for (let i = 0; i < 50; i++) seqs.push(stack.sim.pushDepth('700.HK').data.seq);
    await vi.waitFor(() => fast.forEach((_, i) => expect(seqsOf(i)).toEqual(seqs)), { timeout: 10_000 });
    expect(fast.every((c) => c.quotes('q').every((q) => q.conflated === false))).toBe(true);
    expect(fanoutCounters.droppedUpdates).toBeGreaterThan(before.droppedUpdates);

    slow.ws.resume();
    await vi.waitFor(() => expect(slow.quotes('q').at(-1)?.seq).toBe(seqs.at(-1)), { timeout: 10_000 });
    const received = slow.quotes('q');
    expect(received.length).toBeLessThan(seqs.length); // it got the latest value, not the backlog
    expect(received.at(-1)?.conflated).toBe(true);
    expect(received.at(-1)?.bids).toHaveLength(10);
    expect(fanoutCounters.evictions).toBe(before.evictions); // quotes degrade, they are not evicted
    await vi.waitFor(() => expect(stack.server.fanout.stats().behindConnections).toBe(0));
  });

  it('a client that stops reading a stream where every event matters (trades) is evicted with 4008; the others keep every trade', async () => {
    const stack = await startStack({ env: { SLOW_CONSUMER_BUFFER_BYTES: '16384', SLOW_CONSUMER_EVICT_MS: '300' } });
    const TRADES = 'subscription T($symbols: [String!]!) { trades(symbols: $symbols) { symbol price seq } }';
    const fast = await connect(stack);
    const slow = await connect(stack);
    for (const c of [fast, slow]) c.subscribe('t', TRADES, { symbols: ['BTCUSDT'] });
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['BTCUSDT']));
    await vi.waitFor(() => expect(stack.server.fanout.stats().members).toBe(2));

    const before = { ...fanoutCounters };
    slow.ws.pause();
    // resume as soon as it is evicted, so it reads its backlog and then the close frame (a client that
    // never reads is dropped 2 s after the close frame, and would see 1006)
    const resumeOnEviction = setInterval(() => fanoutCounters.evictions > before.evictions && slow.ws.resume(), 5);
    const seqs: string[] = [];
    const tradesOf = (c: GqlWsClient) => c.nexts('t').map((p) => p.data?.trades.seq as string);
    // push in batches (bounded) until the slow one is evicted; trade frames are small, so batches are big
    for (let batch = 0; batch < 40 && fanoutCounters.evictions === before.evictions; batch++) {
      for (let i = 0; i < 2000; i++) seqs.push(stack.sim.pushTrade('BTCUSDT').data.seq);
      await vi.waitFor(() => expect(tradesOf(fast).at(-1)).toBe(seqs.at(-1)), { timeout: 10_000, interval: 10 });
      await elapse(50, 'the eviction timer runs between batches');
    }
    expect(fanoutCounters.evictions).toBeGreaterThan(before.evictions);
    const { code, reason } = await slow.closed;
    clearInterval(resumeOnEviction);
    expect(code).toBe(4008);
    expect(reason).toMatch(/slow consumer/);
    expect(fanoutCounters.evictions).toBeGreaterThan(before.evictions);
    expect(tradesOf(fast)).toEqual(seqs); // every trade, in order, nothing merged
    await vi.waitFor(() => expect(stack.server.fanout.stats().members).toBe(1));
  });
});
