/**
 * The REST side (alltick-protocol.md §4.1–§4.2): GET /{base}/{trade-tick,depth-tick,kline,static_info}
 * with `?token=&query=<url-encoded {"trace","data"}>`, POST /{base}/batch-kline with the document as
 * JSON body. Answers `{ret,msg,trace,data}`. HTTP-level errors (401 token, 429 rate limit, forced
 * statuses, 404) answer `{"msg","ret"}` like the live service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { MAX_TRACE_LENGTH, RET_MESSAGES, Ret } from '../feed/alltick/protocol.js';
import { PLANS } from '../feed/alltick/plans.js';
import { ENDPOINTS, ENDPOINT_PATHS, type Endpoint } from '../feed/alltick/symbols.js';
import { httpErrorBody, unauthorizedBody } from './frames.js';
import { checkToken, type ResolvedOptions } from './options.js';
import type { PriceModel } from './price-model.js';
import type { RestCall } from './record.js';
import type { RestRateLimiter } from './rest-limit.js';
import { batchKline, depthTick, kline, staticInfoMethod, tradeTick, type MethodContext, type MethodResult } from './rest-methods.js';

export interface RestContext {
  readonly options: ResolvedOptions;
  readonly model: PriceModel;
  readonly limiter: RestRateLimiter | null;
  /** the HTTP status forced on this call by `failNextRest`, or null */
  takeForcedStatus(): number | null;
  onCall(call: RestCall): void;
}

type Handler = (data: unknown, ctx: MethodContext) => MethodResult;

const METHODS: Record<string, { verb: 'GET' | 'POST'; handler: Handler; stockOnly?: boolean }> = {
  'trade-tick': { verb: 'GET', handler: tradeTick },
  'depth-tick': { verb: 'GET', handler: depthTick },
  kline: { verb: 'GET', handler: kline },
  static_info: { verb: 'GET', handler: staticInfoMethod, stockOnly: true },
  'batch-kline': { verb: 'POST', handler: batchKline },
};

const requestDocSchema = z.object({ trace: z.string().max(MAX_TRACE_LENGTH), data: z.unknown() });

const MAX_BODY_BYTES = 1024 * 1024;

/** `/quote-stock-b-api/kline` → stock + kline; null for any other path. */
function route(pathname: string): { endpoint: Endpoint; method: string } | null {
  for (const endpoint of ENDPOINTS) {
    const base = `${ENDPOINT_PATHS[endpoint].rest}/`;
    if (!pathname.startsWith(base)) continue;
    const method = pathname.slice(base.length);
    const spec = METHODS[method];
    if (!spec || (spec.stockOnly && endpoint !== 'stock')) return null;
    return { endpoint, method };
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses the `{trace, data}` request document: ret 402/601/400 when it cannot be read. */
function parseDocument(raw: string | null, verb: 'GET' | 'POST'): { trace: string; data: unknown } | { ret: number } {
  if (raw === null || raw.trim() === '') return { ret: verb === 'GET' ? Ret.QueryInvalid : Ret.BodyEmpty };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ret: verb === 'GET' ? Ret.QueryInvalid : Ret.ParamInvalid };
  }
  const doc = requestDocSchema.safeParse(json);
  return doc.success ? { trace: doc.data.trace, data: doc.data.data } : { ret: Ret.ParamInvalid };
}

export function createRestHandler(ctx: RestContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(req, res, ctx).catch(() => {
      if (!res.headersSent) send(res, 500, httpErrorBody(500));
    });
  };
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: RestContext): Promise<void> {
  const at = Date.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const verb = req.method ?? 'GET';
  const answer = (status: number, body: string, ret?: number) => {
    const call: RestCall = { at, method: verb, path: url.pathname, status };
    if (ret !== undefined) call.ret = ret;
    ctx.onCall(call);
    send(res, status, body);
  };

  const target = route(url.pathname);
  if (!target) return answer(404, httpErrorBody(404), 404);
  const spec = METHODS[target.method]!;
  if (verb !== spec.verb) return answer(405, httpErrorBody(405), 405);
  const forced = ctx.takeForcedStatus();
  if (forced !== null) return answer(forced, httpErrorBody(forced), forced);

  const token = url.searchParams.get('token');
  const check = checkToken(token, ctx.options.tokens);
  if (check !== 'ok') return answer(401, unauthorizedBody(check), 401);
  if (ctx.limiter && !ctx.limiter.allow(token as string, url.pathname, target.method, at)) return answer(429, httpErrorBody(429), 429);

  const doc = parseDocument(verb === 'GET' ? url.searchParams.get('query') : await readBody(req), spec.verb);
  const envelope = (ret: number, msg: string, trace: string, data: object) => answer(200, JSON.stringify({ ret, msg, trace, data }), ret);
  if ('ret' in doc) return envelope(doc.ret, RET_MESSAGES[doc.ret] ?? 'error', '', {});

  const plan = PLANS[ctx.options.plan];
  const result = spec.handler(doc.data, {
    endpoint: target.endpoint,
    model: ctx.model,
    codesPerCall: ctx.options.restRateLimit ? plan.rest.codesPerCall : null,
    catalogueOnly: ctx.options.catalogueOnly,
    batchGroups: ctx.options.restRateLimit ? plan.rest.batchKlineGroups : null,
    now: at,
  });
  // A method's 400 is about `data`, not the header (§2.4).
  const msg = result.ret === Ret.ParamInvalid ? 'request data param invalid' : (RET_MESSAGES[result.ret] ?? 'error');
  envelope(result.ret, msg, doc.trace, result.data);
}
