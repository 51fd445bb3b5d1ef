import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);
/** A response body larger than this is not read: an OTLP answer is a few bytes. */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface TransportOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string;
  readonly compression: 'none' | 'gzip';
  readonly userAgent: string;
  /** TLS for https:// endpoints: PEM contents, not paths. */
  readonly tls?: { readonly ca?: Buffer | Buffer[]; readonly cert?: Buffer; readonly key?: Buffer; readonly rejectUnauthorized?: boolean };
}

/** What one POST came to. Never a thrown error: every outcome is a value. */
export type TransportResponse =
  | { readonly kind: 'response'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: Buffer }
  | { readonly kind: 'timeout' }
  /** Given up by the caller (the shutdown deadline): the endpoint may or may not have it. */
  | { readonly kind: 'aborted' }
  | { readonly kind: 'network'; readonly code: string; readonly message: string };

/**
 * One OTLP/HTTP POST, nothing more: keep-alive, gzip, a timeout covering the whole exchange.
 * Retries, Retry-After and the meaning of each status are the export loop's, which is why the
 * SDK's transport is not used: it retries 429/502/503/504 itself inside the request timeout and
 * then reports them without their status or their Retry-After.
 */
export class HttpTransport {
  private readonly agent: HttpAgent;
  private readonly target: URL;
  private readonly send: typeof httpRequest;

  constructor(private readonly options: TransportOptions) {
    this.target = new URL(options.url);
    const secure = this.target.protocol === 'https:';
    this.send = secure ? httpsRequest : httpRequest;
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, ...(options.tls ?? {}) })
      : new HttpAgent({ keepAlive: true });
  }

  async post(
    body: Uint8Array,
    timeoutMs: number,
    extraHeaders?: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<TransportResponse> {
    let payload: Uint8Array = body;
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...extraHeaders,
      'Content-Type': this.options.contentType,
      'User-Agent': this.options.userAgent,
    };
    if (this.options.compression === 'gzip') {
      payload = await gzipAsync(body);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = String(payload.byteLength);
    if (signal?.aborted === true) return { kind: 'aborted' };
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: TransportResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = (): void => {
        finish({ kind: 'aborted' });
        req.destroy();
      };
      const req = this.send(this.target, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('end', () => finish({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'network', code: err.code ?? 'ERESPONSE', message: err.message }));
      });
      // The whole exchange, not just idle time: an endpoint that trickles must not hold a batch.
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'network', code: err.code ?? 'EREQUEST', message: err.message }));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
