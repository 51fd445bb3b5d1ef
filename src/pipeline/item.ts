import type { AuditEvent, HrTime, LogRecordData, MetricSample } from '../cadf/index.js';
import type { Delivery } from '../sources/types.js';

/** One decoded message on its way through the pipeline. */
export interface Item {
  readonly delivery: Delivery;
  /**
   * The decoded event, until its record and metric updates are built (then undefined): what is
   * kept after that is only what settling needs, so the event's objects die young instead of
   * surviving young-generation collections for as long as the export takes (docs/performance.md).
   */
  event: AuditEvent | undefined;
  /** oslo message_id (else _unique_id): the duplicate check's key. */
  readonly id: string | undefined;
  readonly eventType: string;
  readonly messageId: string | undefined;
  /** The event's own time, for the lag histogram. */
  readonly time: HrTime | undefined;
  readonly observed: HrTime;
  /** Size estimate for byte-bounded batches: the message body's length. */
  readonly bytes: number;
  /** The log store tenant it goes to (X-Scope-OrgID); undefined: no tenant routing. */
  readonly tenant?: string;
  /**
   * Built once, after enrichment, just before the first export attempt; kept only where it is
   * still needed once encoded (an http/json or stdout exporter, a listener such as the notifier).
   */
  record?: LogRecordData;
  /** The record's protobuf bytes, when the exporter encodes records as they are built. */
  encoded?: Uint8Array;
  /** The event metrics it counts once exported, built with the record. */
  metrics?: readonly MetricSample[];
}

/** An item for a decoded event. */
export function itemOf(delivery: Delivery, event: AuditEvent, observed: HrTime, tenant: string | undefined): Item {
  const n = event.notification;
  return {
    delivery,
    event,
    id: n.messageId ?? n.uniqueId,
    eventType: n.eventType,
    messageId: n.messageId,
    time: event.time,
    observed,
    bytes: delivery.body.length,
    ...(tenant !== undefined ? { tenant } : {}),
  };
}

/** Keeps the items whose delivery can still be settled; the broker redelivers the others. */
export function liveOnly(items: readonly Item[]): Item[] {
  let all = true;
  for (const i of items) {
    if (!i.delivery.live) {
      all = false;
      break;
    }
  }
  return all ? (items as Item[]) : items.filter((i) => i.delivery.live);
}
