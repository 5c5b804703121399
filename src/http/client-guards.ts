/**
 * Who a client is and what it may do, for every transport: the API key it showed (when
 * API_KEYS_FILE is set), its address, its limits, and the markets it may see. One instance per
 * server; the HTTP wrapper, the graphql-ws hooks and the envelop plugin all ask it.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from './use-request-log.js';
import type { Config } from '../config.js';
import { ApiKeyStore, loadApiKeys, type ApiKey } from './api-keys.js';
import { AddressCounter } from './address-limit.js';
import { limitsFromConfig, type ClientLimits } from '../clients/limits.js';
import { OperationRateLimiter } from './rate-limit.js';
import type { ErrorCode } from '../clients/error-codes.js';
import type { ClientIdentity } from '../clients/identity.js';
import { clientAddress, type TrustProxy } from '../trust-proxy.js';

export type AuthOutcome = { ok: true; identity: ClientIdentity } | { ok: false; reason: string };

export const PUBLIC_VISIBILITY = 'public';

/** The headers read of a request after a graphql-ws upgrade: the API key, the forwarded address, the request id. */
const HEAD_HEADERS = ['authorization', 'x-forwarded-for', REQUEST_ID_HEADER] as const;

/** What the client rules and the logs read of a request: those headers and its TCP socket. */
export interface RequestHead {
  headers: Partial<Pick<IncomingHttpHeaders, (typeof HEAD_HEADERS)[number]>>;
  socket: IncomingMessage['socket'];
}

/**
 * The head a graphql-ws connection keeps of its upgrade request for its life, instead of the
 * IncomingMessage with every header a browser sent (cookies, user agent…): connections are many.
 */
export function requestHead(req: IncomingMessage): RequestHead {
  const kept = HEAD_HEADERS.flatMap((name) => (req.headers[name] === undefined ? [] : [[name, req.headers[name]] as const]));
  return { headers: Object.fromEntries(kept), socket: req.socket };
}

export class ClientGuards {
  readonly limits: ClientLimits;
  readonly keys: ApiKeyStore | null;
  readonly rateLimiter = new OperationRateLimiter();
  /** graphql-ws sockets and in-flight HTTP requests per address */
  readonly connections: AddressCounter;
  private readonly identities = new WeakMap<RequestHead, ClientIdentity>();
  /** requests refused per error code, for metrics and logs */
  readonly refusals = new Map<ErrorCode, number>();

  constructor(
    readonly config: Config,
    keys?: ApiKeyStore | null,
  ) {
    this.limits = limitsFromConfig(config);
    this.keys = keys !== undefined ? keys : config.API_KEYS_FILE ? loadApiKeys(config.API_KEYS_FILE) : null;
    this.connections = new AddressCounter(config.MAX_CONNECTIONS_PER_ADDRESS);
  }

  addressOf(req: RequestHead): string {
    return addressOf(req, this.config.TRUST_PROXY);
  }

  countRefusal(code: ErrorCode): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }

  get authEnabled(): boolean {
    return this.keys !== null;
  }

  /** Checks the key a request showed (null: none) and remembers who sent `req`. */
  authenticate(req: RequestHead, key: string | null): AuthOutcome {
    const address = this.addressOf(req);
    if (!this.keys) return { ok: true, identity: this.remember(req, this.anonymous(address)) };
    if (!key) return { ok: false, reason: 'missing API key: send Authorization: Bearer <key>' };
    const found = this.keys.lookup(key);
    if (!found) return { ok: false, reason: 'unknown API key' };
    return { ok: true, identity: this.remember(req, this.identityForKey(found, address)) };
  }

  /** Who sent `req` (as authenticated before), or an anonymous client for in-process calls. */
  identityOf(req: RequestHead | undefined): ClientIdentity {
    const known = req && this.identities.get(req);
    if (known) return known;
    const identity = this.anonymous(req ? this.addressOf(req) : 'local');
    // with authentication on, an unauthenticated caller sees no market at all
    return this.keys ? { ...identity, markets: new Set(), visibilityKey: 'none' } : identity;
  }

  private remember(req: RequestHead, identity: ClientIdentity): ClientIdentity {
    this.identities.set(req, identity);
    return identity;
  }

  private anonymous(address: string): ClientIdentity {
    return { address, keyName: null, id: `address:${address}`, markets: null, limits: this.limits, visibilityKey: PUBLIC_VISIBILITY };
  }

  private identityForKey(key: ApiKey, address: string): ClientIdentity {
    return {
      address,
      keyName: key.name,
      id: `key:${key.name}`,
      markets: key.markets,
      limits: { ...this.limits, ...key.limits },
      visibilityKey: key.markets ? `markets:${[...key.markets].sort().join(',')}` : 'markets:*',
    };
  }
}

/** The client's address: the TCP peer, or behind trusted proxies the one they forwarded (TRUST_PROXY). */
export function addressOf(req: RequestHead, trust?: TrustProxy | null): string {
  return clientAddress(req.socket?.remoteAddress ?? 'unknown', req.headers['x-forwarded-for'], trust);
}
