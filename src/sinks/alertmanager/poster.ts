import type { PostableAlert } from './alert.js';

export interface PosterOptions {
  /** Alertmanager base URLs (`http://am:9093`); each batch goes to every one (an HA cluster). */
  readonly urls: readonly string[];
  /** Alerts waiting to be posted at most; more are dropped and counted. */
  readonly queueSize: number;
  /** Alerts per POST at most. */
  readonly batchSize: number;
  readonly timeoutMs: number;
  /** Attempts after the first for one batch, then it is given up and counted as failed. */
  readonly maxRetries: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
}

export type PostFailure = 'timeout' | 'network' | 'status_4xx' | 'status_5xx';
export type DropReason = 'queue_full' | 'shutdown';

export interface PosterObserver {
  sent(n: number): void;
  /** A batch no Alertmanager took after every retry. */
  failed(n: number, reason: PostFailure, message: string): void;
  dropped(n: number, reason: DropReason): void;
}

/**
 * Posts alerts to Alertmanager's v2 API from a bounded in-memory queue, one batch at a time.
 * enqueue() never waits and never throws, so the export and ack path is never slowed by a slow or
 * absent Alertmanager; what cannot be posted is retried a bounded number of times, then counted.
 */
export class AlertPoster {
  private readonly queue: PostableAlert[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly o: PosterOptions,
    private readonly observer: PosterObserver,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(alert: PostableAlert): boolean {
    if (this.stopped || this.queue.length >= this.o.queueSize) {
      this.observer.dropped(1, this.stopped ? 'shutdown' : 'queue_full');
      return false;
    }
    this.queue.push(alert);
    this.run();
    return true;
  }

  private run(): void {
    if (this.running !== undefined) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // Alerts queued between the last batch and now start a new run.
      if (this.queue.length > 0 && !this.stopped) this.run();
    });
  }

  /** Posts what is queued until the deadline, then drops (and counts) the rest. Idempotent. */
  async shutdown(deadlineMs: number): Promise<void> {
    const left = Math.max(0, deadlineMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
    if (this.running !== undefined) await Promise.race([this.running, timeout]);
    clearTimeout(timer);
    this.stopped = true;
    this.wake?.();
    if (this.queue.length > 0) this.observer.dropped(this.queue.splice(0).length, 'shutdown');
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.o.batchSize);
      await this.postWithRetry(batch);
    }
  }

  private async postWithRetry(batch: PostableAlert[]): Promise<void> {
    let delay = this.o.retryInitialDelayMs;
    for (let attempt = 0; ; attempt++) {
      const err = await this.postToAll(batch);
      if (err === undefined) {
        this.observer.sent(batch.length);
        return;
      }
      if (attempt >= this.o.maxRetries || this.stopped) {
        this.observer.failed(batch.length, err.reason, err.message);
        return;
      }
      await this.sleep(delay);
      if (this.stopped) {
        // Shutdown cut the wait short: no more attempts.
        this.observer.failed(batch.length, err.reason, err.message);
        return;
      }
      delay = Math.min(delay * 2, this.o.retryMaxDelayMs);
    }
  }

  /** Success when at least one Alertmanager took the batch: a cluster shares what one receives. */
  private async postToAll(batch: PostableAlert[]): Promise<{ reason: PostFailure; message: string } | undefined> {
    const body = JSON.stringify(batch);
    const results = await Promise.all(this.o.urls.map((u) => this.post(u, body)));
    if (results.some((r) => r === undefined)) return undefined;
    return results[0];
  }

  private async post(base: string, body: string): Promise<{ reason: PostFailure; message: string } | undefined> {
    const url = `${base.replace(/\/+$/, '')}/api/v2/alerts`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return undefined;
      return { reason: res.status >= 500 ? 'status_5xx' : 'status_4xx', message: `${url}: ${res.status} ${text.slice(0, 200)}` };
    } catch (err) {
      const e = err as Error;
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
      return { reason: timeout ? 'timeout' : 'network', message: `${url}: ${e.message}` };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
