import { isUtf8 } from 'node:buffer';
import { bareEventType } from './classify.js';
import { decodeError, describe, type DecodeError } from './errors.js';

/** An oslo.messaging notification, whichever envelope carried it. */
export interface OsloNotification {
  /** `bare`: the body is a CADF event itself (sapcc/go-bits audittools), no oslo notification. */
  readonly envelope: 'v1' | 'v2' | 'bare';
  readonly messageId: string | undefined;
  /** oslo's per-publish id (`_unique_id`): copies sent to several topics differ here only. */
  readonly uniqueId: string | undefined;
  readonly publisherId: string | undefined;
  /** As sent; for a bare CADF body derived from its action and target (see bareEventType). */
  readonly eventType: string;
  /** Upper case, as oslo sends it (`INFO`); `INFO` when absent. */
  readonly priority: string;
  /** Envelope `timestamp` as sent (`2026-11-22 23:43:45.623788`, naive UTC). */
  readonly timestamp: string | undefined;
  readonly payload: unknown;
  /** The `_context_*` keys without the prefix (empty for Keystone, see docs/attributes.md). */
  readonly context: Readonly<Record<string, unknown>>;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly notification: OsloNotification }
  | { readonly ok: false; readonly error: DecodeError };

export interface EnvelopeLimits {
  /** Bodies larger than this are refused before parsing (`too_large`). */
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: EnvelopeLimits = { maxBytes: 1024 * 1024 };

const CONTEXT_PREFIX = '_context_';

/** AMQP body bytes -> oslo notification. Never throws. */
export function decodeEnvelope(
  body: Uint8Array,
  limits: EnvelopeLimits = DEFAULT_LIMITS,
): EnvelopeResult {
  if (body.byteLength > limits.maxBytes) {
    return fail(
      'too_large',
      `body is ${body.byteLength} bytes, larger than the ${limits.maxBytes} byte limit`,
    );
  }
  if (!isUtf8(body)) return fail('invalid_utf8', 'body is not valid UTF-8');
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const outer = parseJson(text, 'body');
  if (!outer.ok) return outer;
  const doc = outer.value;
  if (!isObject(doc)) {
    return fail('not_notification', `body is ${describe(doc)}, expected a JSON object`);
  }
  // oslo's own rule (common.py deserialize_msg): both keys present means an envelope.
  if ('oslo.version' in doc && 'oslo.message' in doc) return unwrapV2(doc);
  return toNotification(doc, 'v1');
}

function unwrapV2(doc: Record<string, unknown>): EnvelopeResult {
  const version = doc['oslo.version'];
  if (typeof version !== 'string') {
    return fail('bad_envelope', `oslo.version is ${describe(version)}, expected a string like "2.0"`);
  }
  // Same compatibility rule as oslo's version_is_compatible("2.0", v): major 2, minor 0.
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(version);
  if (m === null || Number(m[1]) !== 2 || Number(m[2]) > 0) {
    return fail(
      'unsupported_envelope_version',
      `oslo.version "${version.slice(0, 20)}" is not supported (2.0 is)`,
    );
  }
  const message = doc['oslo.message'];
  if (typeof message !== 'string') {
    return fail('bad_envelope', `oslo.message is ${describe(message)}, expected a JSON string`);
  }
  const inner = parseJson(message, 'oslo.message');
  if (!inner.ok) return fail('bad_envelope', inner.error.message);
  if (!isObject(inner.value)) {
    return fail('bad_envelope', `oslo.message holds ${describe(inner.value)}, expected an object`);
  }
  return toNotification(inner.value, 'v2');
}

function toNotification(msg: Record<string, unknown>, envelope: 'v1' | 'v2'): EnvelopeResult {
  const eventType = msg.event_type;
  if (eventType === undefined && envelope === 'v1' && isBareCadf(msg)) return bare(msg);
  if (typeof eventType !== 'string' || eventType === '') {
    return fail(
      'not_notification',
      `event_type is ${describe(eventType)}, expected a non-empty string (not an oslo notification)`,
    );
  }
  if (!('payload' in msg)) {
    return fail('not_notification', 'payload is missing (not an oslo notification)');
  }
  const priority = msg.priority;
  let context: Record<string, unknown> | undefined;
  for (const key in msg) {
    if (key.startsWith(CONTEXT_PREFIX)) {
      context ??= {};
      context[key.slice(CONTEXT_PREFIX.length)] = msg[key];
    }
  }
  return {
    ok: true,
    notification: {
      envelope,
      messageId: optString(msg.message_id),
      uniqueId: optString(msg._unique_id),
      publisherId: optString(msg.publisher_id),
      eventType,
      priority: typeof priority === 'string' && priority !== '' ? priority.toUpperCase() : 'INFO',
      timestamp: optString(msg.timestamp),
      payload: msg.payload,
      context: context ?? EMPTY,
    },
  };
}

/** The CADF event typeURI pycadf and go-bits write. */
const CADF_EVENT_TYPE_URI = 'http://schemas.dmtf.org/cloud/audit/1.0/event';

/**
 * A body that is a CADF event itself: no `event_type` and no `payload` (so never an oslo
 * notification), and either CADF's event typeURI or the keys every CADF event has.
 */
function isBareCadf(doc: Record<string, unknown>): boolean {
  if ('payload' in doc) return false;
  if (doc.typeURI === CADF_EVENT_TYPE_URI) return true;
  return 'id' in doc && 'action' in doc && 'outcome' in doc && 'eventTime' in doc;
}

function bare(doc: Record<string, unknown>): EnvelopeResult {
  const target = doc.target;
  const targetType = isObject(target) ? optString(target.typeURI) : undefined;
  return {
    ok: true,
    notification: {
      envelope: 'bare',
      messageId: undefined,
      uniqueId: undefined,
      publisherId: undefined,
      eventType: bareEventType(optString(doc.action), targetType),
      priority: 'INFO',
      timestamp: undefined,
      payload: doc,
      context: EMPTY,
    },
  };
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

type Parsed = { ok: true; value: unknown } | { ok: false; error: DecodeError };

function parseJson(text: string, what: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    // Node 22+ appends "(line 1 column 59)": dropped so the message is the same on every Node.
    const detail = (err instanceof Error ? err.message : String(err)).replace(/ \(line \d+ column \d+\)$/, '');
    return {
      ok: false,
      error: decodeError('invalid_json', `${what} is not valid JSON: ${detail.slice(0, 160)}`),
    };
  }
}

function fail(code: DecodeError['code'], message: string): EnvelopeResult {
  return { ok: false, error: decodeError(code, message) };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
