/**
 * One vocabulary of error and close codes, as docs/operations.md lists them, and every error on
 * every transport carrying an `extensions.code` and nothing meant for the server only.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/clients/error-codes.js';
import { CloseCode } from '../../../src/clients/close-codes.js';
import { dispose, startStack, type Stack } from '../../support/helpers.js';
import { GqlWsClient, closeAll } from '../../support/gql-ws-client.js';

const OPERATIONS = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

/** The backticked codes in the first column of the table under `heading` (up to the next heading). */
function firstColumnCodes(heading: string): string[] {
  const start = OPERATIONS.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const rest = OPERATIONS.slice(start + heading.length + 2);
  const end = rest.search(/^#/m);
  const section = end === -1 ? rest : rest.slice(0, end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('the tables of docs/operations.md', () => {
  it('the error-code table is exactly src/clients/error-codes.ts', () => {
    expect(new Set(firstColumnCodes('## Error codes'))).toEqual(new Set(Object.values(ErrorCode)));
  });

  it('the close-code table is exactly src/clients/close-codes.ts', () => {
    expect(new Set(firstColumnCodes('## Close codes (graphql-ws)').map(Number))).toEqual(new Set(Object.values(CloseCode)));
  });
});

describe('every error has a code and nothing internal, on every transport', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await closeAll();
    await dispose();
  });

  const BAD = {
    syntax: { query: 'subscription { quotes(', code: ErrorCode.ParseFailed },
    validation: { query: 'subscription { nope }', code: ErrorCode.ValidationFailed },
    variables: { query: 'subscription ($s: [String!]!) { quotes(symbols: $s) { symbol } }', variables: { s: 3 }, code: ErrorCode.BadUserInput },
    argument: { query: 'subscription { quotes(symbols: ["not a symbol!"]) { symbol } }', code: ErrorCode.BadUserInput },
  } as const;

  const expectPublic = (errors: unknown, code: string) => {
    expect(errors).toEqual([expect.objectContaining({ message: expect.any(String), extensions: expect.objectContaining({ code }) })]);
    for (const error of errors as { extensions: Record<string, unknown> }[]) {
      expect(Object.keys(error.extensions)).not.toContain('http');
      expect(Object.keys(error.extensions)).not.toContain('unexpected');
      expect(JSON.stringify(error)).not.toMatch(/stack|originalError|at .*\.ts:\d+/);
    }
  };

  for (const [kind, bad] of Object.entries(BAD)) {
    it(`${kind} error over graphql-ws`, async () => {
      const client = await GqlWsClient.connect(stack.wsUrl);
      client.subscribe('1', bad.query, 'variables' in bad ? bad.variables : undefined);
      await expect.poll(() => client.messages.find((m) => m.id === '1' && (m.type === 'error' || m.type === 'next'))).toBeDefined();
      const message = client.messages.find((m) => m.id === '1')!;
      expectPublic(message.type === 'error' ? message.payload : message.payload.errors, bad.code);
    });

    it(`${kind} error over SSE`, async () => {
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: bad.query, variables: 'variables' in bad ? bad.variables : undefined }),
      });
      const text = await res.text();
      const data = /^data: (\{.*\})$/m.exec(text)?.[1];
      expect(data, text).toBeDefined();
      expectPublic((JSON.parse(data!) as { errors: unknown }).errors, bad.code);
    });

    it(`${kind} error over HTTP`, async () => {
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: bad.query.replace('subscription', 'query'), variables: 'variables' in bad ? bad.variables : undefined }),
      });
      expectPublic(((await res.json()) as { errors: unknown }).errors, bad.code);
    });
  }

  it('a request without a query is answered 400 BAD_REQUEST (GraphQL over HTTP), GET and POST', async () => {
    for (const init of <RequestInit[]>[
      { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', accept: 'application/json' } },
      { method: 'GET', headers: { accept: 'application/json' } },
    ]) {
      const res = await fetch(stack.url, init);
      expect(res.status).toBe(400);
      expectPublic(((await res.json()) as { errors: unknown }).errors, ErrorCode.BadRequest);
    }
  });

  it('a client asking for the legacy graphql-ws subprotocol is refused with 4406, not a failed handshake', async () => {
    const socket = new WebSocket(stack.wsUrl, 'graphql-ws');
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
      socket.once('error', reject);
    });
    expect(closed.code).toBe(CloseCode.SubprotocolNotAcceptable);
  });
});
