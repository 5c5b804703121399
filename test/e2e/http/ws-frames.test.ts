/**
 * WebSocket frames `ws` refuses (issue 12, finding 7): a message over WS_MAX_PAYLOAD_BYTES closes
 * with 1009, a text frame that is not UTF-8 with 1007; each logs one structured line and nothing
 * reaches stderr (no stack trace).
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { dispose, gql, startStack } from '../../support/helpers.js';
import { closeAll, GqlWsClient } from '../../support/gql-ws-client.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
  await dispose();
});

/** A masked client text frame carrying `payload` as is (the `ws` client refuses to send bad UTF-8). */
function textFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  if (payload.length >= 126) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe('refused WebSocket frames', () => {
  it.each([
    ['an oversized message', 1009, (client: GqlWsClient) => client.ws.send('x'.repeat(2048))],
    [
      'a text frame that is not UTF-8',
      1007,
      (client: GqlWsClient) =>
        (client.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(textFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))),
    ],
  ])('%s closes with %i, logs one line and prints no stack trace', async (_name, code, send) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
        done();
      },
    });
    const stack = await startStack({ logger: createLogger('info', 'test', sink), env: { WS_MAX_PAYLOAD_BYTES: '1024' } });
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    const client = await GqlWsClient.connect(stack.wsUrl);
    send(client);
    expect((await client.closed).code).toBe(code);
    await vi.waitFor(() => expect(lines.filter((l) => l.msg === 'WebSocket frame refused')).toHaveLength(1));
    const line = lines.find((l) => l.msg === 'WebSocket frame refused')!;
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at |stack/);
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
    expect((await gql(stack, '{ __typename }')).status).toBe(200); // the server goes on
  });
});
