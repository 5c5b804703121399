/**
 * graphql-ws operation ids (issue 12, finding 3): an id the client has not completed is in use, so
 * a second subscribe with it is refused with 4409 as the protocol says; an id the client has
 * completed is free again at once, and a subscribe reusing it runs once the server has finished
 * the old one, never beside it. Every path that ends a subscription gives back its feed lease, its
 * upstream symbol and the active-subscriptions gauge. Frames go out in one TCP write, as an
 * attacker (or a client switching symbols under one id) sends them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispose, startStack, type Stack } from '../../support/helpers.js';
import { closeAll, GqlWsClient } from '../../support/gql-ws-client.js';
import { metricSum } from '../../support/metrics.js';

afterEach(async () => {
  await closeAll();
  await dispose();
});

const SHARED = 'subscription { quotes(symbols: ["AAPL.US"]) { symbol price } }';
/** not shareable (different per subscriber): the plain graphql-ws path */
const TRADES = 'subscription { trades(symbols: ["AAPL.US"]) { symbol price } }';

/** how long a subscription may take to start or end, or upstream to take a list, on a loaded machine */
const WAIT = { timeout: 5000 };

type Frame = { id?: string; type: string; payload?: unknown };
const subscribe = (id: string, query: string): Frame => ({ id, type: 'subscribe', payload: { query } });
const complete = (id: string): Frame => ({ id, type: 'complete' });

/** Sends every frame in one TCP write, so the server reads them in one go. */
function sendTogether(client: GqlWsClient, frames: Frame[]): void {
  const tcp = (client.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  tcp.cork();
  for (const frame of frames) client.ws.send(JSON.stringify(frame));
  tcp.uncork();
}

async function expectAllReleased(stack: Stack): Promise<void> {
  await vi.waitFor(
    async () => {
      expect(stack.server.feed.manager.totalRefs).toBe(0);
      expect(stack.server.fanout.stats()).toMatchObject({ groups: 0, members: 0 });
      expect(await metricSum(stack, 'alltick_subscriptions_active')).toBe(0);
    },
    { timeout: 3000 },
  );
  // the upstream list empties once the linger is over
  await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList ?? []).toEqual([]), { timeout: 3000 });
}

describe.each([
  ['shared quotes', SHARED],
  ['trades', TRADES],
])('graphql-ws operation ids (%s)', (_name, query) => {
  it('subscribe(x), subscribe(x) in one write: the id is in use, the second is refused with 4409 and nothing is left behind', async () => {
    const stack = await startStack();
    const client = await GqlWsClient.connect(stack.wsUrl);
    sendTogether(client, [subscribe('x', query), subscribe('x', query.replace('AAPL.US', 'MSFT.US'))]);
    expect(await client.closed).toEqual({ code: 4409, reason: 'Subscriber for x already exists' });
    await expectAllReleased(stack); // nothing orphaned, even once the client is gone
    expect(stack.server.feed.manager.refCount('MSFT.US')).toBe(0);
  });

  it('subscribe(x), complete(x), subscribe(x) in one write: the reuse runs once the first has ended, never beside it; closing releases it', async () => {
    const stack = await startStack();
    const client = await GqlWsClient.connect(stack.wsUrl);
    sendTogether(client, [subscribe('x', query), complete('x'), subscribe('x', query.replace('AAPL.US', 'MSFT.US'))]);
    await vi.waitFor(async () => {
      expect(await metricSum(stack, 'alltick_subscriptions_started_total')).toBe(2);
      expect(await metricSum(stack, 'alltick_subscriptions_active')).toBe(1);
      expect(stack.server.feed.manager.refCount('MSFT.US')).toBe(1);
      expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(0);
    }, WAIT);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toContain('MSFT.US'), WAIT);
    stack.sim.pushTrade('MSFT.US', { price: '420.5' });
    await client.message((m) => m.id === 'x' && m.type === 'next' && JSON.stringify(m.payload).includes('420.5'));
    client.ws.close();
    await expectAllReleased(stack);
  });

  it('subscribe(x), complete(x), subscribe(x), complete(x) in one write: nothing is left behind and the connection stays open', async () => {
    const stack = await startStack();
    const client = await GqlWsClient.connect(stack.wsUrl);
    sendTogether(client, [subscribe('x', query), complete('x'), subscribe('x', query), complete('x')]);
    await vi.waitFor(async () => expect(await metricSum(stack, 'alltick_subscriptions_started_total')).toBe(1), WAIT);
    await expectAllReleased(stack);
    expect(await metricSum(stack, 'alltick_subscriptions_started_total')).toBe(1); // the second never ran
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.subscribe('x', query); // x is free
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(1), WAIT);
    expect(await metricSum(stack, 'alltick_subscriptions_started_total')).toBe(2);
    client.complete('x');
    await expectAllReleased(stack);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('subscribe(x), complete(x) in one write ends the subscription; x can then be used again', async () => {
    const stack = await startStack();
    const client = await GqlWsClient.connect(stack.wsUrl);
    sendTogether(client, [subscribe('x', query), complete('x')]);
    // the server has run the subscribe through (only then is x free again), not merely not begun it
    await vi.waitFor(async () => expect(await metricSum(stack, 'alltick_subscriptions_started_total')).toBe(1));
    await expectAllReleased(stack);
    client.subscribe('x', query);
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(1));
    client.complete('x');
    await expectAllReleased(stack);
  });

  it('a running subscription: complete(x), subscribe(x) in one write replaces it (a client switching symbols under one id)', async () => {
    const stack = await startStack();
    const client = await GqlWsClient.connect(stack.wsUrl);
    client.subscribe('x', query);
    await vi.waitFor(async () => expect(await metricSum(stack, 'alltick_subscriptions_active')).toBe(1));
    sendTogether(client, [complete('x'), subscribe('x', query.replace('AAPL.US', 'MSFT.US'))]);
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('MSFT.US')).toBe(1), WAIT);
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('AAPL.US')).toBe(0), WAIT);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toContain('MSFT.US'), WAIT);
    stack.sim.pushTrade('MSFT.US', { price: '420.5' });
    await client.message((m) => m.id === 'x' && m.type === 'next' && JSON.stringify(m.payload).includes('420.5'));
    client.complete('x');
    await expectAllReleased(stack);
  });

  it('the socket closing right after subscribe (same write), while a reuse waits, or mid-way releases everything', async () => {
    const stack = await startStack();
    const first = await GqlWsClient.connect(stack.wsUrl);
    sendTogether(first, [subscribe('a', query), subscribe('b', query), complete('b'), subscribe('b', query)]);
    first.ws.terminate();
    const second = await GqlWsClient.connect(stack.wsUrl);
    second.subscribe('a', query);
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('AAPL.US')).toBeGreaterThan(0));
    second.ws.close();
    await expectAllReleased(stack);
  });
});
