import { RET_MESSAGES } from './protocol.js';

/** An AllTick answer with `ret` other than 200, or an HTTP status that means the same. */
export class AllTickError extends Error {
  override readonly name = 'AllTickError';
  constructor(
    /** AllTick `ret` code (401, 600, 605, 606…) or, for HTTP-level failures, the HTTP status */
    readonly ret: number,
    message: string = RET_MESSAGES[ret] ?? `ret ${ret}`,
    /** the request cmd_id or REST method that failed */
    readonly operation?: string,
  ) {
    super(`AllTick ${operation ? `${operation} ` : ''}failed: ret ${ret} ${message}`);
  }
}

/**
 * Removes a token from anything that may be logged or shown: URLs, messages. Upstream may echo it
 * changed, so every spelling goes: any letter case, URL-encoded (once or twice, either hex case).
 */
export function redactToken(text: string, token: string | undefined): string {
  let out = text.replace(/([?&]token(?:=|%3D))[^&\s"']*/gi, '$1***');
  if (token) out = out.replace(tokenPattern(token), '***');
  return out;
}

let cachedPattern: { token: string; pattern: RegExp } | null = null;

function tokenPattern(token: string): RegExp {
  if (cachedPattern?.token !== token) {
    const once = encodeURIComponent(token);
    const spellings = [...new Set([token, once, encodeURIComponent(once)])].sort((a, b) => b.length - a.length);
    const escaped = spellings.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    cachedPattern = { token, pattern: new RegExp(escaped.join('|'), 'gi') };
  }
  return cachedPattern.pattern;
}
