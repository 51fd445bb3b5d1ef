import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../logger.js';
import { redactUrl } from '../config/redact.js';
import type { NameKind } from './name-memory.js';

export interface KeystoneClientOptions {
  /** Identity v3 base URL, e.g. http://keystone:5000/v3. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly userDomainName: string;
  readonly projectName: string;
  readonly projectDomainName: string;
  readonly applicationCredentialId: string;
  readonly applicationCredentialSecret: string;
  readonly caFile: string;
  readonly timeoutMs: number;
  readonly maxRequestsPerSecond: number;
  readonly negativeCacheSeconds: number;
}

export type LookupResult =
  | { readonly status: 'found'; readonly name: string; readonly domainId?: string }
  | { readonly status: 'not_found' }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'rate_limited' };

/** One object of a listing. */
export interface ListedName {
  readonly id: string;
  readonly name: string;
  readonly domainId?: string;
}

type ListBody = Record<string, Array<{ id?: unknown; name?: unknown; domain_id?: unknown }> | undefined> & {
  truncated?: unknown;
  links?: { next?: unknown };
};

interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const PATHS: Record<NameKind, string> = {
  user: 'users',
  project: 'projects',
  domain: 'domains',
  group: 'groups',
  role: 'roles',
};

/** Queued lookups beyond this are refused (rate_limited) rather than kept in memory. */
const MAX_QUEUE = 2000;

/**
 * Reads names from the Keystone v3 API: password or application-credential auth, the token
 * cached and renewed before it expires, per-request timeouts, a bounded request rate, a negative
 * cache for ids that do not exist, and one request per id however many events ask for it.
 * Credentials are never logged.
 */
export class KeystoneClient {
  private token: { value: string; renewAt: number } | undefined;
  private tokenRequest: Promise<string> | undefined;
  private readonly inflight = new Map<string, Promise<LookupResult>>();
  private readonly notFound = new Map<string, number>();
  private readonly queue: Array<{ start: () => void; cancel: () => void }> = [];
  private closed = false;
  private nextStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly ca: Buffer | undefined;

  constructor(
    private readonly options: KeystoneClientOptions,
    private readonly log: Logger,
  ) {
    this.ca = options.caFile !== '' ? readFileSync(options.caFile) : undefined;
  }

