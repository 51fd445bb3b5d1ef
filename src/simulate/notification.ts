/**
 * oslo.messaging notifications as OpenStack publishes them: the message dict (`message_id`,
 * `publisher_id`, `event_type`, `priority`, `payload`, `timestamp`, `_unique_id`), wrapped in the
 * v2 envelope (`messagingv2`: `{"oslo.version": "2.0", "oslo.message": "<json>"}`) or sent as is
 * (v1, `messaging`). Times in the formats of the real captures under test/testdata/samples.
 */
import type { Random } from './random.js';

export type Envelope = 'v1' | 'v2';

/** Which configured exchange a notification goes to: Keystone's, or the audited APIs'. */
export type Destination = 'keystone' | 'api';

/** What the simulator generated, for the progress line and the tests' tallies. */
export type Kind =
  | 'login_success'
  | 'login_failure'
  | 'burst_failure'
  | 'identity'
  | 'role_assignment'
  | 'api_request'
  | 'api_response';

export interface Notification {
  readonly destination: Destination;
  readonly kind: Kind;
  readonly eventType: string;
  readonly envelope: Envelope;
  readonly messageId: string;
  readonly body: Buffer;
}

export interface MessageFields {
  readonly publisherId: string;
  readonly eventType: string;
  readonly payload: Record<string, unknown>;
  /** When oslo stamped the message (ms since the epoch): just after the event. */
  readonly timestampMs: number;
}

/** Builds the body in the requested envelope with fresh oslo ids. */
export function notification(
  rnd: Random,
  destination: Destination,
  kind: Kind,
  envelope: Envelope,
  f: MessageFields,
): Notification {
  const messageId = rnd.uuid();
  const msg = {
    message_id: messageId,
    publisher_id: f.publisherId,
    event_type: f.eventType,
    priority: 'INFO',
    payload: f.payload,
    timestamp: osloTimestamp(f.timestampMs, rnd),
    _unique_id: rnd.hex(32),
  };
  const text =
    envelope === 'v2' ? JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) }) : JSON.stringify(msg);
  return { destination, kind, eventType: f.eventType, envelope, messageId, body: Buffer.from(text, 'utf8') };
}

/** pycadf's eventTime: `2026-11-23T00:04:13.734538+0000` (microseconds, numeric UTC offset). */
export function cadfTime(ms: number, rnd: Random): string {
  return `${isoSeconds(ms)}.${micros(ms, rnd)}+0000`;
}

/** oslo's envelope timestamp: `2026-11-23 00:04:13.734742` (UTC, no offset). */
export function osloTimestamp(ms: number, rnd: Random): string {
  return `${isoSeconds(ms).replace('T', ' ')}.${micros(ms, rnd)}`;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().slice(0, 19);
}

/** The milliseconds of `ms` plus three random digits: captures carry microseconds. */
function micros(ms: number, rnd: Random): string {
  const millis = Math.floor(ms) % 1000;
  return `${String(millis).padStart(3, '0')}${String(rnd.int(0, 999)).padStart(3, '0')}`;
}
