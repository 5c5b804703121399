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

/** Removes a token from anything that may be logged or shown: URLs, messages. */
export function redactToken(text: string, token: string | undefined): string {
  let out = text.replace(/([?&]token=)[^&\s"']*/g, '$1***');
  if (token) out = out.split(token).join('***');
  return out;
}
