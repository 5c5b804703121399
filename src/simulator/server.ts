/**
 * createSimulator: one http.Server that looks like AllTick (alltick-protocol.md §7) — WebSocket
 * on /quote-stock-b-ws-api and /quote-b-ws-api, REST on /quote-stock-b-api and /quote-b-api —
 * plus typed test hooks to observe a client and to make the upstream misbehave on purpose.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PLANS } from '../feed/alltick/plans.js';
import { isValidSymbol, type Endpoint } from '../feed/alltick/symbols.js';
import { depthPushFrame, tradePushFrame } from './frames.js';
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from './options.js';
import { PriceModel, type DepthData, type TradeData } from './price-model.js';
import { createRng } from './random.js';
import { SimulatorRecord, type RecordedFrame, type RestCall, type UpgradeAttempt } from './record.js';
import { createRestHandler } from './rest.js';
import { RestRateLimiter } from './rest-limit.js';
import { TokenSpacing } from './rules.js';
import { SubscriptionIndex } from './subscriptions.js';
import { Ticker } from './ticker.js';
import { handleUpgrade } from './upgrade.js';
import { WsSession, type AckMode, type SessionInfo } from './ws-session.js';

export type { AckMode, SessionInfo } from './ws-session.js';
export type { SimulatorOptions } from './options.js';

export interface SimulatorEvents {
  /** a WebSocket connection was accepted (not those closed at once for a bad token or the cap) */
  connection: [session: SessionInfo];
  /** a client sent a frame (before the simulator answers it) */
  frame: [frame: RecordedFrame];
  /** an accepted connection closed, for whatever reason */
  close: [session: SessionInfo];
  /** an upgrade attempt and its outcome (also the refused ones) */
  upgrade: [attempt: UpgradeAttempt];
  /** a REST call was answered */
  rest: [call: RestCall];
}

export interface SessionFilter {
  endpoint?: Endpoint;
  token?: string;
  id?: number;
}

export interface PushResult<T> {
  /** the data pushed (and kept as the symbol's last state for REST) */
  data: T;
  /** connections it was sent to */
  delivered: number;
}

