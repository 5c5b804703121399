/**
 * The one route decision of the HTTP server: a request target must be in canonical origin form
 * (`/path?query`, no dot segments, no `//`, no fragment, no backslash) with a valid Host header,
 * or it is refused with 400 before anything else looks at it. So the API-key gate, which compares
 * paths, and Yoga, which normalises them with WHATWG URL, always see the same path: a spelling
 * such as `/./graphql`, `/x/../graphql`, `/graphql#x` or `GET http://any/graphql` cannot reach
 * GraphQL around the gate.
 */
import type { IncomingMessage } from 'node:http';

export type RequestTarget = { ok: true; path: string } | { ok: false; reason: string };

/** A Host header: a name or an IPv4 / bracketed IPv6 address, and an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::\d{1,5})?$/;

export function canonicalTarget(req: Pick<IncomingMessage, 'url' | 'headers'>): RequestTarget {
  const target = req.url ?? '';
  const host = req.headers.host ?? 'localhost';
  if (!HOST.test(host)) return { ok: false, reason: 'malformed Host header' };
  if (!target.startsWith('/')) return { ok: false, reason: 'the request target must be a path starting with /' };
  let url: URL;
  try {
    url = new URL(target, `http://${host}`);
  } catch {
    return { ok: false, reason: 'malformed Host header or request target' };
  }
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (url.pathname !== path || url.hash !== '' || url.host === '' || target.startsWith('//')) {
    return { ok: false, reason: 'the request path is not in canonical form (no dot segments, //, \\ or #)' };
  }
  return { ok: true, path };
}
