/**
 * Security hardening against hostile clients (issue 12, part A): every attack found by the
 * adversarial review, replayed over the transports it applies to, each answered with a clear 4xx
 * and none reaching data, crashing the server or stalling it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { getIntrospectionQuery, parse } from 'graphql';
import { documentCache } from '../../../src/http/document-limits.js';
import { createLogger } from '../../../src/logger.js';
import { dispose, startStack, type Stack } from '../../support/helpers.js';
import { closeAll, GqlWsClient } from '../../support/gql-ws-client.js';

afterEach(async () => {
  await closeAll();
  await dispose();
});

type GqlError = { message: string; extensions?: Record<string, unknown> };
interface Answer {
  status: number;
  errors: GqlError[];
  text: string;
}

/** One operation over plain HTTP (POST, JSON). */
async function overHttp(stack: Stack, query: string, variables?: unknown): Promise<Answer> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, errors: (JSON.parse(text) as { errors?: GqlError[] }).errors ?? [], text };
}

/** One operation as a graphql-sse request (Accept: text/event-stream): errors arrive as an event or a JSON body. */
async function overSse(stack: Stack, query: string, variables?: unknown): Promise<Answer> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const payloads = res.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data:') && l.length > 6)
        .map((l) => JSON.parse(l.slice(5)) as { errors?: GqlError[] })
    : [JSON.parse(text) as { errors?: GqlError[] }];
  return { status: res.status, errors: payloads.flatMap((p) => p.errors ?? []), text };
}

/** One operation over graphql-ws: the `error` (or `next` errors) for its id. */
async function overWs(stack: Stack, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const client = await GqlWsClient.connect(stack.wsUrl);
  client.subscribe('1', query, variables);
  await vi.waitFor(() => expect(client.messages.some((m) => m.id === '1' && (m.type === 'error' || m.type === 'next'))).toBe(true), { timeout: 10_000 });
  const message = client.messages.find((m) => m.id === '1')!;
  client.ws.terminate();
  const errors = (message.type === 'error' ? message.payload : (message.payload.errors ?? [])) as GqlError[];
  return { status: 0, errors, text: JSON.stringify(message) };
}

const TRANSPORTS = { http: overHttp, sse: overSse, 'graphql-ws': overWs };

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

