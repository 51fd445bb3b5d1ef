import { metricsOf, toRecord, type AuditEvent } from '../cadf/index.js';
import type { Enricher } from '../enrich/enricher.js';
import { ABANDONED, type SendResult } from '../sinks/otlp/failure.js';
import type { BatchExporter } from '../sinks/otlp/exporter.js';
import { liveOnly, type Item } from './item.js';
import type { ResultRouter } from './router.js';

export interface ExportLoopOptions {
  /** Time limit of one request (shortened near a shutdown deadline). */
  readonly timeoutMs: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  /**
   * Single records refused one after another with no success between them before refusals are
   * taken for an outage (a label limit, a proxy answering 400) rather than bad records: from then
   * on nothing is dead-lettered, the records wait with backoff, and one record at a time probes.
   */
  readonly systemicRefusals: number;
}

export interface ExportObserver {
  exported(records: number, seconds: number): void;
  failed(reason: string, records: number, seconds: number, retryInMs: number | undefined, message: string): void;
  /** OTLP partial success: the endpoint dropped `rejected` records of an accepted request. */
  partiallyRejected(rejected: number, message: string): void;
  /** Entering (true) or leaving (false) the state where every record is refused. */
  refusingAll(on: boolean): void;
  /** Items whose delivery died while they waited (redelivered by the broker). */
  dropped(n: number): void;
}

/** Dead-letter codes of messages that decode but cannot be exported (docs/errors.md). */
export const DELIVERY_ERROR_CODES = ['otlp_rejected', 'encode_failed', 'record_failed'] as const;

/** Longest honoured Retry-After: beyond this it is taken for a mistake. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Takes one batch to a final outcome for each of its items: enrich, build the records, then send,
 * retry (backoff, Retry-After) or split (a refused request is halved until the refused record is
 * found), dead-lettering only what the endpoint or the encoder refuses on its own. Before every
 * attempt it drops the items whose delivery died, so no work is spent on what the broker will
 * redeliver and nothing outlives its channel. After the deadline nothing is started: what is left
 * is handed back to its source (errored).
 */
