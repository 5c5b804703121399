/**
 * Client arguments, validated with zod at the boundary before any upstream work. Errors name the
 * offending value so a client can fix its request.
 */
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { isValidSymbol, type Market } from '../feed/alltick/symbols.js';
import { marketRefusal } from '../clients/market-access.js';
import { ErrorCode } from '../clients/error-codes.js';
import { echo } from '../clients/echo.js';

export const MAX_DEPTH_ARG = 10;

/** Adds a custom issue when `ok` fails; the message is built from the value. */
function check<T>(ok: (value: T) => boolean, message: (value: T) => string) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (!ok(value)) ctx.addIssue({ code: 'custom', message: message(value) });
  };
}

const symbolSchema = z
  .string()
  .superRefine(
    check(isValidSymbol, (value) => `invalid symbol ${echo(value)}: expected an AllTick code such as AAPL.US, 700.HK, 600519.SH, EURUSD, GOLD or BTCUSDT`),
  );

export function symbolsSchema(maxSymbols: number) {
  return z
    .array(symbolSchema)
    .min(1, 'symbols must not be empty: give at least one symbol')
    .transform((symbols) => [...new Set(symbols)])
    .superRefine(
      check(
        (symbols) => symbols.length <= maxSymbols,
        (symbols) => `too many symbols: ${symbols.length} given, at most ${maxSymbols} per request`,
      ),
    );
}

export const depthSchema = z
  .number()
  .int()
  .superRefine(
    check(
      (d) => d >= 0 && d <= MAX_DEPTH_ARG,
      (d) => `invalid depth ${d}: must be between 0 and ${MAX_DEPTH_ARG}`,
    ),
  );

/** Parses a value or throws a GraphQLError carrying zod's first message. */
export function parseArg<T>(schema: z.ZodType<T>, value: unknown, argument: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new GraphQLError(issue?.message ?? `invalid ${argument}`, {
    extensions: { code: ErrorCode.BadUserInput, argument },
  });
}

/** What a symbol argument is checked against: the asking client's limits and allowed markets (the Context). */
export interface SymbolRules {
  limits: { maxSymbols: number };
  client?: { markets: ReadonlySet<Market> | null };
}

/**
 * The symbols the operation will actually use, checked against the client's allowed markets
 * here, where every symbol field reads its argument: whatever the document says (variable
 * defaults, fragments, aliases), no symbol of another market gets past (FORBIDDEN).
 */
export function parseSymbols(value: unknown, rules: SymbolRules): string[] {
  return allowed(parseArg(symbolsSchema(rules.limits.maxSymbols), value, 'symbols'), rules);
}

export function parseSymbol(value: unknown, rules: SymbolRules): string {
  return allowed([parseArg(symbolSchema, value, 'symbol')], rules)[0]!;
}

function allowed(symbols: string[], rules: SymbolRules): string[] {
  const refusal = marketRefusal(symbols, rules.client?.markets ?? null);
  if (refusal) throw refusal;
  return symbols;
}

export function parseDepth(value: unknown): number {
  return parseArg(depthSchema, value, 'depth');
}
