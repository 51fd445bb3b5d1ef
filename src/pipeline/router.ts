import { metricsOf, type LogRecordData } from '../cadf/index.js';
import type { Logger } from '../logger.js';
import type { EventMetrics } from '../sinks/metrics/event-metrics.js';
import { DELIVERED, type DeadLetterReason, type Delivery } from '../sources/types.js';
import type { RecentIds } from './dedup.js';
import type { Item } from './item.js';

export interface RouterObserver {
  /** Seconds from the event's own time to its export. */
  eventLag(seconds: number): void;
  /** Messages given back to their source to come again (shutdown, ...), by why. */
  requeued(why: string, n: number): void;
}

/** Told of each record once it is safely out (an alert rule, a notification). */
export type DeliveredListener = (record: LogRecordData, item: Item) => void;

/**
 * Where every message's fate is carried out, in one place, as one of three outcomes:
 * delivered (ack; counted in the event metrics once per message id), rejected (dead-letter with
 * the reason, then ack) or errored (requeue). Nothing else settles a delivery.
 */
export class ResultRouter {
  private readonly listeners: DeliveredListener[] = [];

  constructor(
    private readonly recent: RecentIds,
    private readonly events: EventMetrics,
    private readonly observer: RouterObserver,
    private readonly log: Logger,
  ) {}

  onDelivered(listener: DeliveredListener): void {
    this.listeners.push(listener);
  }

  /** Whether delivered items must still carry their record (a listener reads it). */
  get wantsRecords(): boolean {
    return this.listeners.length > 0;
  }

  delivered(items: readonly Item[]): void {
    const now = Date.now() / 1000;
    for (const item of items) {
      const id = item.id;
      // A redelivered copy may have been exported alongside the first: count the id once.
      if (id === undefined || this.recent.add(id)) {
        this.events.apply(item.metrics ?? (item.event !== undefined ? metricsOf(item.event) : []));
        const t = item.time;
        if (t !== undefined) this.observer.eventLag(Math.max(0, now - t[0] - t[1] / 1e9));
        if (item.record !== undefined) for (const l of this.listeners) l(item.record, item);
      }
      item.delivery.settle(DELIVERED);
    }
  }

  /** A duplicate of a message already exported: done, nothing to count. */
  duplicate(d: Delivery): void {
    d.settle(DELIVERED);
  }

  /** Cannot ever be exported: the source dead-letters it (and counts it once confirmed). */
  rejected(d: Delivery, what: string, reason: DeadLetterReason, context: Record<string, unknown> = {}): void {
    this.log.warn(
      { code: reason.code, exchange: d.meta.exchange, routingKey: d.meta.routingKey, bytes: d.body.length, ...context },
      `dead-lettering ${what}: ${reason.message}`,
    );
    d.settle({ status: 'rejected', reason });
  }

  /** Not handled now: back to the source, to come again. */
  errored(items: readonly Item[], why: string): void {
    let n = 0;
    for (const item of items) {
      if (!item.delivery.live) continue;
      item.delivery.settle({ status: 'errored', why });
      n += 1;
    }
    if (n > 0) this.observer.requeued(why, n);
  }
}
