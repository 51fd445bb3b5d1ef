import type { HrTime } from '@opentelemetry/api';
import { decode } from '../cadf/index.js';
import type { EnvelopeLimits } from '../cadf/envelope.js';
import type { Logger } from '../logger.js';
import type { Delivery } from '../sources/types.js';
import { Batcher } from './batcher.js';
import type { RecentIds } from './dedup.js';
import type { ExportLoop } from './export-loop.js';
import { itemOf } from './item.js';
import type { ResultRouter } from './router.js';
import { tenantOf, type TenantOptions } from './tenant.js';

export type ReceiveResult = 'decoded' | 'invalid' | 'duplicate' | 'api_request_dropped';

export interface PipelineObserver {
  received(result: ReceiveResult): void;
}

export interface PipelineOptions {
  readonly limits: EnvelopeLimits;
  readonly batchSize: number;
  readonly batchMaxBytes: number;
  readonly batchDelayMs: number;
  readonly maxConcurrentExports: number;
  readonly tenants: TenantOptions;
  /** Ack keystonemiddleware's audit.http.request unexported: its response has the same id and details. */
  readonly dropApiRequests: boolean;
}

/**
 * source -> decode -> batch -> export loop -> result router. Decoding and the duplicate check
 * happen as a message arrives; an undecodable one is rejected (dead-lettered) at once. Batches are
 * exported at most `maxConcurrentExports` at a time, each by the export loop, which settles every
 * message through the router as delivered, rejected or errored.
 */
export class Pipeline {
  private readonly batcher: Batcher;
  private running = 0;
  private idle: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly loop: ExportLoop,
    private readonly router: ResultRouter,
    private readonly recent: RecentIds,
    private readonly observer: PipelineObserver,
    private readonly log: Logger,
    private readonly options: PipelineOptions,
  ) {
    this.batcher = new Batcher(
      { maxRecords: options.batchSize, maxBytes: options.batchMaxBytes, delayMs: options.batchDelayMs },
      () => this.dispatch(),
    );
  }

  /** Batches not yet settled (gathering, waiting or exporting). */
  get pendingBatches(): number {
    return this.running + this.batcher.waiting;
  }

  /** Messages held in memory: gathering, waiting, or being exported. */
  get heldItems(): number {
    return this.batcher.held + this.loop.held;
  }

  readonly onDelivery = (d: Delivery): void => {
    if (this.stopped) {
      // Arrived after the shutdown deadline: it was never touched, give it back.
      d.settle({ status: 'errored', why: 'shutdown' });
      return;
    }
    const result = decode(d.body, d.meta, this.options.limits);
    if (!result.ok) {
      this.observer.received('invalid');
      this.router.rejected(d, 'undecodable message', result.error);
      return;
    }
    const ev = result.event;
    const id = ev.notification.messageId ?? ev.notification.uniqueId;
    if (id !== undefined && this.recent.has(id)) {
      this.observer.received('duplicate');
      this.router.duplicate(d);
      return;
    }
    const c = ev.classification;
    if (this.options.dropApiRequests && c.category === 'api' && c.phase === 'request') {
      this.observer.received('api_request_dropped');
      this.router.duplicate(d);
      return;
    }
    this.observer.received('decoded');
    const tenant = tenantOf(ev, this.options.tenants);
    this.batcher.add(itemOf(d, ev, nowHr(), tenant), d.windowFull === true);
  };

  /** Drops what the broker will redeliver anyway (a channel died): call when a source lost one. */
  prune(): void {
    const n = this.batcher.prune();
    if (n > 0) this.log.info({ dropped: n }, 'dropped messages of a closed channel (the broker redelivers them)');
    this.loop.prune();
  }

  /**
   * Exports what is held until `deadline` (ms since the epoch); from then on no batch starts and
   * whatever is left goes back to its source. Resolves once every batch is settled.
   */
  async drain(deadline: number): Promise<void> {
    this.batcher.flush();
    this.loop.setDeadline(deadline);
    const timer = setTimeout(() => this.giveBack(), Math.max(0, deadline - Date.now()));
    try {
      if (this.pendingBatches > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    } finally {
      clearTimeout(timer);
    }
  }

  private giveBack(): void {
    this.stopped = true;
    this.router.errored(this.batcher.drainAll(), 'shutdown');
    this.checkIdle();
  }

  private dispatch(): void {
    while (this.running < this.options.maxConcurrentExports) {
      const batch = this.stopped ? undefined : this.batcher.take();
      if (batch === undefined) break;
      this.running += 1;
      this.loop
        .run(batch)
        .catch((err: unknown) => {
          // A bug, not a fault: the messages go back to the queue rather than stay unsettled.
          this.log.error({ err }, 'export loop failed; its messages go back to the queue');
          this.router.errored(batch, 'internal');
        })
        .finally(() => {
          this.running -= 1;
          this.dispatch();
          this.checkIdle();
        });
    }
  }

  private checkIdle(): void {
    if (this.pendingBatches === 0 && this.idle !== undefined) {
      this.idle();
      this.idle = undefined;
    }
  }
}

export function nowHr(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}
