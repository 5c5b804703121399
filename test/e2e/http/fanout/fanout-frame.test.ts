/**
 * Shared `next` frames (src/http/fanout/frame.ts): one payload encoded once, framed once per
 * operation id, and the very same bytes written to every socket with that id — read back by real
 * ws clients (small, 16-bit and 64-bit lengths, non-ASCII text), through the connection's outbox.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { nextHead, SharedPayload, type NextAddress } from '../../../../src/http/fanout/frame.js';
import { OutboxPool } from '../../../../src/http/fanout/outbox.js';
import { DeliveryMetrics } from '../../../../src/metrics/delivery-metrics.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const address = (id: string): NextAddress => ({ id, head: nextHead(id) });

/** `n` server-side outboxes, each with a real client that collects the text messages it gets. */
async function clients(n: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => wss.close());
  await new Promise((resolve) => wss.once('listening', resolve));
  const pool = new OutboxPool({ bufferBytes: 1 << 24, evictMs: 10_000 }, new DeliveryMetrics());
  const out = [];
  for (let i = 0; i < n; i++) {
    const accepted = new Promise<[WebSocket, import('node:http').IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    cleanups.push(() => client.terminate());
    const received: string[] = [];
    client.on('message', (data, isBinary) => received.push(isBinary ? 'binary!' : String(data)));
    const [[socket, request]] = await Promise.all([accepted, new Promise((resolve) => client.once('open', resolve))]);
    out.push({ outbox: pool.outboxFor(socket, request.socket), received });
  }
  return out;
}

describe('shared next frames', () => {
  it('frames a payload once per id and hands every member with that id the same Buffer', () => {
    const payload = new SharedPayload('{"data":{"n":1}}');
    const a = payload.frameFor(address('1'));
    expect(payload.frameFor(address('1'))).toBe(a);
    const b = payload.frameFor(address('2'));
    expect(b).not.toBe(a);
    // a few ids keep their frames; any other id gets a frame of its own each time, with the same bytes
    payload.frameFor(address('3'));
    payload.frameFor(address('4'));
    const fifth = payload.frameFor(address('5'));
    expect(payload.frameFor(address('5'))).not.toBe(fifth);
    expect(payload.frameFor(address('5'))).toEqual(fifth);
    expect(fifth.subarray(2).toString()).toBe('{"id":"5","type":"next","payload":{"data":{"n":1}}}');
  });

  it('is read by real clients as the graphql-ws next message, at every frame length', async () => {
    const sockets = await clients(6);
    const texts = ['{"data":{"n":"é€😀"}}', `{"data":{"s":"${'x'.repeat(300)}"}}`, `{"data":{"s":"${'y'.repeat(70_000)}"}}`];
    // five distinct ids: more than a payload keeps frames for, so the last is framed for its member alone
    const ids = ['1', 'op "quoted"', '1', 'x', 'y', 'z'];
    for (const text of texts) {
      const payload = new SharedPayload(text);
      sockets.forEach(({ outbox }, i) => expect(outbox.sendNext(payload, address(ids[i]!))).toBe(true));
    }
    // a frame the library frames itself, sent after ours, arrives after ours
    sockets[0]!.outbox.send('{"type":"pong"}');
    await vi.waitFor(() => expect(sockets[0]!.received).toHaveLength(4));
    for (const { received } of sockets.slice(1)) await vi.waitFor(() => expect(received).toHaveLength(3));
    sockets.forEach(({ received }, i) => {
      expect(received.slice(0, 3).map((r) => JSON.parse(r))).toEqual(texts.map((t) => ({ id: ids[i], type: 'next', payload: JSON.parse(t) })));
    });
    expect(sockets[0]!.received[3]).toBe('{"type":"pong"}');
  });

  it('writes nothing to a closed connection', async () => {
    const [socket] = await clients(1);
    socket!.outbox.socket.close();
    expect(socket!.outbox.sendNext(new SharedPayload('{}'), address('1'))).toBe(false);
  });
});
