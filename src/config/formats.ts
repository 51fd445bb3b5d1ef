import convict from 'convict';
import { coerceBrokers, validateBrokers } from './brokers.js';

/**
 * Custom convict formats. Each validate() throws a message that says what IS allowed, so a bad
 * value fails at start with the key, the value and the fix (see load.ts for the framing).
 */

/** `a,b , c` -> ['a', 'b', 'c']: env vars and flags give strings, files give arrays. */
function splitList(v: unknown): unknown {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
}

/**
 * `k1=v1,k2=v2` (values percent-decoded, as OTEL_EXPORTER_OTLP_HEADERS) -> { k1: 'v1', ... }, or
 * the offending part. convict keeps these settings as strings (it would treat a map's keys,
 * `cloud.region`, as settings of their own); load.ts turns them into maps after validation.
 */
export function parseKeyValues(
  v: string,
): { ok: true; map: Record<string, string> } | { ok: false; bad: string } {
  const map: Record<string, string> = {};
  const parts = v.split(',');
  for (const [n, part] of parts.entries()) {
    if (part.trim() === '') continue;
    // Never the part itself: in OTEL_EXPORTER_OTLP_HEADERS it is likely a token.
    const which = `pair ${n + 1} of ${parts.length}`;
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, bad: `${which} has no key=` };
    try {
      map[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return { ok: false, bad: `${which} has a bad percent-encoding` };
    }
  }
  return { ok: true, map };
}

/** A map written as an object in a config file becomes the same `k=v,...` string. */
function keyValuesToString(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x as string))}`)
    .join(',');
}

export function registerFormats(): void {
  convict.addFormat({ name: 'broker-list', coerce: coerceBrokers, validate: validateBrokers });
  convict.addFormat({
    name: 'string-list',
    coerce: splitList,
    validate(v: unknown) {
      if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || s === '')) {
        throw new Error('must be a non-empty comma-separated list of names');
      }
    },
  });
  convict.addFormat({
    name: 'amqp-urls',
    coerce: splitList,
    validate(v: unknown) {
      if (!Array.isArray(v) || v.length === 0) {
        throw new Error('must be one or more amqp:// or amqps:// URLs, comma-separated');
      }
      for (const u of v) {
        let url: URL;
        try {
          url = new URL(String(u));
        } catch {
          throw new Error('must be one or more amqp:// or amqps:// URLs, comma-separated (one is not a URL)');
        }
        if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
          throw new Error(`must use amqp:// or amqps://, not ${url.protocol}//`);
        }
      }
    },
  });
  convict.addFormat({
    name: 'key-values',
    coerce: keyValuesToString,
    validate(v: unknown) {
      if (typeof v !== 'string') {
        throw new Error('must be key=value pairs, comma-separated (values may be percent-encoded)');
      }
      const parsed = parseKeyValues(v);
      if (!parsed.ok) throw new Error(`must be key=value pairs, comma-separated; ${parsed.bad}`);
    },
  });
  convict.addFormat({
    name: 'optional-url',
    validate(v: unknown) {
      if (v === '') return;
      let url: URL;
      try {
        url = new URL(String(v));
      } catch {
        throw new Error('must be an http:// or https:// URL, or empty');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`must be an http:// or https:// URL, not ${url.protocol}//`);
      }
    },
  });
  convict.addFormat({
    name: 'store-url',
    validate(v: unknown) {
      if (v === '') return;
      let scheme: string;
      try {
        scheme = new URL(String(v)).protocol;
      } catch {
        throw new Error('must be a mysql://, mariadb://, postgres:// or postgresql:// URL, or empty');
      }
      if (!['mysql:', 'mariadb:', 'postgres:', 'postgresql:'].includes(scheme)) {
        throw new Error(`must be a mysql://, mariadb://, postgres:// or postgresql:// URL, not ${scheme}//`);
      }
    },
  });
  convict.addFormat({
    name: 'optional-url-list',
    coerce: splitList,
    validate(v: unknown) {
      if (!Array.isArray(v)) throw new Error('must be http:// or https:// URLs, comma-separated, or empty');
      for (const u of v) {
        let url: URL;
        try {
          url = new URL(String(u));
        } catch {
          throw new Error('must be http:// or https:// URLs, comma-separated (one is not a URL)');
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`must use http:// or https://, not ${url.protocol}//`);
      }
    },
  });
  convict.addFormat({
    name: 'json-array',
    // The env var and flag carry JSON; a config file an array already.
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      if (v.trim() === '') return [];
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    },
    validate(v: unknown) {
      if (!Array.isArray(v)) throw new Error('must be a JSON array');
    },
  });
  convict.addFormat({
    name: 'positive-int',
    coerce: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error('must be a whole number >= 1');
    },
  });
}
