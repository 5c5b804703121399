/**
 * Behind a reverse proxy (TRUST_PROXY): the client's address comes from X-Forwarded-For, so the
 * per-address limits count clients, not the proxy, and a client cannot pose as another address.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { clientAddress, parseTrustProxy } from '../../../src/trust-proxy.js';
import { dispose, startStack } from '../../support/helpers.js';

describe('clientAddress', () => {
  it('with a hop count, takes the address that many proxies away, ignoring what the client wrote further left', () => {
    const one = parseTrustProxy('1');
    expect(clientAddress('10.0.0.2', '203.0.113.7', one)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.7', one)).toBe('203.0.113.7'); // 6.6.6.6 is the client's own claim
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.9', parseTrustProxy('2'))).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', undefined, one)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', 'garbage', one)).toBe('10.0.0.2');
    expect(clientAddress('::ffff:10.0.0.2', '2001:db8::1', one)).toBe('2001:db8::1');
  });

  it('with addresses, walks back over trusted proxies only', () => {
    const trust = parseTrustProxy('10.0.0.0/8, ::1');
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.1, 10.1.2.3', trust)).toBe('198.51.100.1');
    expect(clientAddress('192.0.2.50', '198.51.100.1', trust)).toBe('192.0.2.50'); // not from a proxy: header ignored
    expect(clientAddress('::1', '6.6.6.6, 198.51.100.1', trust)).toBe('198.51.100.1');
  });

  it('without TRUST_PROXY, X-Forwarded-For is never believed', () => {
    expect(clientAddress('10.0.0.2', '203.0.113.7', null)).toBe('10.0.0.2');
  });

  it('bad TRUST_PROXY values stop the start with the variable named', () => {
    for (const bad of ['0', '99', 'proxy.local', '10.0.0.0/33', '10.0.0.1,nope']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).TRUST_PROXY).toBeDefined();
  });
});

describe('through a proxy with the default per-address limit', () => {
  afterEach(() => dispose());

  /** Opens graphql-ws connections as a proxy would, one X-Forwarded-For client each; resolves how many got connection_ack. */
  async function connectThroughProxy(url: string, clients: number): Promise<{ acked: number; refused: number; sockets: WebSocket[] }> {
    const sockets: WebSocket[] = [];
    let acked = 0;
    let refused = 0;
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': `198.51.${(i >> 8) & 255}.${i & 255}` } });
        sockets.push(ws);
        ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
        ws.once('message', () => {
          acked++;
          resolve();
        });
        ws.once('unexpected-response', () => {
          refused++;
          resolve();
        });
        ws.once('error', () => resolve());
      });
    for (let start = 0; start < clients; start += 100) {
      await Promise.all(Array.from({ length: Math.min(100, clients - start) }, (_, k) => one(start + k)));
    }
    return { acked, refused, sockets };
  }

  it('TRUST_PROXY=127.0.0.1: 1,050 clients behind one proxy address are all served', async () => {
    const stack = await startStack({ env: { TRUST_PROXY: '127.0.0.1', MAX_CONNECTIONS_PER_ADDRESS: '100' } });
    const { acked, refused, sockets } = await connectThroughProxy(stack.wsUrl, 1050);
    expect({ acked, refused }).toEqual({ acked: 1050, refused: 0 });
    for (const ws of sockets) ws.terminate();
  }, 60_000);

  it('without it, the proxy counts as one client and the 101st connection is refused', async () => {
    const stack = await startStack({ env: { MAX_CONNECTIONS_PER_ADDRESS: '100' } });
    const { acked, refused, sockets } = await connectThroughProxy(stack.wsUrl, 120);
    expect({ acked, refused }).toEqual({ acked: 100, refused: 20 });
    for (const ws of sockets) ws.terminate();
  }, 60_000);
});