describe('documents are bounded before they are parsed (findings 4 and 7)', () => {
  it('too many bytes or tokens: QUERY_TOO_LARGE (400) on HTTP, SSE and graphql-ws, before any parse', async () => {
    const stack = await startStack({ env: { MAX_QUERY_BYTES: '8192', MAX_QUERY_TOKENS: '1000' } });
    const manyTokens = `{ ${'a '.repeat(2000)}}`; // 4 KB, 2,002 tokens
    const manyBytes = `{ feedStatus { connected } } # ${'x'.repeat(9000)}`;
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const tokens = await send(stack, manyTokens);
      expect({ name, error: tokens.errors[0] }).toMatchObject({
        name,
        error: { message: 'query too large: more than 1000 tokens', extensions: { code: 'QUERY_TOO_LARGE' } },
      });
      const bytes = await send(stack, manyBytes);
      expect({ name, error: bytes.errors[0] }).toMatchObject({
        name,
        error: { message: /^query too large: 90\d\d bytes, at most 8192$/, extensions: { code: 'QUERY_TOO_LARGE' } },
      });
      if (name === 'http') expect([tokens.status, bytes.status]).toEqual([400, 400]);
    }
    expect((await overHttp(stack, '{ feedStatus { connected } }')).errors).toEqual([]);
  });

  it('deep nesting: QUERY_TOO_DEEP (400), not a parser stack overflow (500), on HTTP, SSE and graphql-ws', async () => {
    const stack = await startStack();
    const deep = `{ ${'a { '.repeat(3000)}b${' }'.repeat(3000)} }`; // 15 KB: overflows graphql-js's recursive parser
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const answer = await send(stack, deep);
      expect({ name, error: answer.errors[0] }).toMatchObject({
        name,
        error: { message: 'query too deep: more than 256 nested brackets', extensions: { code: 'QUERY_TOO_DEEP' } },
      });
      if (name === 'http') expect(answer.status).toBe(400);
    }
    const deepList = `query { quotes(symbols: ${'['.repeat(3000)}"A"${']'.repeat(3000)}) { price } }`;
    expect((await overHttp(stack, deepList)).errors[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
  });

  it('invalid documents count toward the rate limit, on HTTP and graphql-ws', async () => {
    const stack = await startStack({ env: { OPERATIONS_PER_SECOND: '0.1', OPERATIONS_BURST: '3' } }); // no token refills during the test
    const codes: unknown[] = [];
    for (let i = 0; i < 3; i++) codes.push((await overHttp(stack, `{ nope${i} }`)).errors[0]?.extensions?.code);
    codes.push((await overHttp(stack, '{ syntax error')).errors[0]?.extensions?.code);
    codes.push((await overWs(stack, '{ nope }')).errors[0]?.extensions?.code);
    expect(codes.slice(0, 3)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
    expect(codes.slice(3)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('the parsed-document cache is bounded by estimated heap, not by entry count', () => {
    const cache = documentCache(1024 * 1024);
    const sources = Array.from({ length: 30 }, (_, i) => `{ f${i} ${'a '.repeat(1000)}}`); // ~0.5 MB of AST each
    for (const source of sources) cache.set(source, parse(source));
    const kept = sources.filter((s) => cache.get(s) !== undefined).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThanOrEqual(2);
    const small = '{ feedStatus { connected } }';
    cache.set(small, parse(small));
    expect(cache.get(small)).toBeDefined();
    const none = documentCache(0); // DOCUMENT_CACHE_BYTES=0
    none.set(small, parse(small));
    expect(none.get(small)).toBeUndefined();
  });
});

describe('variables are bounded before coercion (finding 5)', () => {
  const QUOTES = 'query($s: [String!]!) { quotes(symbols: $s) { price } }';
  const SUBSCRIBE = 'subscription($s: [String!]!) { quotes(symbols: $s, depth: 0) { price } }';

  it('a huge list variable: VARIABLES_TOO_LARGE (400) at once on HTTP, SSE and graphql-ws; the event loop does not stall', async () => {
    const stack = await startStack();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const cases: [keyof typeof TRANSPORTS, string, number][] = [
      ['http', QUOTES, 45_000], // 90 KB body: stalled the server ~4 s before
      ['sse', SUBSCRIBE, 45_000],
      ['graphql-ws', SUBSCRIBE, 30_000], // 60 KB message: ~8 s before
    ];
    for (const [name, query, items] of cases) {
      const answer = await TRANSPORTS[name](stack, query, { s: Array.from({ length: items }, () => 1) });
      expect({ name, errors: answer.errors }).toMatchObject({
        name,
        errors: [{ message: 'variables too large: more than 1000 values (list items and fields)', extensions: { code: 'VARIABLES_TOO_LARGE', limit: 1000 } }],
      });
      if (name === 'http') expect(answer.status).toBe(400);
    }
    delay.disable();
    expect(delay.max / 1e6).toBeLessThan(1000); // ms; seconds per request before the cap
    expect(stack.server.guards.refusals.get('VARIABLES_TOO_LARGE')).toBe(3);
  });

  it('bad values under the cap answer with at most 50 coercion errors; nested objects count too', async () => {
    const stack = await startStack({ env: { MAX_VARIABLE_VALUES: '20000' } });
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const answer = await send(stack, name === 'http' ? QUOTES : SUBSCRIBE, { s: Array.from({ length: 15_000 }, () => 1) });
      expect(answer.errors.length).toBeGreaterThan(0);
      expect(answer.errors.length).toBeLessThanOrEqual(51); // 50 and graphql's "too many errors"
      expect(answer.errors[0]?.message).toMatch(/^Variable "\$s" got invalid value 1 at "s\[0\]"/);
    }
    const nested = await overHttp(stack, '{ feedStatus { connected } }', { undeclared: { a: [{ b: Array.from({ length: 25_000 }, () => 1) }] } });
    expect(nested.errors[0]?.extensions?.code).toBe('VARIABLES_TOO_LARGE');
  });
});

describe('introspection is costed by what it returns (finding 6)', () => {
  const bomb = (copies: number) =>
    `{ ${Array.from({ length: copies }, (_, i) => `a${i}: __schema { ...S }`).join(' ')} } fragment S on __Schema { types { fields { name type { name } } } }`;

  it('aliased copies of __schema add up and are refused with QUERY_TOO_COMPLEX on HTTP, SSE and graphql-ws; the standard introspection query fits the defaults', async () => {
    const stack = await startStack();
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const answer = await send(stack, bomb(500)); // 14 KB of aliases: ~200 MB of answer before
      expect({ name, error: answer.errors[0] }).toMatchObject({
        name,
        error: { message: /^query too complex: cost \d+, at most 10000 /, extensions: { code: 'QUERY_TOO_COMPLEX' } },
      });
      expect(answer.text.length).toBeLessThan(2000);
      if (name === 'http') expect(answer.status).toBe(400);
    }
    const two = await overHttp(stack, bomb(2));
    expect(two.errors).toEqual([]);
    const standard = await overHttp(stack, getIntrospectionQuery());
    expect(standard.errors).toEqual([]);
    expect(standard.text).toContain('"queryType"');
  });

  it('__type selections are costed too, and count toward the depth limit', async () => {
    const stack = await startStack({ env: { MAX_QUERY_COMPLEXITY: '100', MAX_QUERY_DEPTH: '3' } });
    const wide = await overHttp(stack, '{ __schema { types { name kind description } } }'); // depth 3, one value per type
    expect(wide.errors[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const deep = await overHttp(stack, '{ __type(name: "Query") { fields { type { ofType { name } } } } }');
    expect(deep.errors[0]).toMatchObject({ message: /^query too deep: depth 4, at most 3$/, extensions: { code: 'QUERY_TOO_DEEP' } });
    expect((await overHttp(stack, '{ __type(name: "Quote") { name } }')).errors).toEqual([]);
  });
});

describe('probes, malformed requests and echoed input (finding 7)', () => {
  /** Opens an acknowledged graphql-ws socket (holds one connection slot of the address). */
  const holdSocket = (stack: Stack) => GqlWsClient.connect(stack.wsUrl);

  it('/health, /ready and /metrics answer while the address holds all its connections; /graphql gets 429', async () => {
    const stack = await startStack({ env: { MAX_CONNECTIONS_PER_ADDRESS: '2' } });
    await holdSocket(stack);
    await holdSocket(stack);
    const base = stack.url.replace('/graphql', '');
    for (const path of ['/health', '/ready', '/metrics']) {
      const res = await fetch(base + path);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    expect((await overHttp(stack, QUERY)).status).toBe(429);
  });

  it('a malformed Host header answers 400 without a stack trace or a path; no answer carries either', async () => {
    const stack = await startStack();
    const answers = [
      await rawHttp(stack, 'GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n'),
      await rawHttp(stack, 'GET /health HTTP/1.1\r\nHost: a@b/c\r\nConnection: close\r\n\r\n'),
      await rawHttp(stack, 'TRACE /graphql HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
      await rawHttp(stack, 'POST /graphql HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":'),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 405, 400]);
    expect(JSON.parse(answers[0]!.body)).toEqual({ errors: [{ message: 'malformed Host header', extensions: { code: 'BAD_REQUEST' } }] });
    for (const { head, body } of answers) {
      expect(head + body).not.toMatch(/\n\s+at |\/work\/|node_modules|\.ts:\d/);
    }
  });
});

describe('echoed client input is cut short (finding 7)', () => {
  it('a 90 KB bad symbol comes back as 64 characters and … in the response and the log, on HTTP, SSE and graphql-ws', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const stack = await startStack({ env: { LOG_LEVEL: 'info' }, logger: createLogger('info', 'hardening', sink) });
    const cases: [keyof typeof TRANSPORTS, string, number][] = [
      ['http', 'query($s: String!) { quote(symbol: $s) { price } }', 90_000],
      ['sse', 'subscription($s: [String!]!) { quotes(symbols: $s, depth: 0) { price } }', 90_000],
      ['graphql-ws', 'subscription($s: [String!]!) { quotes(symbols: $s, depth: 0) { price } }', 60_000],
    ];
    for (const [name, query, length] of cases) {
      const bad = 'Z'.repeat(length);
      const answer = await TRANSPORTS[name](stack, query, { s: name === 'http' ? bad : [bad] });
      expect({ name, message: answer.errors[0]?.message }).toEqual({
        name,
        message: `invalid symbol "${'Z'.repeat(63)}…: expected an AllTick code such as AAPL.US, 700.HK, 600519.SH, EURUSD, GOLD or BTCUSDT`,
      });
      expect(answer.text.length).toBeLessThan(1000);
    }
    await vi.waitFor(() => expect(lines.filter((l) => l.includes('invalid symbol'))).toHaveLength(3));
    for (const line of lines) expect(line).not.toContain('Z'.repeat(65));
  });
});

describe('quotes answers one item per symbol asked (finding 7)', () => {
  it('quotes([A, B, A]) returns 3 items in the order asked, on HTTP, SSE and graphql-ws', async () => {
    const stack = await startStack();
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const answer = await send(stack, '{ quotes(symbols: ["AAPL.US", "EURUSD", "AAPL.US"], depth: 0) { symbol } }');
      const payload =
        name === 'graphql-ws'
          ? (JSON.parse(answer.text) as { payload: unknown }).payload
          : JSON.parse(
              name === 'sse'
                ? answer.text
                    .split('\n')
                    .find((l) => l.startsWith('data:') && l.length > 6)!
                    .slice(5)
                : answer.text,
            );
      expect({ name, payload }).toEqual({ name, payload: { data: { quotes: [{ symbol: 'AAPL.US' }, { symbol: 'EURUSD' }, { symbol: 'AAPL.US' }] } } });
    }
  });
});

describe('no schema hints with introspection off (finding 7)', () => {
  const probes = [
    '{ feedStatu { connected } }', // field: Did you mean "feedStatus"?
    '{ quote(symbl: "AAPL.US") { price } }', // argument
    'query($m: Markt) { feedStatus { connected } }', // type
  ];

  it('"Did you mean …" suggestions are cut on HTTP, SSE and graphql-ws; with introspection on they stay', async () => {
    const off = await startStack({ env: { INTROSPECTION: 'false' } });
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      for (const probe of probes) {
        const answer = await send(off, probe);
        expect({ name, probe, errors: answer.errors.length > 0 }).toEqual({ name, probe, errors: true });
        expect(answer.text).not.toMatch(/Did you mean|feedStatus"|"symbol"|"Market"/);
      }
    }
    // enum values in variables are coerced by the guards and by execution: no hint there either
    for (const [name, send] of Object.entries(TRANSPORTS)) {
      const answer = await send(off, 'query($m: Market) { symbols(market: $m) { currency } }', { m: 'USS' });
      expect({ name, text: answer.text }).not.toMatchObject({ text: expect.stringMatching(/Did you mean/) });
      expect(answer.errors.length).toBeGreaterThan(0);
    }
    const on = await startStack();
    expect((await overHttp(on, probes[0]!)).errors[0]?.message).toMatch(/Did you mean "feedStatus"\?/);
    expect((await overHttp(on, 'query($m: Market) { symbols(market: $m) { currency } }', { m: 'USS' })).errors[0]?.message).toMatch(
      /Did you mean the enum value "US"/,
    );
  });
});

describe('token redaction matches every spelling (finding 7)', () => {
  it('redactToken removes the token in any letter case and URL-encoded once or twice', async () => {
    const { redactToken } = await import('../../../src/feed/alltick/errors.js');
    const token = 'Tok/en+9f3a-SECRET';
    const spellings = [
      token,
      token.toUpperCase(),
      token.toLowerCase(),
      encodeURIComponent(token),
      encodeURIComponent(token).toLowerCase(),
      encodeURIComponent(encodeURIComponent(token)),
    ];
    for (const spelling of spellings) {
      const out = redactToken(`upstream said: bad ${spelling}, see /x?TOKEN=${spelling}&a=1`, token);
      expect({ spelling, out }).toEqual({ spelling, out: 'upstream said: bad ***, see /x?TOKEN=***&a=1' });
    }
  });
});
