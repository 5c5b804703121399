/**
 * What a GraphQL document may cost before it is parsed, and the parsed-document cache. A document
 * of many tokens costs ~500 bytes of heap per token once parsed and deep nesting overflows the
 * parser's stack, so both are measured first with graphql's own lexer (iterative, no AST) and
 * refused with a 400; the cache of parsed documents is bounded by their estimated heap size, not
 * by their count, so many large documents cannot fill the heap.
 */
import { GraphQLError, Lexer, Source, TokenKind, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ErrorCode } from '../clients/error-codes.js';
import { clientError } from '../clients/client-errors.js';

export interface DocumentLimits {
  /** UTF-8 bytes of the document text */
  maxBytes: number;
  /** lexical tokens (names, punctuation, values) */
  maxTokens: number;
  /** brackets `{ [ (` open at once */
  maxNesting: number;
}

/** Enough for any selection MAX_QUERY_DEPTH allows, far below the parser's stack (~2,500 levels). */
export const MAX_DOCUMENT_NESTING = 256;

/** Heap a parsed document takes per token (measured with graphql 16: ~490 bytes). */
const HEAP_BYTES_PER_TOKEN = 512;

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/** A QUERY_TOO_LARGE / QUERY_TOO_DEEP error when `source` breaks a limit, else null (syntax errors are left to the parser). */
export function checkDocument(source: string, limits: DocumentLimits): GraphQLError | null {
  const bytes = Buffer.byteLength(source);
  if (limits.maxBytes > 0 && bytes > limits.maxBytes) {
    return clientError(ErrorCode.QueryTooLarge, `query too large: ${bytes} bytes, at most ${limits.maxBytes}`, 400, undefined, {
      limit: limits.maxBytes,
    });
  }
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (limits.maxTokens > 0 && ++tokens > limits.maxTokens) {
        return clientError(ErrorCode.QueryTooLarge, `query too large: more than ${limits.maxTokens} tokens`, 400, undefined, { limit: limits.maxTokens });
      }
      if (OPENING.has(token.kind) && ++nesting > limits.maxNesting) {
        return clientError(ErrorCode.QueryTooDeep, `query too deep: more than ${limits.maxNesting} nested brackets`, 400, undefined, {
          limit: limits.maxNesting,
        });
      }
      if (CLOSING.has(token.kind)) nesting--;
    }
  } catch {
    return null; // a syntax error: the parser reports it, with its position
  }
  return null;
}

interface Cache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
}

/** Parsed documents, at most `maxBytes` of estimated heap (text plus AST) in all; 0: none kept. */
export function documentCache(maxBytes: number): Cache<DocumentNode> {
  if (maxBytes <= 0) return noCache;
  const cache = new LRUCache<string, DocumentNode>({
    maxSize: maxBytes,
    sizeCalculation: (document, source) => {
      const tokens = (document as { tokenCount?: number }).tokenCount ?? source.length;
      return Math.max(1, source.length * 2 + tokens * HEAP_BYTES_PER_TOKEN);
    },
  });
  return {
    get: (source) => cache.get(source),
    set: (source, document) => {
      cache.set(source, document);
    },
  };
}

const noCache: Cache<never> = { get: () => undefined, set: () => {} };

/** Parse errors are not kept: re-parsing a bounded document is cheap, keeping its text is not. */
export const noErrorCache: Cache<unknown> = noCache;