export interface Simulator {
  readonly host: string;
  readonly port: number;
  /** http://127.0.0.1:port — ALLTICK_API_URL */
  readonly httpUrl: string;
  /** ws://127.0.0.1:port — ALLTICK_WS_URL */
  readonly wsUrl: string;
  /** the PRNG seed in use (random unless given) */
  readonly seed: number;
  readonly options: Readonly<ResolvedOptions>;
  readonly record: SimulatorRecord;
  readonly events: EventEmitter<SimulatorEvents>;
  /** live WebSocket connections */
  sessions(filter?: SessionFilter): SessionInfo[];
  /** every accepted connection so far, closed ones included */
  allSessions(filter?: SessionFilter): SessionInfo[];
  /** drops matching connections without a close frame (client sees 1006); returns how many */
  killConnections(filter?: SessionFilter): number;
  /** answers every upgrade with HTTP `status` (default 429) for `ms`; 0 stops refusing */
  refuseConnections(ms: number, status?: number): void;
  /** sends a raw text frame (garbage, odd shapes) to matching connections; returns how many */
  sendRaw(text: string, filter?: SessionFilter): number;
  /** 'normal', 'withhold' (requests are applied, no reply is sent) or {delayMs} */
  setAckMode(mode: AckMode): void;
  /** a subscribe whose list holds `code` is answered with `ret` and changes nothing; ret null clears */
  failCode(code: string, ret: number | null): void;
  /** pushes a trade of `code` now (model-generated, `partial` fields override) to its trade subscribers */
  pushTrade(code: string, partial?: Partial<TradeData>): PushResult<TradeData>;
  /** pushes a book of `code` now, cut to each connection's depth_level */
  pushDepth(code: string, partial?: Partial<DepthData>): PushResult<DepthData>;
  /** stops / restarts automatic ticking (forced pushes still work) */
  pause(): void;
  resume(): void;
  /** the next `n` REST calls answer HTTP `status` with `{"msg","ret"}` */
  failNextRest(n: number, status: number): void;
  /** resolves with the first event's first argument that satisfies `predicate`; rejects after `timeoutMs` (5000) */
  waitFor<E extends keyof SimulatorEvents>(event: E, predicate?: (...args: SimulatorEvents[E]) => boolean, timeoutMs?: number): Promise<SimulatorEvents[E][0]>;
  /** terminates every socket, clears every timer, closes the server */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function matches(s: WsSession, f: SessionFilter | undefined): boolean {
  return (
    !f || ((f.endpoint === undefined || s.endpoint === f.endpoint) && (f.token === undefined || s.token === f.token) && (f.id === undefined || s.id === f.id))
  );
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const opts = resolveOptions(options);
  const log = opts.logger;
  const events = new EventEmitter<SimulatorEvents>();
  const untypedEvents = events as unknown as EventEmitter;
  const record = new SimulatorRecord(opts.recordLimit);
  const model = new PriceModel(createRng(opts.seed), opts.ticksPerSecond);
  const live = new Set<WsSession>();
  const all: WsSession[] = [];
  const tokenSpacing = new TokenSpacing();
  const failedCodes = new Map<string, number>();
  let ackMode: AckMode = 'normal';
  let refuse: { until: number; status: number } | null = null;
  let restFailures = { remaining: 0, status: 500 };
  let nextSessionId = 1;

  const index = new SubscriptionIndex<WsSession>(() => ticker.setCodes(index.activeCodes()));

  function publishTrade(data: TradeData): number {
    const subs = index.tradeSubscribers(data.code);
    if (subs.size === 0) return 0;
    const frame = tradePushFrame(data, opts.numericSeq);
    for (const s of subs) s.send(frame);
    return subs.size;
  }

  function publishDepth(data: DepthData): number {
    const subs = index.depthSubscribers(data.code);
    const byLevel = new Map<number, string>();
    for (const [s, level] of subs) {
      let frame = byLevel.get(level);
      if (frame === undefined) {
        frame = depthPushFrame({ ...data, bids: data.bids.slice(0, level), asks: data.asks.slice(0, level) }, opts.numericSeq);
        byLevel.set(level, frame);
      }
      s.send(frame);
    }
    return subs.size;
  }

  const ticker = new Ticker(opts.ticksPerSecond, createRng(opts.seed ^ 0x5bd1e995), (code) => {
    model.step(code);
    if (index.tradeSubscribers(code).size > 0) publishTrade(model.trade(code)!);
    if (index.depthSubscribers(code).size > 0) publishDepth(model.depth(code)!);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const restHandler = createRestHandler({
    options: opts,
    model,
    limiter: opts.restRateLimit ? new RestRateLimiter(PLANS[opts.plan]) : null,
    takeForcedStatus: () => (restFailures.remaining > 0 ? (restFailures.remaining--, restFailures.status) : null),
    onCall: (call) => {
      record.restCalls.push(call);
      events.emit('rest', call);
    },
  });
  const server: Server = createServer(restHandler);
  server.on('upgrade', (req, socket, head) =>
    handleUpgrade(req, socket, head, {
      options: opts,
      wss,
      refusal: () => (refuse && Date.now() < refuse.until ? refuse.status : null),
      liveCount: (token, endpoint) => [...live].filter((s) => s.token === token && s.endpoint === endpoint).length,
      onAttempt: (attempt) => {
        record.upgrades.push(attempt);
        events.emit('upgrade', attempt);
        if (attempt.status !== 101 || attempt.outcome !== 'accepted')
          log?.info({ endpoint: attempt.endpoint, outcome: attempt.outcome, status: attempt.status }, 'upgrade refused');
      },
      accept: (ws, endpoint, token) => {
        const session = new WsSession(nextSessionId++, endpoint, token, ws, {
          options: opts,
          index,
          record,
          tokenSpacing,
          ackMode: () => ackMode,
          failRet: (codes) => codes.map((c) => failedCodes.get(c)).find((r) => r !== undefined),
          onFrame: (frame) => events.emit('frame', frame),
          onClosed: (s) => {
            live.delete(s);
            const info = s.info();
            log?.info({ session: s.id, endpoint: s.endpoint, code: info.closeCode, reason: info.closeReason }, 'connection closed');
            events.emit('close', info);
          },
        });
        live.add(session);
        all.push(session);
        log?.info({ session: session.id, endpoint }, 'connection opened');
        events.emit('connection', session.info());
        return session.id;
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closed: Promise<void> | null = null;

  const codeOrThrow = (code: string) => {
    if (!isValidSymbol(code)) throw new Error(`not a valid AllTick code: ${code}`);
  };

  const sim: Simulator = {
    host: opts.host,
    port,
    httpUrl: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}`,
    seed: opts.seed,
    options: opts,
    record,
    events,
    sessions: (filter) => [...live].filter((s) => matches(s, filter)).map((s) => s.info()),
    allSessions: (filter) => all.filter((s) => matches(s, filter)).map((s) => s.info()),
    killConnections(filter) {
      const victims = [...live].filter((s) => matches(s, filter));
      for (const s of victims) s.terminate();
      return victims.length;
    },
    refuseConnections(ms, status = 429) {
      refuse = ms > 0 ? { until: Date.now() + ms, status } : null;
    },
    sendRaw(text, filter) {
      const targets = [...live].filter((s) => matches(s, filter));
      for (const s of targets) s.send(text);
      return targets.length;
    },
    setAckMode(mode) {
      ackMode = mode;
    },
    failCode(code, ret) {
      if (ret === null) failedCodes.delete(code);
      else failedCodes.set(code, ret);
    },
    pushTrade(code, partial = {}) {
      codeOrThrow(code);
      const data = { ...model.trade(code)!, ...partial, code };
      model.setLastTrade(code, data);
      return { data, delivered: publishTrade(data) };
    },
    pushDepth(code, partial = {}) {
      codeOrThrow(code);
      const data = { ...model.depth(code)!, ...partial, code };
      model.setLastDepth(code, data);
      return { data, delivered: publishDepth(data) };
    },
    pause: () => ticker.pause(),
    resume: () => ticker.resume(),
    failNextRest(n, status) {
      restFailures = { remaining: n, status };
    },
    waitFor(event, predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const listener = (...args: unknown[]) => {
          if (predicate && !(predicate as (...a: unknown[]) => boolean)(...args)) return;
          cleanup();
          resolve(args[0] as never);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`simulator: timed out after ${timeoutMs} ms waiting for '${event}'`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          untypedEvents.off(event, listener);
        };
        untypedEvents.on(event, listener);
      });
    },
    close() {
      closed ??= (async () => {
        ticker.stop();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        log?.info('simulator closed');
      })();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return sim.close();
    },
  };
  log?.info({ port, host: opts.host, plan: opts.plan, seed: opts.seed }, 'simulator listening');
  return sim;
}
