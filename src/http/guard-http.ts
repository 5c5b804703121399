/**
 * The HTTP gate in front of Yoga, run before any body is read: a canonical request target and a
 * valid Host header (400, src/http/request-target.ts), body size (413, or 411 for a POST without
 * Content-Length), connections per address (429; probes such as /health are outside it, so a
 * liveness check still answers while an address holds all its connections), and the API key on
 * /graphql (401).
 * GraphiQL's page (GET, Accept: text/html) needs no key: it holds no data, and every operation it
 * runs is checked like any other.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bearerKey } from './api-keys.js';
import type { ClientGuards } from './client-guards.js';
import { ErrorCode } from '../clients/error-codes.js';
import { errorBody } from '../clients/client-errors.js';
import { canonicalTarget } from './request-target.js';

export interface HttpGuardOptions {
  maxBodyBytes: number;
  graphqlPath: string;
  graphiql: boolean;
  /** paths outside the per-address connection limit: health, readiness and metrics probes */
  probePaths: readonly string[];
}

function reply(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body = errorBody(code, message);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const isGraphiQLPage = (req: IncomingMessage) => req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

export function guardHttp(guards: ClientGuards, next: RequestListener, options: HttpGuardOptions): RequestListener {
  const refuse = (res: ServerResponse, status: number, code: ErrorCode, message: string, headers?: Record<string, string>) => {
    guards.countRefusal(code);
    reply(res, status, code, message, headers);
  };
  return (req, res) => {
    // the path every later decision uses, the guard's and Yoga's alike
    const target = canonicalTarget(req);
    if (!target.ok) {
      res.setHeader('connection', 'close');
      return refuse(res, 400, ErrorCode.BadRequest, target.reason);
    }
    const length = req.headers['content-length'];
    if (length !== undefined && !(Number(length) <= options.maxBodyBytes)) {
      // the body is not read: close the connection after answering
      res.setHeader('connection', 'close');
      return refuse(res, 413, ErrorCode.PayloadTooLarge, `request body too large: at most ${options.maxBodyBytes} bytes`);
    }
    if (length === undefined && req.headers['transfer-encoding'] !== undefined) {
      res.setHeader('connection', 'close');
      return refuse(res, 411, ErrorCode.LengthRequired, 'a request body needs a Content-Length header');
    }

    const { path } = target;
    if (!options.probePaths.includes(path)) {
      const address = guards.addressOf(req);
      const release = guards.connections.acquire(address);
      if (!release) {
        return refuse(res, 429, ErrorCode.TooManyConnections, `too many connections from ${address}: at most ${guards.config.MAX_CONNECTIONS_PER_ADDRESS}`, {
          'retry-after': '1',
        });
      }
      res.once('close', release);
    }

    const graphql = path === options.graphqlPath || path === `${options.graphqlPath}/` || path === `${options.graphqlPath}/stream`; // graphql-sse's endpoint
    if (guards.authEnabled && graphql && !(options.graphiql && isGraphiQLPage(req))) {
      const auth = guards.authenticate(req, bearerKey(req.headers.authorization));
      if (!auth.ok) return refuse(res, 401, ErrorCode.Unauthenticated, auth.reason, { 'www-authenticate': 'Bearer' });
    } else {
      guards.authenticate(req, null);
    }
    next(req, res);
  };
}
