/**
 * A group over a source without direct delivery (iterated), on a small schema of its own:
 * per-id frames, a member leaving, replay for a joiner, and the group's end — completion and
 * failure reach every member's iterator, which is what graphql-ws turns into `complete` / `error`.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionArgs,
} from 'graphql';
import { Repeater } from 'graphql-yoga';
import { sharedOperation } from '../../../../src/http/fanout/operation-key.js';
import { FanoutRegistry } from '../../../../src/http/fanout/registry.js';
import { sharedStream } from '../../../../src/stream/shared-streams.js';
import { DeliveryMetrics } from '../../../../src/metrics/delivery-metrics.js';

interface Tick {
  key: string;
  n: number;
  conflated?: boolean;
}

const ticksStream = sharedStream<Tick>({
  setArgs: ['keys'],
  keyOf: (t) => t.key,
  replayLatest: true,
  conflate: { mark: (t, conflated) => ({ ...t, conflated }), isMarked: (t) => t.conflated === true },
});

/** The source of the one group these tests make: pushed by hand. */
let push: (tick: Tick) => Promise<unknown> = async () => undefined;
let stop: (error?: unknown) => void = () => undefined;
let sourcesStarted = 0;
let sourcesStopped = 0;

const TickType = new GraphQLObjectType<Tick>({
  name: 'Tick',
  fields: {
    key: { type: new GraphQLNonNull(GraphQLString) },
    n: { type: new GraphQLNonNull(GraphQLInt) },
    conflated: { type: GraphQLBoolean, resolve: (t) => t.conflated === true },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: new GraphQLNonNull(TickType),
        args: { keys: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) } },
        extensions: ticksStream,
        subscribe: () =>
          new Repeater<Tick>(async (p, s) => {
            sourcesStarted++;
            push = p;
            stop = s;
            await s;
            sourcesStopped++;
          }),
        resolve: (t: Tick) => t,
      },
    },
  }),
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

async function connection() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => wss.close());
  const accepted = new Promise<[WebSocket, import('node:http').IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
  await new Promise((resolve) => wss.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  cleanups.push(() => client.terminate());
  const frames: { id: string; type: string; payload: { data: { ticks: Tick } } }[] = [];
  client.on('message', (data) => frames.push(JSON.parse(String(data))));
  const [socket, request] = await accepted;
  return { socket, request, frames, of: (id: string) => frames.filter((f) => f.id === id).map((f) => f.payload.data.ticks) };
}

const QUERY = 'subscription($k: [String!]!) { ticks(keys: $k) { key n conflated } }';

async function join(registry: FanoutRegistry, target: Awaited<ReturnType<typeof connection>>, id: string, keys: string[]) {
  const args: ExecutionArgs = { schema, document: parse(QUERY), variableValues: { k: keys } };
  const op = sharedOperation(args, '')!;
  const member = (await registry.join(args, op, { socket: target.socket, request: target.request, id })) as AsyncIterableIterator<never>;
  const next = member.next(); // what graphql-ws does first: the member joins now
  return { member, next };
}

describe('a group over an iterated source', () => {
  it('shares one source; each id gets its frames; a joiner gets the latest per key first; completion ends every member', async () => {
    const registry = new FanoutRegistry({ policy: { bufferBytes: 1 << 20, evictMs: 1000 }, metrics: new DeliveryMetrics() });
    const conn = await connection();
    const a = await join(registry, conn, 'a', ['x', 'y']);
    const b = await join(registry, conn, 'b', ['y', 'x']);
    await vi.waitFor(() => expect(sourcesStarted).toBe(1));
    expect(registry.stats()).toMatchObject({ groups: 1, members: 2 });

    await push({ key: 'x', n: 1 });
    await push({ key: 'y', n: 2 });
    await push({ key: 'x', n: 3 });
    await vi.waitFor(() => expect(conn.of('a')).toHaveLength(3));
    await vi.waitFor(() => expect(conn.of('b')).toHaveLength(3));
    expect(conn.of('a')).toEqual([
      { key: 'x', n: 1, conflated: false },
      { key: 'y', n: 2, conflated: false },
      { key: 'x', n: 3, conflated: false },
    ]);
    expect(conn.of('b')).toEqual(conn.of('a'));

    const c = await join(registry, conn, 'c', ['x', 'y']);
    await vi.waitFor(() => expect(conn.of('c')).toHaveLength(2));
    expect(conn.of('c')).toEqual([
      { key: 'x', n: 3, conflated: false },
      { key: 'y', n: 2, conflated: false },
    ]);

    await a.member.return?.();
    await expect(a.next).resolves.toEqual({ done: true, value: undefined });
    await push({ key: 'y', n: 4 });
    await vi.waitFor(() => expect(conn.of('c').at(-1)).toEqual({ key: 'y', n: 4, conflated: false }));
    expect(conn.of('a')).toHaveLength(3);
    expect(sourcesStarted).toBe(1);

    stop(); // the source completes
    await expect(b.next).resolves.toEqual({ done: true, value: undefined });
    await expect(c.next).resolves.toEqual({ done: true, value: undefined });
    expect(registry.stats()).toEqual({ groups: 0, members: 0, shapes: 0, behindConnections: 0 });
  });

  it('a failing source fails every member with its error, masked and logged as Yoga would; the last member leaving stops the source', async () => {
    const logged: unknown[] = [];
    const logger = { error: (object: unknown) => void logged.push(object) };
    const registry = new FanoutRegistry({ policy: { bufferBytes: 1 << 20, evictMs: 1000 }, metrics: new DeliveryMetrics(), logger });
    const conn = await connection();
    const before = { started: sourcesStarted, stopped: sourcesStopped };
    const a = await join(registry, conn, 'a', ['x']);
    const b = await join(registry, conn, 'b', ['x']);
    await vi.waitFor(() => expect(sourcesStarted).toBe(before.started + 1));
    const failure = new Error('upstream rejected x');
    stop(failure);
    // graphql-ws iterates members unwrapped (no envelop masking layer): the group masks, once for all
    const masked = await a.next.catch((error: unknown) => error);
    expect(masked).toBeInstanceOf(GraphQLError);
    expect(masked).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    await expect(b.next).rejects.toBe(masked);
    expect(logged).toEqual([{ err: failure }]);
    expect(registry.stats().groups).toBe(0);

    const c = await join(registry, conn, 'c', ['x']); // a fresh group
    await vi.waitFor(() => expect(sourcesStarted).toBe(before.started + 2));
    await c.member.return?.();
    await vi.waitFor(() => expect(sourcesStopped).toBe(before.stopped + 2));
    expect(registry.stats()).toEqual({ groups: 0, members: 0, shapes: 0, behindConnections: 0 });
  });
});
