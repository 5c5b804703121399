/**
 * Client API keys (optional; off unless API_KEYS_FILE is set). The file is JSON, validated with
 * zod at start-up:
 *
 *   { "keys": [ { "name": "dashboard", "key": "…at least 16 characters…",
 *                 "markets": ["US", "CRYPTO"],             // optional: all markets when absent
 *                 "limits": { "maxSymbols": 20 } } ] }      // optional: any of ClientLimits
 *
 * Keys are kept only as SHA-256 digests, and looked up by digest, so the comparison does not leak
 * timing about the stored keys and a heap dump holds no key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Market } from '../feed/alltick/symbols.js';
import { ConfigError, operationRate } from '../config.js';
import type { ClientLimits } from '../clients/limits.js';

export const MARKETS = ['US', 'HK', 'SH', 'SZ', 'FOREX', 'METAL', 'ENERGY', 'INDEX', 'CRYPTO', 'OTHER'] as const satisfies readonly Market[];

const limitValue = z.number().int().min(0).max(100_000_000);

export const apiKeysFileSchema = z
  .object({
    keys: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[\w.@-]{1,64}$/, 'name: 1-64 letters, digits, _ . @ -'),
          key: z.string().min(16, 'key: at least 16 characters').max(512),
          markets: z.array(z.enum(MARKETS)).min(1).optional(),
          limits: z
            .strictObject({
              maxSymbols: limitValue.min(1),
              maxSubscriptionsPerConnection: limitValue,
              operationsPerSecond: operationRate(z.number()),
              operationsBurst: limitValue.min(1),
              maxQueryDepth: limitValue,
              maxQueryComplexity: limitValue,
            })
            .partial()
            .optional(),
        }),
      )
      .min(1, 'keys: give at least one key'),
  })
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    const keys = new Set<string>();
    file.keys.forEach((k, i) => {
      if (names.has(k.name)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'name'], message: `duplicate name ${k.name}` });
      if (keys.has(k.key)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'key'], message: `key of ${k.name} is used twice` });
      names.add(k.name);
      keys.add(k.key);
    });
  });

export interface ApiKey {
  name: string;
  /** allowed markets; null = all */
  markets: ReadonlySet<Market> | null;
  limits: Partial<ClientLimits>;
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

export class ApiKeyStore {
  private readonly byDigest = new Map<string, ApiKey>();

  constructor(file: z.infer<typeof apiKeysFileSchema>) {
    for (const k of file.keys) {
      this.byDigest.set(digest(k.key), { name: k.name, markets: k.markets ? new Set(k.markets) : null, limits: k.limits ?? {} });
    }
  }

  lookup(key: string | null | undefined): ApiKey | null {
    if (!key) return null;
    return this.byDigest.get(digest(key)) ?? null;
  }

  get size(): number {
    return this.byDigest.size;
  }
}

/** A ConfigError: `npm start` prints it and stops. */
export class ApiKeysFileError extends ConfigError {}

/** Reads and validates the file; the message names the file and the bad entries, never a key. */
export function loadApiKeys(path: string): ApiKeyStore {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ApiKeysFileError(`API_KEYS_FILE=${JSON.stringify(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiKeysFileError(`API_KEYS_FILE=${JSON.stringify(path)}: not valid JSON`);
  }
  const parsed = apiKeysFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ApiKeysFileError(`API_KEYS_FILE=${JSON.stringify(path)}: ${problems.join('; ')}`);
  }
  return new ApiKeyStore(parsed.data);
}

/** The key of an `Authorization: Bearer <key>` header value. */
export function bearerKey(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** The key of graphql-ws `connectionParams`: `{ authorization: 'Bearer …' }`, `{ Authorization: … }` or `{ apiKey }`. */
export function connectionParamsKey(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const auth = params.authorization ?? params.Authorization;
  if (typeof auth === 'string') return bearerKey(auth);
  const headers = params.headers;
  if (headers && typeof headers === 'object') {
    const h = headers as Record<string, unknown>;
    const fromHeaders = h.authorization ?? h.Authorization;
    if (typeof fromHeaders === 'string') return bearerKey(fromHeaders);
  }
  return typeof params.apiKey === 'string' ? params.apiKey : null;
}