export class ExportLoop {
  private refusalStreak = 0;
  private systemic = false;
  private probe = 0;
  private deadline = Number.POSITIVE_INFINITY;
  private readonly sleepers = new Set<() => void>();
  private readonly holding = new Set<Item[][]>();
  /** Aborted at the deadline: a request in flight then must not keep the process alive. */
  private readonly abandon = new AbortController();
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly exporter: BatchExporter,
    private readonly enricher: Enricher,
    private readonly router: ResultRouter,
    private readonly observer: ExportObserver,
    private readonly options: ExportLoopOptions,
  ) {}

  /** Items held by batches being exported. */
  get held(): number {
    let n = 0;
    for (const parts of this.holding) for (const p of parts) n += p.length;
    return n;
  }

  /** From `at` (ms since the epoch) on, no attempt starts and every wait ends. */
  setDeadline(at: number): void {
    this.deadline = at;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.abandon.abort(), Math.max(0, at - Date.now()));
    this.deadlineTimer.unref();
    this.wakeAll();
  }

  /** Wakes the batches waiting to retry so they drop their dead items now. */
  prune(): void {
    this.wakeAll();
  }

  async run(batch: Item[]): Promise<void> {
    const parts: Item[][] = [batch];
    this.holding.add(parts);
    try {
      await this.prepare(batch, parts);
      let attempt = 0;
      while (parts.length > 0) {
        const part = this.liveHead(parts);
        if (part === undefined) break;
        if (Date.now() >= this.deadline) {
          this.router.errored(parts.flat(), 'shutdown');
          parts.length = 0;
          break;
        }
        const started = performance.now();
        const result = await this.send(part);
        const seconds = (performance.now() - started) / 1000;
        if (result.kind === 'retry' && result.reason === ABANDONED) {
          // The deadline cut the request: whether the endpoint kept it is unknown, so the
          // messages go back to the queue (at least once; log.record.uid lets Loki drop a copy).
          this.router.errored(parts.flat(), 'shutdown');
          parts.length = 0;
          break;
        }
        switch (result.kind) {
          case 'ok':
            parts.shift();
            attempt = 0;
            this.succeeded();
            if (result.rejected > 0) this.observer.partiallyRejected(Math.min(result.rejected, part.length), result.message);
            this.observer.exported(part.length - Math.min(result.rejected, part.length), seconds);
            this.router.delivered(part);
            break;
          case 'retry': {
            const delay = this.retryDelay(attempt++, result.retryAfterMs);
            this.observer.failed(result.reason, part.length, seconds, delay, result.message);
            await this.sleep(delay);
            break;
          }
          case 'refused':
            this.observer.failed(result.reason, part.length, seconds, undefined, result.message);
            attempt = await this.refused(parts, part, result, attempt);
            break;
        }
      }
    } finally {
      this.holding.delete(parts);
    }
  }

  /** Names, then records: one that cannot be built is that message's problem alone. */
  private async prepare(batch: Item[], parts: Item[][]): Promise<void> {
    const events: AuditEvent[] = [];
    for (const i of batch) if (i.event !== undefined) events.push(i.event);
    try {
      await this.enricher.enrich(events);
    } catch {
      // Names are a nicety: a failing enricher must not hold the records back.
    }
    const encodeRecord = this.exporter.encodeRecord;
    const keepRecords = this.router.wantsRecords;
    const built: Item[] = [];
    for (const item of batch) {
      try {
        const ev = item.event;
        if (ev !== undefined) {
          item.record = toRecord(ev);
          item.metrics = metricsOf(ev);
          item.event = undefined;
        }
        if (item.record === undefined) throw new Error('no event and no record');
      } catch (err) {
        this.router.rejected(item.delivery, 'a message whose record cannot be built', { code: 'record_failed', message: `cannot build the record: ${(err as Error).message}` });
        continue;
      }
      if (encodeRecord !== undefined) {
        try {
          item.encoded = encodeRecord(item.record, item.observed);
        } catch (err) {
          // Certain and permanent for this record alone (a value the wire cannot carry).
          this.router.rejected(
            item.delivery,
            'a record the encoder cannot encode',
            { code: 'encode_failed', message: `cannot encode the record: ${(err as Error).message}` },
            { eventName: item.eventType, messageId: item.messageId },
          );
          continue;
        }
        if (!keepRecords) item.record = undefined;
      }
      built.push(item);
    }
    parts[0] = built;
  }

  /** The first part with its dead items dropped (and counted); undefined when none is left. */
  private liveHead(parts: Item[][]): Item[] | undefined {
    while (parts.length > 0) {
      const live = liveOnly(parts[0]!);
      if (live.length !== parts[0]!.length) this.observer.dropped(parts[0]!.length - live.length);
      if (live.length > 0) {
        parts[0] = live;
        return live;
      }
      parts.shift();
    }
    return undefined;
  }

  private send(part: Item[]): Promise<SendResult> {
    const timeout = Math.max(1, Math.min(this.options.timeoutMs, this.deadline - Date.now()));
    const tenant = part[0]!.tenant;
    const t = tenant !== undefined ? { tenant } : {};
    // Every item of a batch went through the same prepare(): all encoded, or none.
    const batch =
      part[0]!.encoded !== undefined
        ? { encoded: part.map((i) => i.encoded!), ...t }
        : { records: part.map((i) => i.record!), observed: part.map((i) => i.observed), ...t };
    return this.exporter.send(batch, timeout, this.abandon.signal);
  }

  /** Splits, dead-letters or (when everything is refused) holds with backoff. Returns the attempt count. */
  private async refused(parts: Item[][], part: Item[], result: SendResult & { kind: 'refused' }, attempt: number): Promise<number> {
    // The encoder's own verdict is certain and says nothing about the endpoint.
    const encode = result.reason === 'encode';
    if (part.length > 1) {
      if (this.systemic && !encode) {
        // Everything is being refused: wait, then try one record alone, a different one each time.
        await this.sleep(this.retryDelay(attempt, undefined));
        const at = this.probe++ % part.length;
        parts.splice(0, 1, [part[at]!], [...part.slice(0, at), ...part.slice(at + 1)]);
        return attempt + 1;
      }
      const half = Math.ceil(part.length / 2);
      parts.splice(0, 1, part.slice(0, half), part.slice(half));
      return attempt;
    }
    const item = part[0]!;
    if (!encode) {
      this.refusalStreak += 1;
      if (!this.systemic && this.refusalStreak >= this.options.systemicRefusals) {
        this.systemic = true;
        this.observer.refusingAll(true);
      }
      if (this.systemic) {
        // Not this record's fault, most likely: keep it, try the others first, wait.
        parts.push(parts.shift()!);
        await this.sleep(this.retryDelay(attempt, undefined));
        return attempt + 1;
      }
    }
    parts.shift();
    this.router.rejected(
      item.delivery,
      encode ? 'a record the encoder cannot encode' : 'a record the OTLP endpoint rejected',
      { code: encode ? 'encode_failed' : 'otlp_rejected', message: result.message },
      { eventName: item.eventType, messageId: item.messageId },
    );
    return attempt;
  }

  private succeeded(): void {
    this.refusalStreak = 0;
    if (this.systemic) {
      this.systemic = false;
      this.observer.refusingAll(false);
    }
  }

  /** Retry-After when the endpoint gave one, else 0.5 s doubling to the cap, +/-20 % jitter. */
  private retryDelay(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
    const o = this.options;
    const base = Math.min(o.retryMaxDelayMs, o.retryInitialDelayMs * 2 ** Math.min(attempt, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** Waits, or less: until the deadline, or until woken to prune. */
  private sleep(ms: number): Promise<void> {
    const until = Math.min(ms, this.deadline - Date.now());
    if (until <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, until);
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
