import { liveOnly, type Item } from './item.js';

export interface BatcherOptions {
  readonly maxRecords: number;
  /** Upper bound of a batch's size estimate, so a 413 is the exception (Loki's limit is 4 MiB). */
  readonly maxBytes: number;
  /** Longest wait before a partial batch is sealed. */
  readonly delayMs: number;
}

/**
 * Gathers items into batches bounded by count and bytes, and keeps the sealed ones until the
 * export loop takes them. It owns the liveness of what it holds: items whose delivery died
 * (their channel closed; the broker redelivers them) are dropped on `prune()` and on `take()`,
 * so what it holds never outgrows the live channels' prefetch.
 */
export class Batcher {
  /** Gathering batches by tenant ('' without tenant routing): a batch goes to one tenant. */
  private readonly gathering = new Map<string, { items: Item[]; bytes: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly sealed: Item[][] = [];

  constructor(
    private readonly options: BatcherOptions,
    /** Called when a sealed batch is ready to be taken. */
    private readonly onReady: () => void,
  ) {}

  /** Items held (gathering or sealed and waiting). */
  get held(): number {
    let n = 0;
    for (const g of this.gathering.values()) n += g.items.length;
    for (const b of this.sealed) n += b.length;
    return n;
  }

  get waiting(): number {
    return this.sealed.length + this.gathering.size;
  }

  /** `windowFull`: the source sends nothing more until something is settled: seal now. */
  add(item: Item, windowFull: boolean): void {
    const key = item.tenant ?? '';
    let g = this.gathering.get(key);
    if (g !== undefined && g.bytes + item.bytes > this.options.maxBytes) {
      this.sealOne(key, g);
      g = undefined;
    }
    if (g === undefined) {
      g = { items: [], bytes: 0 };
      this.gathering.set(key, g);
    }
    g.items.push(item);
    g.bytes += item.bytes;
    if (g.items.length >= this.options.maxRecords || g.bytes >= this.options.maxBytes) this.sealOne(key, g);
    if (windowFull) this.seal();
    else if (this.gathering.size > 0) this.timer ??= setTimeout(() => this.seal(), this.options.delayMs);
  }

  /** Seals the partial batches, if any. */
  flush(): void {
    this.seal();
  }

  /** The oldest sealed batch with its dead items dropped; undefined when none. */
  take(): Item[] | undefined {
    for (;;) {
      const b = this.sealed.shift();
      if (b === undefined) return undefined;
      const live = liveOnly(b);
      if (live.length > 0) return live;
    }
  }

  /** Drops every held item whose delivery is no longer live; returns how many. */
  prune(): number {
    const before = this.held;
    for (const [key, g] of this.gathering) {
      g.items = liveOnly(g.items);
      g.bytes = g.items.reduce((n, i) => n + i.bytes, 0);
      if (g.items.length === 0) this.gathering.delete(key);
    }
    for (let i = this.sealed.length - 1; i >= 0; i--) {
      const live = liveOnly(this.sealed[i]!);
      if (live.length === 0) this.sealed.splice(i, 1);
      else this.sealed[i] = live;
    }
    return before - this.held;
  }

  /** Everything held, emptied out (shutdown: the caller gives it back to the source). */
  drainAll(): Item[] {
    this.seal();
    const all = this.sealed.flat();
    this.sealed.length = 0;
    return all;
  }

  /** Seals every gathering batch. */
  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const [key, g] of this.gathering) this.sealOne(key, g);
  }

  private sealOne(key: string, g: { items: Item[] }): void {
    this.gathering.delete(key);
    if (g.items.length === 0) return;
    this.sealed.push(g.items);
    this.onReady();
  }
}
