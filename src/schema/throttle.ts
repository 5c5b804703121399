/**
 * The `throttleMs` argument of streaming subscription fields (conflation by request): at most one
 * event per symbol per interval, always the latest value. Reuse it on any streaming field:
 * `args: { throttleMs: throttleMsArg(t) }`, then `parseThrottleMs(args.throttleMs)`.
 */
import { z } from 'zod';
import { parseArg } from './args.js';

export const MAX_THROTTLE_MS = 60_000;

const throttleMsSchema = z
  .number()
  .int()
  .superRefine((ms, ctx) => {
    if (ms < 0 || ms > MAX_THROTTLE_MS) ctx.addIssue({ code: 'custom', message: `invalid throttleMs ${ms}: must be between 0 and ${MAX_THROTTLE_MS}` });
  });

export const THROTTLE_MS_DESCRIPTION =
  'At most one event per symbol per this many milliseconds, always the latest value (for dashboards and BI). 0 or absent: every update.';

/** Absent or null means 0: every update. */
export function parseThrottleMs(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return parseArg(throttleMsSchema, value, 'throttleMs');
}
