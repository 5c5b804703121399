/**
 * The clients people use, as the README's recipes set them up: Apollo Client (automatic persisted
 * queries over HTTP, GraphQLWsLink for subscriptions, BatchHttpLink, an InMemoryCache holding a
 * depth-1 and a depth-10 view of one symbol) and urql.
 */
import { createHash } from 'node:crypto';
import { Kind, OperationTypeNode } from 'graphql';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client as UrqlClient, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispose, startStack, type Stack } from '../../support/helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { ticksPerSecond: 20 } });
});
afterAll(() => dispose());

const sha256 = (query: string) => createHash('sha256').update(query).digest('hex');

/** fetch that records what was sent */
function recordingFetch() {
  const sent: { method: string; body: unknown; url: string }[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    sent.push({ url: String(input), method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : null });
    return fetch(input, init);
  };
  return { sent, fetchFn };
}

interface BoardData {
  quote: { id: string; symbol: string; price: string | null; bids: { price: string; volume: string }[] };
}
interface BoardVars {
  symbol: string;
  depth: number;
}

const BOARD: TypedDocumentNode<BoardData, BoardVars> = gql`
  query Board($symbol: String!, $depth: Int!) {
    quote(symbol: $symbol, depth: $depth) {
      id
      symbol
      price
      bids {
        price
        volume
      }
    }
  }
`;

describe('Apollo Client', () => {
  function apollo(fetchFn: typeof fetch) {
    const wsClient = createWsClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const http = new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: stack.url, fetch: fetchFn }));
    const link = ApolloLink.split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
      },
      new GraphQLWsLink(wsClient),
      http,
    );
    return { client: new ApolloClient({ link, cache: new InMemoryCache() }), wsClient };
  }

  it('automatic persisted queries: the hash alone once the server has seen the query', async () => {
    const first = recordingFetch();
    const { client, wsClient } = apollo(first.fetchFn);
    const result = await client.query({ query: BOARD, variables: { symbol: 'AAPL.US', depth: 1 } });
    expect(result.data?.quote).toMatchObject({ id: 'AAPL.US:1', symbol: 'AAPL.US' });
    // hash only → PERSISTED_QUERY_NOT_FOUND → hash and query
    expect(first.sent.map((s) => (s.body as { query?: string }).query === undefined)).toEqual([true, false]);

    const second = recordingFetch();
    const other = apollo(second.fetchFn);
    await other.client.query({ query: BOARD, variables: { symbol: 'MSFT.US', depth: 1 } });
    expect(second.sent).toHaveLength(1); // the server knew the hash
    expect((second.sent[0]!.body as { query?: string }).query).toBeUndefined();
    await wsClient.dispose();
    await other.wsClient.dispose();
  });

  it('one cache keeps a depth-1 and a depth-10 view of the same symbol apart', async () => {
    const { client, wsClient } = apollo(fetch);
    const shallow = await client.query({ query: BOARD, variables: { symbol: '700.HK', depth: 1 } });
    const deep = await client.query({ query: BOARD, variables: { symbol: '700.HK', depth: 10 } });
    expect(shallow.data?.quote.bids.length).toBe(1);
    expect(deep.data?.quote.bids.length).toBeGreaterThan(1);
    // read back from the cache: each view as it was asked
    expect(client.readQuery({ query: BOARD, variables: { symbol: '700.HK', depth: 1 } })?.quote.bids).toHaveLength(1);
    expect(client.readQuery({ query: BOARD, variables: { symbol: '700.HK', depth: 10 } })?.quote.bids.length).toBe(deep.data?.quote.bids.length);
    expect(Object.keys(client.cache.extract() as object)).toEqual(expect.arrayContaining(['Quote:700.HK:1', 'Quote:700.HK:10']));
    await wsClient.dispose();
  });

  it('subscriptions through GraphQLWsLink', async () => {
    const { client, wsClient } = apollo(fetch);
    const prices: string[] = [];
    const subscription = client
      .subscribe({
        query: gql`
          subscription {
            quotes(symbols: ["BTCUSDT"], depth: 1) {
              id
              symbol
              price
            }
          }
        `,
      })
      .subscribe({ next: (r) => prices.push((r.data as { quotes: { price: string } }).quotes.price) });
    await vi.waitFor(() => expect(prices.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    subscription.unsubscribe();
    await wsClient.dispose();
  });

  it('BatchHttpLink: several queries in one POST', async () => {
    const recorded = recordingFetch();
    const client = new ApolloClient({ link: new BatchHttpLink({ uri: stack.url, fetch: recorded.fetchFn, batchInterval: 20 }), cache: new InMemoryCache() });
    const [a, b] = await Promise.all([
      client.query({ query: BOARD, variables: { symbol: 'AAPL.US', depth: 1 } }),
      client.query({ query: BOARD, variables: { symbol: 'EURUSD', depth: 2 } }),
    ]);
    expect(a.data?.quote.id).toBe('AAPL.US:1');
    expect(b.data?.quote.id).toBe('EURUSD:2');
    expect(recorded.sent).toHaveLength(1);
    expect(recorded.sent[0]!.body).toHaveLength(2);
  });
});

describe('urql', () => {
  it('queries over fetch and subscriptions over graphql-ws', async () => {
    const wsClient = createWsClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const client = new UrqlClient({
      url: stack.url,
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: wsClient.subscribe({ ...request, query: request.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    const result = await client.query('query ($s: String!) { quote(symbol: $s, depth: 1) { id symbol price } }', { s: 'GOLD' }).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data?.quote).toMatchObject({ id: 'GOLD:1', symbol: 'GOLD' });

    const prices: string[] = [];
    const { unsubscribe } = client
      .subscription('subscription { quotes(symbols: ["ETHUSDT"], depth: 1) { id price } }', {})
      .subscribe((r) => r.data && prices.push(r.data.quotes.price));
    await vi.waitFor(() => expect(prices.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    unsubscribe();
    await wsClient.dispose();
  });
});
