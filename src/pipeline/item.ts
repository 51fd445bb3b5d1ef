import type { AuditEvent, HrTime, LogRecordData } from '../cadf/index.js';
import type { Delivery } from '../sources/types.js';

/** One decoded message on its way through the pipeline. */
export interface Item {
  readonly delivery: Delivery;
  readonly event: AuditEvent;
  readonly observed: HrTime;
  /** Size estimate for byte-bounded batches: the message body's length. */
  readonly bytes: number;
  /** The log store tenant it goes to (X-Scope-OrgID); undefined: no tenant routing. */
  readonly tenant?: string;
  /** Built once, after enrichment, just before the first export attempt. */
  record?: LogRecordData;
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
