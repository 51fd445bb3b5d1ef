import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { BatchExporter } from './exporter.js';
import { classifyFailure, type ExportFailure } from './failure.js';
import type { RecordBatch } from './protobuf.js';

/** Per record of a batch: delivered, or rejected by the endpoint (to be dead-lettered). */
export interface SinkResult {
  readonly delivered: number[];
  readonly rejected: Array<{ readonly index: number; readonly reason: string }>;
  /** Shutdown came while the batch was still failing: nothing more was delivered. */
  readonly aborted: boolean;
}

export interface SinkObserver {
  exported(records: number, seconds: number): void;
  failed(failure: ExportFailure, records: number, seconds: number, retryInMs: number | undefined): void;
}

export interface OtlpSinkOptions {
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs: number;
}

/**
 * Exports batches and says what became of each record. Transient failures are retried with capped,
 * jittered backoff until they succeed or shutdown aborts: the broker queue is the buffer, so
 * nothing is acked meanwhile. A batch the endpoint refuses (400, 413) is split in halves until the
 * record it refuses is found, so one bad record cannot block the stream.
 *
 * The SDK's Logger/BatchLogRecordProcessor path is not used: it hides export results (a failed
 * export is only logged) and re-validates attributes the core already built (about 18 us a
 * record). Records go from the core straight to the exporter.
 */
export class OtlpSink {
  private abortController = new AbortController();
  private readonly initialDelay: number;

  constructor(
    private readonly exporter: BatchExporter,
    private readonly observer: SinkObserver,
    private readonly options: OtlpSinkOptions,
  ) {
    this.initialDelay = options.retryInitialDelayMs ?? 500;
  }

  async write(batch: RecordBatch): Promise<SinkResult> {
    const result: SinkResult = { delivered: [], rejected: [], aborted: false };
    const indexes = batch.records.map((_, i) => i);
    const aborted = await this.exportPart(batch, indexes, result);
    return aborted ? { ...result, aborted: true } : result;
  }

  /** Stops retrying: failing writes resolve with `aborted`, their records undelivered. */
  abort(): void {
    this.abortController.abort();
  }

  async shutdown(): Promise<void> {
    this.abort();
    await this.exporter.shutdown();
  }

  /** Returns true when aborted. */
  private async exportPart(batch: RecordBatch, indexes: number[], result: SinkResult): Promise<boolean> {
    const records = batch.records;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const r = await this.exportOnce(batch);
      const seconds = (performance.now() - started) / 1000;
      if (r.code === ExportResultCode.SUCCESS) {
        this.observer.exported(records.length, seconds);
        result.delivered.push(...indexes);
        return false;
      }
      const failure = classifyFailure(r.error);
      if (failure.rejectsContent) {
        this.observer.failed(failure, records.length, seconds, undefined);
        if (records.length === 1) {
          result.rejected.push({ index: indexes[0]!, reason: failure.message });
          return false;
        }
        const half = Math.ceil(records.length / 2);
        const head = { records: records.slice(0, half), observed: batch.observed.slice(0, half) };
        const tail = { records: records.slice(half), observed: batch.observed.slice(half) };
        if (await this.exportPart(head, indexes.slice(0, half), result)) return true;
        return this.exportPart(tail, indexes.slice(half), result);
      }
      const delay = this.backoff(attempt);
      this.observer.failed(failure, records.length, seconds, delay);
      if (await this.sleep(delay)) return true;
    }
  }

  private exportOnce(batch: RecordBatch): Promise<ExportResult> {
    return new Promise((resolve) => {
      try {
        this.exporter.export(batch, resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
  }

  /** 0.5 s doubling to the cap, +/-20 % jitter so replicas do not retry in step. */
  private backoff(attempt: number): number {
    const base = Math.min(this.options.retryMaxDelayMs, this.initialDelay * 2 ** Math.min(attempt, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** Resolves true if aborted before the delay passed. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.abortController.signal;
    if (signal.aborted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
