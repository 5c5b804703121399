/**
 * A file served from memory the way browsers and caches want it: an ETag (a 304 for a matching
 * If-None-Match), compressed with brotli or gzip when the client accepts it (computed once, off
 * the event loop, on the first request that wants it), `Vary: Accept-Encoding`.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const compress = { br: promisify(brotliCompress), gzip: promisify(gzip) };

type Encoding = 'br' | 'gzip';

/** Below this, compression saves less than the headers it costs. */
const MIN_COMPRESS_BYTES = 1024;

export class StaticFile {
  readonly etag: string;
  /** a short content hash, for versioned URLs (`?v=`) */
  readonly version: string;
  private readonly body: Buffer;
  private readonly encoded = new Map<Encoding, Promise<Buffer>>();

  constructor(
    content: string | Buffer,
    private readonly headers: Record<string, string>,
  ) {
    this.body = typeof content === 'string' ? Buffer.from(content) : content;
    this.version = createHash('sha256').update(this.body).digest('base64url').slice(0, 16);
    this.etag = `"${this.version}"`;
  }

  /** The response to `request` (GET or HEAD), with `cacheControl`, made with Yoga's `fetchAPI.Response`. */
  async respond(request: Request, cacheControl: string, ResponseType: typeof Response): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, etag: this.etag, 'cache-control': cacheControl, vary: 'accept-encoding' };
    if (matches(request.headers.get('if-none-match'), this.etag)) return new ResponseType(null, { status: 304, headers });
    const encoding = this.body.length >= MIN_COMPRESS_BYTES ? preferred(request.headers.get('accept-encoding')) : null;
    const body = encoding ? await this.encode(encoding) : this.body;
    if (encoding) headers['content-encoding'] = encoding;
    headers['content-length'] = String(body.length);
    return new ResponseType(request.method === 'HEAD' ? null : new Uint8Array(body), { headers });
  }

  private encode(encoding: Encoding): Promise<Buffer> {
    let body = this.encoded.get(encoding);
    if (!body) {
      // moderate levels: the first visit of a 9 MB page waits for this
      body =
        encoding === 'br'
          ? compress.br(this.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: this.body.length } })
          : compress.gzip(this.body, { level: 6 });
      this.encoded.set(encoding, body);
      body.catch(() => this.encoded.delete(encoding));
    }
    return body;
  }
}

function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** brotli, else gzip, when Accept-Encoding allows it (q=0 refuses) */
function preferred(acceptEncoding: string | null): Encoding | null {
  if (!acceptEncoding) return null;
  const accepted = new Map(
    acceptEncoding.split(',').map((part) => {
      const [name = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return [name.trim(), q === undefined ? 1 : Number(q)] as const;
    }),
  );
  const allows = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return allows('br') ? 'br' : allows('gzip') ? 'gzip' : null;
}
