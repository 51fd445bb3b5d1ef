import { classify } from './classify.js';
import { DEFAULT_LIMITS, decodeEnvelope, type EnvelopeLimits } from './envelope.js';
import { decodeError, type DecodeError } from './errors.js';
import { buildEvent, type AuditEvent, type SourceMeta } from './event.js';
import { parsePayload } from './model.js';

export type DecodeResult =
  | { readonly ok: true; readonly event: AuditEvent }
  | { readonly ok: false; readonly error: DecodeError };

/**
 * AMQP body bytes -> a normalised audit event, or the reason it is not one. Pure and total: any
 * input gives a value, never an exception (a property test holds it to that).
 */
export function decode(
  body: Uint8Array,
  meta?: SourceMeta,
  limits: EnvelopeLimits = DEFAULT_LIMITS,
): DecodeResult {
  try {
    const env = decodeEnvelope(body, limits);
    if (!env.ok) return env;
    const n = env.notification;
    const payload = parsePayload(n.payload);
    if (!payload.ok) return payload;
    return { ok: true, event: buildEvent(n, payload.event, classify(n.eventType), meta) };
  } catch (err) {
    // Unreachable by design; if a bug ever gets here the message is dead-lettered, not lost.
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, error: decodeError('internal', `decoder bug: ${detail}`) };
  }
}
