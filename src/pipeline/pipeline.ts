import type { HrTime } from '@opentelemetry/api';
import { decode, metricsOf, toRecord, type AuditEvent } from '../cadf/index.js';
import type { EnvelopeLimits } from '../cadf/envelope.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Logger } from '../logger.js';
import type { EventMetrics } from '../sinks/metrics/event-metrics.js';
import type { Health } from '../sinks/metrics/health.js';
import type { OtlpSink } from '../sinks/otlp/sink.js';
import type { Delivery, Source } from '../sources/types.js';
import { RecentIds } from './dedup.js';

interface Item {
  readonly delivery: Delivery;
  readonly event: AuditEvent;
  readonly observed: HrTime;
}

export interface PipelineOptions {
  readonly limits: EnvelopeLimits;
  readonly batchSize: number;
  /** The source's prefetch: once this many messages wait, no more can arrive until some are acked. */
  readonly prefetch: number;
  readonly batchDelayMs: number;
  readonly maxConcurrentExports: number;
  readonly dedupSize: number;
}

/**
 * source -> decode -> batch -> enrich -> OTLP sink -> metrics -> ack. A message is settled (acked) only
 * after its record was accepted, or after it was dead-lettered; metrics count it at that moment,
 * once per oslo message_id.
 */
export class Pipeline {
  private batch: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting: Item[][] = [];
  private running = 0;
  private readonly recent: RecentIds;
  private idle: (() => void) | undefined;
  /** Messages handed to a batch and not yet exported or given up on. */
  private waitingMessages = 0;

  constructor(
    private readonly source: Source,
    private readonly enricher: Enricher,
    private readonly sink: OtlpSink,
    private readonly events: EventMetrics,
    private readonly health: Health,
    private readonly log: Logger,
    private readonly options: PipelineOptions,
  ) {
    this.recent = new RecentIds(options.dedupSize);
  }

  /** Batches not yet settled (queued or exporting). */
  get pendingBatches(): number {
    return this.running + this.waiting.length + (this.batch.length > 0 ? 1 : 0);
  }

  readonly onDelivery = (d: Delivery): void => {
    const result = decode(d.body, d.meta, this.options.limits);
    if (!result.ok) {
      this.health.messageReceived('invalid');
      this.health.deadLettered(result.error.code);
      this.log.warn(
        { code: result.error.code, exchange: d.meta.exchange, routingKey: d.meta.routingKey, bytes: d.body.length },
        `dead-lettering undecodable message: ${result.error.message}`,
      );
      void this.source.deadLetter(d, result.error);
      return;
    }
    const ev = result.event;
    const id = ev.notification.messageId ?? ev.notification.uniqueId;
    if (id !== undefined && this.recent.has(id)) {
      this.health.messageReceived('duplicate');
      d.settle();
      return;
    }
    this.health.messageReceived('decoded');
    this.batch.push({ delivery: d, event: ev, observed: nowHr() });
    this.waitingMessages += 1;
    // Flush when the batch is full, or when the broker will send nothing more until we ack:
    // waiting for the timer then would only stall the stream.
    if (this.batch.length >= this.options.batchSize || this.waitingMessages >= this.options.prefetch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.batchDelayMs);
  };

  /** Hands the current partial batch to the sink. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    if (this.running >= this.options.maxConcurrentExports) this.waiting.push(b);
    else this.run(b);
  }

  /** Resolves when every batch handed over so far is settled (or was aborted). */
  drained(): Promise<void> {
    this.flush();
    if (this.pendingBatches === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  private run(items: Item[]): void {
    this.running += 1;
    this.export(items)
      .catch((err: unknown) => this.log.error({ err }, 'export loop failed; messages stay queued'))
      .finally(() => {
        this.running -= 1;
        this.waitingMessages -= items.length;
        const next = this.waiting.shift();
        if (next !== undefined) this.run(next);
        else if (this.pendingBatches === 0 && this.idle !== undefined) {
          this.idle();
          this.idle = undefined;
        }
      });
  }

  private async export(items: Item[]): Promise<void> {
    // Names are filled in per batch, with a bounded wait, just before the records are built.
    await this.enricher.enrich(items.map((i) => i.event));
    const result = await this.sink.write({ records: items.map((i) => toRecord(i.event)), observed: items.map((i) => i.observed) });
    const now = Date.now() / 1000;
    for (const index of result.delivered) {
      const item = items[index]!;
      const n = item.event.notification;
      const id = n.messageId ?? n.uniqueId;
      // A redelivered copy may have been exported alongside the first: count the id once.
      if (id === undefined || this.recent.add(id)) {
        this.events.apply(metricsOf(item.event));
        if (item.event.time !== undefined) this.health.eventLag(Math.max(0, now - item.event.time[0] - item.event.time[1] / 1e9));
      }
      item.delivery.settle();
    }
    for (const { index, reason } of result.rejected) {
      const item = items[index]!;
      this.health.deadLettered('otlp_rejected');
      this.log.warn({ eventName: item.event.notification.eventType, messageId: item.event.notification.messageId }, `dead-lettering a record the OTLP endpoint rejected: ${reason}`);
      await this.source.deadLetter(item.delivery, { code: 'otlp_rejected', message: reason });
    }
  }
}

function nowHr(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}
