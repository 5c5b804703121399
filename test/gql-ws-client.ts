/**
 * A bare graphql-transport-ws client for the fan-out tests: several subscriptions with chosen ids
 * on one socket, every message kept in order, and the socket itself at hand (to stop reading with
 * `ws.pause()` or to terminate it). Close what you open with `closeAll()` in afterEach.
 */
import { expect, vi } from 'vitest';
import WebSocket from 'ws';

export interface ProtocolMessage {
  id?: string;
  type: string;
  payload?: any;
}

const open: WebSocket[] = [];

export async function closeAll(): Promise<void> {
  for (const ws of open.splice(0)) ws.terminate();
}

export class GqlWsClient {
  readonly messages: ProtocolMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as ProtocolMessage));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async connect(url: string): Promise<GqlWsClient> {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    open.push(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = new GqlWsClient(ws);
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise<void>((resolve) => {
      const check = () => (client.messages.some((m) => m.type === 'connection_ack') ? resolve() : setTimeout(check, 5));
      check();
    });
    return client;
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  complete(id: string): void {
    this.ws.send(JSON.stringify({ id, type: 'complete' }));
  }

  /** `next` payloads of one operation id, in order */
  nexts(id: string): any[] {
    return this.messages.filter((m) => m.id === id && m.type === 'next').map((m) => m.payload);
  }

  /** the `data.quotes` of each `next` of one id */
  quotes(id: string): any[] {
    return this.nexts(id).map((p) => p.data?.quotes);
  }

  /**
   * Waits until operation `id` has its first event of each of `symbols` (a subscription's SNAPSHOTs:
   * cold symbols' come from REST), and returns how many events that was, so a test can look at
   * what follows with `quotes(id).slice(count)`.
   */
  async firstEvents(id: string, symbols: readonly string[]): Promise<number> {
    await vi.waitFor(() => expect(new Set(this.quotes(id).map((q) => q?.symbol))).toEqual(new Set(symbols)), { timeout: 5000 });
    return this.quotes(id).length;
  }

  of(id: string, type: string): ProtocolMessage[] {
    return this.messages.filter((m) => m.id === id && m.type === type);
  }
}
