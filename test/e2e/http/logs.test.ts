/**
 * Logs: JSON lines, one per upstream state change, request errors with a request id (echoed in the
 * `x-request-id` header), and never the AllTick token — at debug level, so every line is seen.
 */
import { Writable } from 'node:stream';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { useRequestLog } from '../../../src/http/use-request-log.js';
import { createLogger } from '../../../src/logger.js';
import { dispose, rawSubscribe, startStack, type Stack } from '../../support/helpers.js';

const TOKEN = 'logs-secret-token-91c2';

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const raw: string[] = [];
const lines = () => raw.map((l) => JSON.parse(l) as Line);
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    raw.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ logger: createLogger('debug', 'alltick-graphql', sink), env: { ALLTICK_TOKEN: TOKEN } });
  await vi.waitFor(() => expect(stack.server.upstream.connected).toBe(true));
});
afterAll(async () => {
  await dispose();
  // shutdown lines too: every line is JSON and none holds the token
  expect(raw.length).toBeGreaterThan(10);
  for (const line of raw) {
    expect(() => JSON.parse(line)).not.toThrow();
    expect(line).not.toContain(TOKEN);
  }
});

it('writes one line per upstream state change, with endpoint, state and reason', async () => {
  const from = raw.length;
  stack.sim.refuseConnections(400);
  expect(stack.sim.killConnections({ endpoint: 'quote' })).toBe(1);
  await vi.waitFor(() => expect(stack.server.upstream.connected).toBe(false));
  await vi.waitFor(() => expect(stack.server.upstream.connected).toBe(true), { timeout: 8000 });
  await vi.waitFor(() => expect(stack.server.upstream.statuses.every((s) => s.resubscribed)).toBe(true));

  const status = lines()
    .slice(from)
    .filter((l) => l.msg === 'upstream status');
  expect(status.every((l) => l.endpoint === 'quote' && l.index === 0)).toBe(true); // the stock connection never changed
  const states = status.map((l) => l.state);
  expect(states[0]).toBe('disconnected');
  expect(status[0]?.reason).toEqual(expect.any(String));
  expect(states).toContain('connecting');
  expect(states.at(-1)).toBe('connected');
  // a line for each change: no two consecutive lines repeat a state unless the resubscribed flag changed
  for (let i = 1; i < status.length; i++) {
    const [a, b] = [status[i - 1] as Line, status[i] as Line];
    expect(a.state !== b.state || a.resubscribed !== b.resubscribed).toBe(true);
  }
  // the refused reconnect (HTTP 429 at the upgrade) is visible too
  expect(
    lines()
      .slice(from)
      .some((l) => l.msg === 'upstream rejected a request' && l.ret === 429),
  ).toBe(true);
});

it('logs request errors with the request id the response carries', async () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body });
  const from = raw.length;

  // an execution error, with the client's request id
  const bad = await post(JSON.stringify({ query: '{ quote(symbol: "aapl.us") { price } }' }), { 'x-request-id': 'req-42' });
  expect(bad.headers.get('x-request-id')).toBe('req-42');
  expect(((await bad.json()) as { errors: unknown[] }).errors).toHaveLength(1);

  // a validation error, with a generated id
  const invalid = await post(JSON.stringify({ query: '{ nope }' }));
  const generated = invalid.headers.get('x-request-id');
  expect(generated).toMatch(/^[0-9a-f-]{36}$/);

  // a body that is not JSON: refused before GraphQL runs; an unsafe client id is replaced
  const broken = await post('{"query": ', { 'x-request-id': 'bad id with spaces' });
  expect(broken.status).toBe(400);
  const brokenId = broken.headers.get('x-request-id');
  expect(brokenId).not.toBe('bad id with spaces');

  // a subscription error over graphql-ws, with the id the upgrade request carried
  const { messages } = await rawSubscribe(stack, 'subscription { quotes(symbols: ["BTCUSDT"], depth: 11) { price } }', {}, { 'x-request-id': 'ws-7' });
  await vi.waitFor(() => expect(messages).toContainEqual(expect.objectContaining({ payload: expect.objectContaining({ errors: expect.any(Array) }) })));

  await vi.waitFor(() => {
    const errors = lines().slice(from);
    expect(errors).toContainEqual(
      expect.objectContaining({ msg: 'request error', requestId: 'req-42', transport: 'http', error: expect.stringContaining('invalid symbol "aapl.us"') }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({ msg: 'request error', requestId: generated, phase: 'validate', error: expect.stringContaining('nope') }),
    );
    expect(errors).toContainEqual(expect.objectContaining({ msg: 'request failed', requestId: brokenId, status: 400 }));
    expect(errors).toContainEqual(
      expect.objectContaining({
        msg: 'request error',
        transport: 'graphql-ws',
        requestId: 'ws-7',
        error: expect.stringContaining('invalid depth 11'),
      }),
    );
  });
  // client mistakes are info, not error
  expect(
    lines()
      .slice(from)
      .filter((l) => l.msg === 'request error')
      .every((l) => l.level === 30),
  ).toBe(true);
});

it('logs an unexpected error at error level with its stack, while the client sees it masked', async () => {
  const own: string[] = [];
  const logger = createLogger('info', 'test', new Writable({ write: (c: Buffer, _e, done) => (own.push(c.toString()), done()) }));
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { boom: String }',
      resolvers: {
        Query: {
          boom: () => {
            throw new Error('kaput');
          },
        },
      },
    }),
    plugins: [useRequestLog(logger)],
    logging: false,
  });
  const res = await yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'boom-1' },
    body: JSON.stringify({ query: '{ boom }' }),
  });
  const body = (await res.json()) as { errors: { message: string }[] };
  expect(body.errors[0]?.message).toBe('Unexpected error.');
  expect(res.headers.get('x-request-id')).toBe('boom-1');
  const line = own.map((l) => JSON.parse(l) as Line).find((l) => l.msg === 'request error');
  expect(line).toMatchObject({ level: 50, requestId: 'boom-1', phase: 'execute', path: 'boom', error: 'kaput' });
  expect((line?.err as { stack: string }).stack).toContain('kaput');
});
