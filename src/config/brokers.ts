/**
 * `amqp.brokers`: several independent brokers at once (SAP's Hermes layout: each service publishes
 * to its own notification broker). Each entry is a broker source of its own; any field it leaves
 * out is taken from the top-level `amqp.*` settings. Empty (the default): one broker, the
 * top-level settings, as before.
 */
export interface BrokerEntry {
  /** Unique; names the source in logs, metrics (`source="amqp:<name>"`) and /readyz. */
  readonly name: string;
  readonly url: readonly string[];
  readonly exchanges?: readonly string[];
  readonly routingKeys?: readonly string[];
  readonly queue?: string;
  readonly queueType?: 'classic' | 'quorum';
  readonly deadLetterQueue?: string;
  readonly exchangeDurable?: boolean;
  readonly prefetch?: number;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly verify?: boolean };
}

const FIELDS = new Set(['name', 'url', 'exchanges', 'routingKeys', 'queue', 'queueType', 'deadLetterQueue', 'exchangeDurable', 'prefetch', 'tls']);
const TLS_FIELDS = new Set(['ca', 'cert', 'key', 'verify']);

/** The env var carries the list as JSON; a config file as a JSON array. */
export function coerceBrokers(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v.trim() === '') return [];
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v; // validate() says what is wrong
  }
}

/** Throws an Error naming the entry and the field at fault; never echoes a URL (it holds a password). */
export function validateBrokers(v: unknown): void {
  if (!Array.isArray(v)) throw new Error('must be a JSON array of broker objects, e.g. [{"name":"region1","url":"amqp://..."}]');
  const names = new Set<string>();
  v.forEach((entry: unknown, i) => {
    const at = `entry ${i}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${at} must be an object with at least "name" and "url"`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!FIELDS.has(k)) throw new Error(`${at} has an unknown field "${k}" (allowed: ${[...FIELDS].join(', ')})`);
    if (typeof e.name !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(e.name)) throw new Error(`${at}: "name" must be 1-40 letters, digits, _ or -`);
    if (names.has(e.name)) throw new Error(`${at}: the name "${e.name}" is used twice`);
    names.add(e.name);
    const urls = typeof e.url === 'string' ? e.url.split(',').map((s) => s.trim()) : e.url;
    if (!Array.isArray(urls) || urls.length === 0) throw new Error(`broker "${e.name}": "url" must be an amqp:// or amqps:// URL or a list of them`);
    for (const u of urls) {
      let url: URL;
      try {
        url = new URL(String(u));
      } catch {
        throw new Error(`broker "${e.name}": a "url" is not a URL`);
      }
      if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new Error(`broker "${e.name}": "url" must use amqp:// or amqps://, not ${url.protocol}//`);
    }
    for (const k of ['exchanges', 'routingKeys'] as const) {
      const list = e[k];
      if (list !== undefined && (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s === ''))) {
        throw new Error(`broker "${e.name}": "${k}" must be a non-empty list of names`);
      }
    }
    for (const k of ['queue', 'deadLetterQueue'] as const) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || e[k] === '')) throw new Error(`broker "${e.name}": "${k}" must be a non-empty string`);
    }
    if (e.queueType !== undefined && e.queueType !== 'classic' && e.queueType !== 'quorum') throw new Error(`broker "${e.name}": "queueType" must be classic or quorum`);
    if (e.exchangeDurable !== undefined && typeof e.exchangeDurable !== 'boolean') throw new Error(`broker "${e.name}": "exchangeDurable" must be true or false`);
    if (e.prefetch !== undefined && (typeof e.prefetch !== 'number' || !Number.isInteger(e.prefetch) || e.prefetch < 1)) {
      throw new Error(`broker "${e.name}": "prefetch" must be a whole number >= 1`);
    }
    if (e.tls !== undefined) {
      if (e.tls === null || typeof e.tls !== 'object') throw new Error(`broker "${e.name}": "tls" must be an object`);
      for (const [k, val] of Object.entries(e.tls as Record<string, unknown>)) {
        if (!TLS_FIELDS.has(k)) throw new Error(`broker "${e.name}": "tls" has an unknown field "${k}" (allowed: ca, cert, key, verify)`);
        if (k === 'verify' ? typeof val !== 'boolean' : typeof val !== 'string') throw new Error(`broker "${e.name}": "tls.${k}" has the wrong type`);
      }
    }
  });
}

/** Normalises a validated entry (`url` as a list). */
export function brokerEntries(v: unknown): BrokerEntry[] {
  return (v as Array<Record<string, unknown>>).map((e) => ({
    ...(e as unknown as BrokerEntry),
    url: typeof e.url === 'string' ? e.url.split(',').map((s) => s.trim()) : (e.url as string[]),
  }));
}
