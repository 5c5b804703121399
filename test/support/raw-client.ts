/**
 * A bare AllTick WebSocket client for tests and debugging against the simulator (or the real
 * service): sends request frames as given and keeps every frame it receives, in order. It does
 * nothing on its own (no heartbeat, no spacing), so a test controls exactly what goes on the wire.
 */
import WebSocket from 'ws';

export interface Frame {
  cmd_id?: number;
  ret?: number;
  msg?: string;
  seq_id?: number;
  trace?: string;
  data?: unknown;
  [key: string]: unknown;
}

export interface RawClient {
  readonly ws: WebSocket;
  /** every frame received, parsed (a frame that is not JSON is kept as `{ raw: text }`) */
  readonly frames: Frame[];
  /** sends an object as JSON, or a string as is */
  send(frame: object | string): void;
  /** sends `{cmd_id, seq_id, trace, data}` with a fresh seq_id/trace; returns them */
  request(cmdId: number, data: unknown): { seq_id: number; trace: string };
  /** the first frame at index ≥ `from` that satisfies `predicate` (waiting for it if needed) */
  waitFor(predicate: (f: Frame) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<Frame>;
  /** resolves when the socket closes */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export interface HttpRefusal {
  status: number;
  body: string;
}

let seq = 0;

/** Opens a connection; rejects with an HttpRefusal when the handshake is answered with an HTTP status. */
export function connectRaw(url: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on('close', (code, reason) => {
        res({ code, reason: reason.toString() });
        for (const w of waiters) w();
      });
    });
    ws.on('message', (data) => {
      const text = data.toString();
      try {
        frames.push(JSON.parse(text) as Frame);
      } catch {
        frames.push({ raw: text });
      }
      for (const w of waiters) w();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode ?? 0, body })));
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        request(cmdId, data) {
          const seq_id = ++seq;
          const trace = `t-${seq_id}`;
          ws.send(JSON.stringify({ cmd_id: cmdId, seq_id, trace, data }));
          return { seq_id, trace };
        },
        waitFor(predicate, { from = 0, timeoutMs = 3000 } = {}) {
          return new Promise((res, rej) => {
            let i = from;
            const check = () => {
              for (; i < frames.length; i++) {
                if (predicate(frames[i]!)) {
                  done();
                  return res(frames[i]!);
                }
              }
              if (ws.readyState === WebSocket.CLOSED) {
                done();
                rej(new Error('connection closed while waiting for a frame'));
              }
            };
            const timer = setTimeout(() => {
              done();
              rej(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(from)).slice(0, 500)}`));
            }, timeoutMs);
            const done = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close: () => ws.terminate(),
      }),
    );
  });
}

/** The HTTP answer to a handshake that is expected to be refused. */
export async function refusedUpgrade(url: string): Promise<HttpRefusal> {
  try {
    const c = await connectRaw(url);
    c.close();
  } catch (err) {
    const e = err as Partial<HttpRefusal>;
    if (typeof e.status === 'number') return { status: e.status, body: e.body ?? '' };
    throw err;
  }
  throw new Error('the handshake was accepted');
}
