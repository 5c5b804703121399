/** Where graphql-sse clients connect, in either of its modes (Yoga's own SSE stays on /graphql). */
export const GRAPHQL_SSE_PATH = '/graphql/stream';
