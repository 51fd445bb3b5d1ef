import convict from 'convict';

/**
 * Custom convict formats. Each validate() throws a message that says what IS allowed, so a bad
 * value fails at start with the key, the value and the fix (see load.ts for the framing).
 */

/** `a,b , c` -> ['a', 'b', 'c']: env vars and flags give strings, files give arrays. */
function splitList(v: unknown): unknown {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
}

/** `k1=v1,k2=v2` (values percent-decoded, as OTEL_EXPORTER_OTLP_HEADERS) -> { k1: 'v1', ... }. */
export function parseKeyValues(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { __invalid: part.trim() };
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return { __invalid: part.trim() };
    }
  }
  return out;
}

export function registerFormats(): void {
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
    coerce: parseKeyValues,
    validate(v: unknown) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new Error('must be key=value pairs, comma-separated (values may be percent-encoded)');
      }
      const bad = (v as Record<string, unknown>).__invalid;
      if (typeof bad === 'string') {
        throw new Error(`must be key=value pairs, comma-separated; "${bad}" is not`);
      }
      for (const x of Object.values(v)) {
        if (typeof x !== 'string') throw new Error('values must be strings');
      }
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
    name: 'positive-int',
    coerce: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error('must be a whole number >= 1');
    },
  });
}
