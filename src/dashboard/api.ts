/**
 * The dashboard's only way to the server: the public GraphQL API over one graphql-ws socket,
 * the same API every client uses. Queries go over the socket too.
 */
import { createClient, type Client } from 'graphql-ws';

export interface PriceLevel {
  price: string;
  volume: string;
}

export interface Quote {
  symbol: string;
  price: string | null;
  volume: string | null;
  time: string | null;
  seq: string | null;
  bids: PriceLevel[];
  asks: PriceLevel[];
  /** the state this quote shows: sent back as `after` when the subscription resumes */
  cursor: string;
  /** false while the book is not known yet (empty sides then mean "unknown") */
  bookKnown: boolean;
}

export interface SymbolInfo {
  symbol: string;
  name: string;
  market: string;
  maxDepth: number;
  tickSize: string;
}

export interface UpstreamConnection {
  endpoint: string;
  index: number;
  state: string;
  reason: string | null;
  lastMessageAt: string | null;
}

export interface FeedStatus {
  connected: boolean;
  connections: UpstreamConnection[];
}

const SYMBOLS_QUERY = /* GraphQL */ `
  query DashboardSymbols($search: String, $market: Market, $limit: Int) {
    symbols(search: $search, market: $market, limit: $limit) {
      symbol
      name
      market
      maxDepth
      tickSize
    }
  }
`;

const QUOTES_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardQuotes($symbols: [String!]!, $depth: Int, $after: [String!]) {
    quotes(symbols: $symbols, depth: $depth, after: $after) {
      symbol
      price
      volume
      time
      seq
      cursor
      bookKnown
      bids {
        price
        volume
      }
      asks {
        price
        volume
      }
    }
  }
`;

const STATUS_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardFeedStatus {
    feedStatus {
      connected
      connections {
        endpoint
        index
        state
        reason
        lastMessageAt
      }
    }
  }
`;

export interface Api {
  symbols(search: string, market: string | null, limit: number): Promise<SymbolInfo[]>;
  /** Calls `onQuote` for every event until the returned function is called. */
  watchQuotes(symbols: string[], depth: number, onQuote: (q: Quote) => void, onError: (message: string) => void): () => void;
  watchStatus(onStatus: (s: FeedStatus) => void): () => void;
}

export function connectApi(onSocket: (open: boolean) => void): Api {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const client: Client = createClient({
    url,
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    // every failure, a refused connection while the server restarts included, is worth another try
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5000, 300 * 2 ** retries) * (0.75 + Math.random() * 0.5))),
    on: { connected: () => onSocket(true), closed: () => onSocket(false) },
  });

  return {
    async symbols(search, market, limit) {
      const data = await once<{ symbols: SymbolInfo[] }>(client, SYMBOLS_QUERY, { search: search || null, market, limit });
      return data.symbols;
    },
    watchQuotes(symbols, depth, onQuote, onError) {
      // graphql-ws sends this very payload again on every reconnect: with the latest cursors in
      // `after`, a resumed subscription (e.g. after a server restart) sends only what changed
      const variables: { symbols: string[]; depth: number; after?: string[] } = { symbols, depth };
      const cursors = new Map<string, string>();
      return client.subscribe<{ quotes: Quote }>(
        { query: QUOTES_SUBSCRIPTION, variables },
        {
          next: (result) => {
            if (result.errors?.length) onError(result.errors.map((e) => e.message).join('; '));
            if (result.data) {
              cursors.set(result.data.quotes.symbol, result.data.quotes.cursor);
              variables.after = [...cursors.values()];
              onQuote(result.data.quotes);
            }
          },
          error: (error) => onError(messageOf(error)),
          complete: () => {},
        },
      );
    },
    watchStatus(onStatus) {
      return client.subscribe<{ feedStatus: FeedStatus }>(
        { query: STATUS_SUBSCRIPTION },
        { next: (result) => result.data && onStatus(result.data.feedStatus), error: () => {}, complete: () => {} },
      );
    },
  };
}

function once<T>(client: Client, query: string, variables: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let data: T | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) reject(new Error(result.errors.map((e) => e.message).join('; ')));
          else data = result.data as T;
        },
        error: (error) => reject(new Error(messageOf(error))),
        complete: () => (data === undefined ? reject(new Error('no data')) : resolve(data)),
      },
    );
  });
}

function messageOf(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? JSON.stringify(e)).join('; ');
  if (error instanceof Error) return error.message;
  if (typeof CloseEvent !== 'undefined' && error instanceof CloseEvent) return `connection closed (${error.code})`;
  return String(error);
}