  lookup(kind: NameKind, id: string): Promise<LookupResult> {
    const key = `${kind}:${id}`;
    const negative = this.notFound.get(key);
    if (negative !== undefined) {
      if (negative > Date.now()) return Promise.resolve({ status: 'not_found' });
      this.notFound.delete(key);
    }
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    if (this.queue.length >= MAX_QUEUE) return Promise.resolve({ status: 'rate_limited' });
    const p = this.scheduled(() => this.fetchName(kind, id))
      .catch((err: unknown): LookupResult => ({ status: 'error', message: (err as Error).message }))
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /**
   * Every object of a kind (`GET /v3/users?domain_id=...`), following `links.next` page after
   * page; each page is one request under the same rate limit as the lookups. A listing Keystone
   * cut short (`truncated`: its list_limit) is returned as far as it goes, with `truncated` set.
   */
  async list(kind: NameKind, query: Record<string, string> = {}): Promise<{ items: ListedName[]; truncated: boolean }> {
    const items: ListedName[] = [];
    let truncated = false;
    const qs = new URLSearchParams(query).toString();
    let path: string | undefined = `${PATHS[kind]}${qs !== '' ? `?${qs}` : ''}`;
    for (let pages = 0; path !== undefined && pages < 10_000; pages++) {
      const current: string = path;
      let res = await this.scheduled(async () => this.get(current, await this.getToken()));
      if (res.status === 401) {
        this.token = undefined;
        res = await this.scheduled(async () => this.get(current, await this.getToken()));
      }
      if (res.status !== 200) throw new Error(`GET ${PATHS[kind]}: HTTP ${res.status}`);
      const body = JSON.parse(res.body) as ListBody;
      for (const o of body[PATHS[kind]] ?? []) {
        if (typeof o.id === 'string' && typeof o.name === 'string') {
          items.push({ id: o.id, name: o.name, domainId: typeof o.domain_id === 'string' ? o.domain_id : undefined });
        }
      }
      truncated ||= body.truncated === true;
      path = this.relative(body.links?.next);
    }
    return { items, truncated };
  }

  /** Stops: queued lookups are cancelled (they never reach Keystone), new ones answer at once. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const job of this.queue.splice(0)) job.cancel();
  }

  private async fetchName(kind: NameKind, id: string): Promise<LookupResult> {
    try {
      let res = await this.get(`${PATHS[kind]}/${encodeURIComponent(id)}`, await this.getToken());
      if (res.status === 401) {
        this.token = undefined; // expired or revoked: once more with a fresh one
        res = await this.get(`${PATHS[kind]}/${encodeURIComponent(id)}`, await this.getToken());
      }
      if (res.status === 404) {
        this.notFound.set(`${kind}:${id}`, Date.now() + this.options.negativeCacheSeconds * 1000);
        return { status: 'not_found' };
      }
      if (res.status !== 200) return { status: 'error', message: `GET ${PATHS[kind]}/<id>: HTTP ${res.status}` };
      const obj = (JSON.parse(res.body) as Record<string, { name?: unknown; domain_id?: unknown } | undefined>)[kind];
      if (typeof obj?.name !== 'string') return { status: 'error', message: `GET ${PATHS[kind]}/<id>: no name in the answer` };
      return { status: 'found', name: obj.name, domainId: typeof obj.domain_id === 'string' ? obj.domain_id : undefined };
    } catch (err) {
      return { status: 'error', message: (err as Error).message };
    }
  }

  /** A `links.next` URL as a path under our base URL (Keystone writes its public endpoint there). */
  private relative(next: unknown): string | undefined {
    if (typeof next !== 'string' || next === '') return undefined;
    const u = new URL(next, `${this.options.url.replace(/\/+$/, '')}/`);
    const i = u.pathname.indexOf('/v3/');
    return i < 0 ? undefined : `${u.pathname.slice(i + 4)}${u.search}`;
  }

  private getToken(): Promise<string> {
    if (this.token !== undefined && Date.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.tokenRequest ??= this.authenticate().finally(() => (this.tokenRequest = undefined));
    return this.tokenRequest;
  }

  private async authenticate(): Promise<string> {
    const o = this.options;
    const identity =
      o.applicationCredentialId !== ''
        ? { methods: ['application_credential'], application_credential: { id: o.applicationCredentialId, secret: o.applicationCredentialSecret } }
        : { methods: ['password'], password: { user: { name: o.username, domain: { name: o.userDomainName }, password: o.password } } };
    const scope = o.applicationCredentialId !== '' ? undefined : { project: { name: o.projectName, domain: { name: o.projectDomainName } } };
    const res = await this.send('POST', 'auth/tokens', undefined, JSON.stringify({ auth: { identity, ...(scope ? { scope } : {}) } }));
    const value = res.headers['x-subject-token'];
    if (res.status !== 201 || typeof value !== 'string') {
      throw new Error(`Keystone authentication failed: HTTP ${res.status}`);
    }
    const expiresAt = Date.parse((JSON.parse(res.body) as { token?: { expires_at?: string } }).token?.expires_at ?? '');
    const now = Date.now();
    // Renew at 90 % of the lifetime, and at least a minute before expiry.
    const life = Number.isFinite(expiresAt) ? expiresAt - now : 3600_000;
    this.token = { value, renewAt: now + Math.max(0, Math.min(life * 0.9, life - 60_000)) };
    this.log.info({ keystone: redactUrl(this.options.url), expiresInS: Math.round(life / 1000) }, 'Keystone token obtained');
    return value;
  }

  private get(path: string, token: string): Promise<HttpResponse> {
    return this.send('GET', path, token, undefined);
  }

  private send(method: string, path: string, token: string | undefined, body: string | undefined): Promise<HttpResponse> {
    const url = new URL(`${this.options.url.replace(/\/+$/, '')}/${path}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: {
            accept: 'application/json',
            'user-agent': 'cadf-exporter',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(token !== undefined ? { 'x-auth-token': token } : {}),
          },
          ...(this.ca !== undefined ? { ca: this.ca } : {}),
          timeout: this.options.timeoutMs,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (data = data.length < 1 << 20 ? data + c : data));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Keystone did not answer within ${this.options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Starts jobs no faster than maxRequestsPerSecond, in order. */
  private scheduled<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the Keystone client is closed'));
        return;
      }
      this.queue.push({ start: () => void job().then(resolve, reject), cancel: () => reject(new Error('the Keystone client is closed')) });
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    const interval = 1000 / this.options.maxRequestsPerSecond;
    const tick = (): void => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue.length > 0 && now >= this.nextStart) {
        this.nextStart = Math.max(now, this.nextStart) + interval;
        this.queue.shift()!.start();
      }
      if (this.queue.length > 0) this.timer = setTimeout(tick, Math.max(1, this.nextStart - Date.now()));
    };
    tick();
  }
}
