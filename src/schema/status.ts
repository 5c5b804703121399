/** Feed status: `Query.feedStatus` and `Subscription.feedStatus` (current state first, then every change). */
import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { UpstreamErrorInfo } from '../feed/alltick/connection.js';
import type { RestStatus } from '../feed/alltick/rest.js';
import type { ConnectionStatusView, FeedStatus, WaitingListView } from '../feed/status.js';
import { builder } from './builder.js';
import { EndpointEnum } from './symbols.js';

const ConnectionStateEnum = builder.enumType('ConnectionState', {
  values: {
    IDLE: { value: 'idle' },
    CONNECTING: { value: 'connecting' },
    CONNECTED: { value: 'connected' },
    DISCONNECTED: { value: 'disconnected' },
    STOPPED: { value: 'stopped' },
  } as const,
});

const UpstreamErrorRef = builder.objectRef<UpstreamErrorInfo>('UpstreamError').implement({
  description: 'An error AllTick answered: a `ret` other than 200, or an HTTP status when connecting.',
  fields: (t) => ({
    ret: t.exposeInt('ret', { description: 'AllTick ret code (401, 600, 603, 604, 605, 606…) or HTTP status (401, 429…).' }),
    message: t.exposeString('message'),
    at: t.expose('at', { type: 'DateTime' }),
    operation: t.exposeString('operation', { description: 'What failed: connect, heartbeat, trade, depth, cancel or connection.' }),
    codes: t.exposeStringList('codes', { description: 'The symbols of a rejected subscribe request.' }),
  }),
});

const WaitingListRef = builder.objectRef<WaitingListView>('WaitingList').implement({
  description:
    "A list of a connection that differs from what AllTick holds and waits for a slot of the token's subscribe budget (one request per ALLTICK_SUBSCRIBE_GAP_MS across the token's connections, the longest-waiting list first).",
  fields: (t) => ({
    list: t.exposeString('list', { description: '`trades` (22004) or `depth` (22002).' }),
    symbols: t.exposeStringList('symbols', {
      description: 'Symbols wanted on the list that AllTick does not hold yet (empty when only removals or depths wait).',
    }),
    since: t.expose('since', { type: 'DateTime', description: 'Since when it waits.' }),
    expectedAt: t.expose('expectedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Roughly when it goes: its place in the queue times the gap. Null while its connection cannot send (e.g. reconnecting).',
    }),
  }),
});

const UpstreamConnectionRef = builder.objectRef<ConnectionStatusView>('UpstreamConnection').implement({
  description: 'One WebSocket connection to AllTick.',
  fields: (t) => ({
    endpoint: t.expose('endpoint', { type: EndpointEnum }),
    index: t.exposeInt('index', { description: 'Position among the connections of this endpoint.' }),
    state: t.expose('state', { type: ConnectionStateEnum }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it is not connected, when it is not.' }),
    since: t.expose('since', { type: 'DateTime', description: 'When it entered its current state.' }),
    reconnects: t.exposeInt('reconnects'),
    resubscribed: t.exposeBoolean('resubscribed', { description: 'True once the current lists are acknowledged after the latest (re)connect.' }),
    lastMessageAt: t.expose('lastMessageAt', { type: 'DateTime', nullable: true, description: 'When the last frame arrived from AllTick.' }),
    lastError: t.expose('lastError', {
      type: UpstreamErrorRef,
      nullable: true,
      description: 'The latest error AllTick answered on this connection; kept after recovery.',
    }),
    trades: t.exposeStringList('trades', { description: 'Symbols on its trade list.' }),
    depth: t.exposeStringList('depth', { description: 'Symbols on its order-book list.' }),
    waiting: t.field({
      type: [WaitingListRef],
      description: 'Its lists waiting for an upstream slot, and roughly when each goes; empty when AllTick holds what is wanted.',
      resolve: (c) => c.waiting,
    }),
  }),
});

const RestStatusRef = builder.objectRef<RestStatus>('RestStatus').implement({
  description: 'The health of the AllTick REST side (snapshots, k-lines).',
  fields: (t) => ({
    paused: t.boolean({
      description: 'True while every REST call waits after rate limiting (HTTP 429, ret 605) or server errors (5xx).',
      resolve: (r) => r.pausedUntil !== null,
    }),
    pausedUntil: t.expose('pausedUntil', { type: 'DateTime', nullable: true }),
    failures: t.exposeInt('failures', { description: 'Rate-limit or server-error answers in a row.' }),
    lastError: t.expose('lastError', { type: UpstreamErrorRef, nullable: true, description: 'The latest failed REST call; kept after recovery.' }),
  }),
});

const FeedStatusRef = builder.objectRef<FeedStatus>('FeedStatus').implement({
  description: 'The state of the upstream AllTick feed.',
  fields: (t) => ({
    connected: t.exposeBoolean('connected', { description: 'True when both endpoints are connected.' }),
    connections: t.field({ type: [UpstreamConnectionRef], resolve: (s) => s.connections }),
    rest: t.field({ type: RestStatusRef, nullable: true, resolve: (s) => s.rest }),
  }),
});

builder.queryField('feedStatus', (t) =>
  t.field({ type: FeedStatusRef, description: 'The state of the upstream feed now.', resolve: (_root, _args, ctx) => ctx.status.status() }),
);

builder.subscriptionField('feedStatus', (t) =>
  t.field({
    type: FeedStatusRef,
    description: 'The state of the upstream feed now, then each time it changes.',
    subscribe: (_root, _args, ctx) =>
      new Repeater<FeedStatus>(async (push, stop) => {
        const unsubscribe = ctx.status.onStatusChange((s) => void push(s));
        void push(ctx.status.status());
        await stop;
        unsubscribe();
      }, new SlidingBuffer(1)),
    resolve: (status: FeedStatus) => status,
  }),
);
