/**
 * The slow-consumer policy of one connection (src/http/fanout/outbox.ts) on real sockets: a
 * client that stops reading is evicted with 4008 when it carries streams where every event
 * matters, and only held back (never evicted by the policy) when all its streams can be conflated.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import { Outbox, OutboxPool, SLOW_CONSUMER_CLOSE_CODE, fanoutCounters, type OutboxMember } from '../../../../src/http/fanout/outbox.js';
import { nextHead, SharedPayload } from '../../../../src/http/fanout/frame.js';
import { quietFor } from '../../../support/time.js';
import { DeliveryMetrics } from '../../../../src/metrics/delivery-metrics.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

async function pair(policy = { bufferBytes: 16 * 1024, evictMs: 300 }) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => wss.close());
  const serverSide = new Promise<[WebSocket, IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
  await new Promise((resolve) => wss.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  cleanups.push(() => client.terminate());
  await new Promise((resolve) => client.once('open', resolve));
  const [socket, request] = await serverSide;
  const outbox = new OutboxPool(policy, new DeliveryMetrics()).outboxFor(socket, request.socket);
  return { client, socket, tcp: request.socket, outbox };
}

function member(conflatable: boolean) {
  const m = { conflatable, flush: vi.fn<() => void>(), evicted: vi.fn<() => void>() };
  return m satisfies OutboxMember;
}

/** Writes 1 KiB frames until the connection is behind (bounded); yields now and then so the kernel buffers fill. */
async function fillUntilBehind(outbox: Outbox) {
  const frame = 'x'.repeat(1024);
  for (let i = 0; i < 20_000 && !outbox.behind; i++) {
    outbox.send(frame);
    if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve)); // a turn ends: the outbox uncorks and checks
  }
  expect(outbox.behind).toBe(true);
}

describe('slow-consumer outbox', () => {
  it('evicts a stalled connection carrying an every-event stream with 4008 and a reason, once it stays behind past evictMs', async () => {
    const { client, outbox } = await pair();
    const strict = member(false);
    outbox.members.add(strict);
    const evictionsBefore = fanoutCounters.evictions;
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    client.pause();

    await fillUntilBehind(outbox);
    const behindAt = Date.now();
    await vi.waitFor(() => expect(strict.evicted).toHaveBeenCalledOnce(), { timeout: 3000 });
    expect(Date.now() - behindAt).toBeGreaterThanOrEqual(250);
    expect(fanoutCounters.evictions).toBe(evictionsBefore + 1);
    outbox.send('after eviction'); // ignored

    client.resume(); // reads the backlog, then the close frame
    const { code, reason } = await closed;
    expect(code).toBe(SLOW_CONSUMER_CLOSE_CODE);
    expect(reason).toMatch(/^slow consumer: /);
  });

  it('never evicts a connection whose streams can all be conflated; it catches up and is told to flush', async () => {
    const { client, socket, outbox } = await pair({ bufferBytes: 16 * 1024, evictMs: 100 });
    const quotes = member(true);
    outbox.members.add(quotes);
    client.pause();
    await fillUntilBehind(outbox);
    await quietFor(400, 'no eviction, well past evictMs');
    expect(quotes.evicted).not.toHaveBeenCalled();
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(quotes.flush).not.toHaveBeenCalled();

    client.resume();
    await vi.waitFor(() => expect(quotes.flush).toHaveBeenCalledOnce(), { timeout: 5000 });
    expect(outbox.behind).toBe(false);
  });

  it('writes the first frame of a turn at once and gathers the rest of the turn into one write', async () => {
    const { client, tcp, outbox } = await pair();
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));
    const to = { id: '1', head: nextHead('1') };
    const frame = (n: number) => new SharedPayload(`{"data":{"n":${n}}}`);

    expect(outbox.sendNext(frame(1), to)).toBe(true);
    expect(tcp.writableCorked).toBe(0); // already handed to the kernel, not waiting for the turn
    expect(tcp.writableLength).toBe(0);
    outbox.sendNext(frame(2), to);
    outbox.sendNext(frame(3), to);
    expect(tcp.writableCorked).toBe(1); // the rest of the turn waits for its end, together
    await new Promise((resolve) => process.nextTick(resolve));
    expect(tcp.writableCorked).toBe(0);
    outbox.sendNext(frame(4), to); // a new turn: at once again
    expect(tcp.writableCorked).toBe(0);

    await vi.waitFor(() => expect(received).toHaveLength(4));
    expect(received).toEqual([1, 2, 3, 4].map((n) => `{"id":"1","type":"next","payload":{"data":{"n":${n}}}}`));
  });
});
