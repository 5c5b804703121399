/**
 * Environment of `npm run simulator`, validated with zod; an error names the variable.
 */
import { z } from 'zod';
import { PLAN_NAMES } from '../feed/alltick/plans.js';
import type { SimulatorOptions } from './options.js';

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const envSchema = z.object({
  SIMULATOR_PORT: int(0, 65_535).default(7070),
  SIMULATOR_HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  SIMULATOR_TOKENS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((t) => t.trim())))
    .refine((t) => t === undefined || (t.length > 0 && t.every((x) => x.length > 0)), 'must be a comma-separated list of non-empty tokens'),
  SIMULATOR_PLAN: z.enum(PLAN_NAMES).default('basic'),
  SIMULATOR_SEED: int(0, 2 ** 32 - 1).optional(),
  SIMULATOR_TICKS_PER_SECOND: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a non-negative number')
    .transform(Number)
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SimulatorEnv {
  options: SimulatorOptions & { host: string; port: number };
  logLevel: string;
}

export type EnvResult = { ok: true; env: SimulatorEnv } | { ok: false; error: string };

/** Empty strings count as unset, as in most shells' `VAR=` usage. */
export function parseSimulatorEnv(env: Record<string, string | undefined>): EnvResult {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = envSchema.safeParse(present);
  if (!r.success) {
    const error = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return { ok: false, error: `invalid environment: ${error}` };
  }
  const e = r.data;
  const options: SimulatorEnv['options'] = { host: e.SIMULATOR_HOST, port: e.SIMULATOR_PORT, plan: e.SIMULATOR_PLAN };
  if (e.SIMULATOR_TOKENS) options.tokens = e.SIMULATOR_TOKENS;
  if (e.SIMULATOR_SEED !== undefined) options.seed = e.SIMULATOR_SEED;
  if (e.SIMULATOR_TICKS_PER_SECOND !== undefined) options.ticksPerSecond = e.SIMULATOR_TICKS_PER_SECOND;
  return { ok: true, env: { options, logLevel: e.LOG_LEVEL } };
}
