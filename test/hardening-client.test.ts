/**
 * Security hardening against hostile clients (issue 12, part A): every attack found by the
 * adversarial review, replayed over the transports it applies to, each answered with a clear 4xx
 * and none reaching data, crashing the server or stalling it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { dispose, startStack, type Stack } from './helpers.js';

afterEach(dispose);

const KEY = 'hardening-test-key-0123456789';

function keysFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'alltick-keys-')), 'keys.json');
  writeFileSync(path, JSON.stringify({ keys: [{ name: 'only', key: KEY }] }));
  return path;
}

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Sends `request` as written (no client-side normalisation) and reads the answer to the end. */
function rawHttp(stack: Stack, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(stack.server.port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const at = text.indexOf('\r\n\r\n');
      const head = at === -1 ? text : text.slice(0, at);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: at === -1 ? '' : text.slice(at + 4) });
    });
  });
}

const QUERY = '{ feedStatus { connected } }';

/** The spellings of /graphql that a raw-path comparison misses and URL normalisation accepts. */
const SPELLINGS = ['/./graphql', '/x/../graphql', '/graphql/.', '/graphql#x', 'http://any/graphql', '/%2e/graphql', '//graphql', '/.//graphql'];

describe('one route decision for the API-key gate and Yoga (finding 1)', () => {
  it('every non-canonical spelling of /graphql is refused with 400 on GET, POST and SSE; the canonical one needs the key', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile() } });
    const body = JSON.stringify({ query: QUERY });
    const requests = (target: string) => {
      const get = `${target}${target.includes('#') ? '' : `?query=${encodeURIComponent(QUERY)}`}`;
      return [
        `GET ${get} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`,
        `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ];
    };
    for (const spelling of SPELLINGS) {
      for (const request of requests(spelling)) {
        const res = await rawHttp(stack, request);
        expect({ spelling, status: res.status }).toEqual({ spelling, status: 400 });
        expect(res.body).not.toContain('connected');
        expect(JSON.parse(res.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
      }
    }
    for (const request of requests('/graphql')) expect((await rawHttp(stack, request)).status).toBe(401);
    const withKey = await rawHttp(stack, requests('/graphql')[1]!.replace('Connection: close', `Authorization: Bearer ${KEY}\r\nConnection: close`));
    expect(withKey.status).toBe(200);
    expect(withKey.body).toContain('connected');
  });

  it('the WebSocket upgrade is refused on every non-canonical spelling', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile() } });
    for (const spelling of SPELLINGS) {
      const res = await rawHttp(
        stack,
        `GET ${spelling} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
      );
      expect({ spelling, status: res.status }).toEqual({ spelling, status: 400 });
    }
    // the canonical path upgrades, and the key is still required there (close 4401)
    const ws = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    expect(await closed).toBe(4401);
  });
});
