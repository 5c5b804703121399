/**
 * Request ids and error log lines. Every HTTP request gets an id (the client's `x-request-id` when
 * it is a sane token, else a UUID), echoed in the `x-request-id` response header; every graphql-ws
 * connection gets one too. Each GraphQL error (parse, validation, execution, subscription, stream)
 * becomes one log line carrying that id: `info` for errors the client caused, `error` with the
 * stack for unexpected ones. Variables are not logged. The logger redacts `token` keys, and AllTick
 * errors are token-redacted at their source.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { clip } from '../clients/echo.js';

/** Longest error message written to a log line (graphql-js quotes client names in its messages). */
const LOGGED_MESSAGE_MAX = 1000;

export const REQUEST_ID_HEADER = 'x-request-id';
const clientRequestId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

/** The id of an HTTP request (by its Fetch Request) or of a graphql-ws connection (by its socket). */
const ids = new WeakMap<object, string>();
/** HTTP requests that already have an error line, so the response hook does not add another. */
const logged = new WeakSet<object>();

function idFrom(header: string | null | undefined): string {
  const parsed = clientRequestId.safeParse(header);
  return parsed.success ? parsed.data : randomUUID();
}

interface RequestContext {
  request?: Request;
  socket?: object;
  req?: { headers?: Record<string, string | string[] | undefined> };
  params?: { operationName?: string | null };
  /** who sent it (src/http/client-guards.ts): the address is the client's, behind TRUST_PROXY too */
  client?: { address: string };
}

/** The id for a GraphQL context of either transport, plus the object it is kept on. */
function requestOf(context: unknown): { id: string; key: object | null; transport: 'http' | 'graphql-ws' } {
  const ctx = (context ?? {}) as RequestContext;
  if (ctx.request) {
    let id = ids.get(ctx.request);
    if (!id) ids.set(ctx.request, (id = idFrom(ctx.request.headers.get(REQUEST_ID_HEADER))));
    return { id, key: ctx.request, transport: 'http' };
  }
  if (ctx.socket) {
    let id = ids.get(ctx.socket);
    if (!id) {
      const header = ctx.req?.headers?.[REQUEST_ID_HEADER];
      ids.set(ctx.socket, (id = idFrom(Array.isArray(header) ? header[0] : header)));
    }
    return { id, key: ctx.socket, transport: 'graphql-ws' };
  }
  return { id: randomUUID(), key: null, transport: 'http' };
}

/** An error the server did not mean to raise (a bug or an outage), as opposed to a client mistake. */
function isUnexpected(error: GraphQLError): boolean {
  const original = error.originalError;
  return original != null && original.name !== 'GraphQLError' && !('extensions' in original && (original as GraphQLError).extensions?.code);
}

export function useRequestLog(logger: Logger): Plugin {
  const logErrors = (context: unknown, phase: string, errors: readonly GraphQLError[] | undefined) => {
    if (!errors?.length) return;
    const { id, key, transport } = requestOf(context);
    if (key && transport === 'http') logged.add(key);
    const operationName = (context as RequestContext | undefined)?.params?.operationName ?? undefined;
    const client = (context as RequestContext | undefined)?.client?.address;
    for (const error of errors) {
      const line = {
        requestId: id,
        transport,
        ...(client && { client }),
        phase,
        ...(operationName && { operationName }),
        ...(error.path && { path: error.path.join('.') }),
        ...(error.extensions?.code !== undefined && { code: error.extensions.code }),
        error: clip(error.message, LOGGED_MESSAGE_MAX),
      };
      if (isUnexpected(error)) logger.error({ ...line, err: error.originalError }, 'request error');
      else logger.info(line, 'request error');
    }
  };

  return {
    onRequest({ request }) {
      ids.set(request, idFrom(request.headers.get(REQUEST_ID_HEADER)));
    },
    onResponse({ request, response }) {
      // a plugin that answered before this one's onRequest (/health, /ready, GraphiQL) left no id yet
      let id = ids.get(request);
      if (!id) ids.set(request, (id = idFrom(request.headers.get(REQUEST_ID_HEADER))));
      try {
        response.headers.set(REQUEST_ID_HEADER, id);
      } catch {
        // immutable headers (e.g. Response.error()): the id still reaches the log
      }
      // failures before GraphQL ran (unparsable body, missing query, wrong method) have no error line yet
      if (response.status >= 400 && !logged.has(request) && new URL(request.url).pathname.endsWith('/graphql')) {
        logger.info({ requestId: id, transport: 'http', method: request.method, status: response.status }, 'request failed');
      }
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) logErrors(context, 'parse', [result as GraphQLError]);
      };
    },
    onValidate({ context }) {
      return ({ result }) => logErrors(context, 'validate', result as readonly GraphQLError[]);
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) logErrors(args.contextValue, 'execute', result.errors);
        },
      };
    },
    onSubscribe({ args }) {
      const context = args.contextValue;
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            logErrors(context, 'subscribe', result.errors);
            return;
          }
          return { onNext: ({ result: next }) => logErrors(context, 'subscription event', next.errors) };
        },
        onSubscribeError({ error }) {
          const asGraphQL = error instanceof Error && error.name === 'GraphQLError' ? (error as GraphQLError) : null;
          if (asGraphQL) logErrors(context, 'subscription stream', [asGraphQL]);
          else {
            const { id, transport } = requestOf(context);
            logger.error({ requestId: id, transport, phase: 'subscription stream', err: error }, 'request error');
          }
        },
      };
    },
  };
}
