import type { Logger } from '../logger.js';
import type { NameMemory } from './name-memory.js';
import type { NameRecord } from './name-store.js';
import { CURSOR_START, type SqlCursor, type SqlNameStore } from './sql-store.js';

export type StoreOp = 'migrate' | 'write' | 'read' | 'refresh';

export interface SharedNamesObserver {
  up(up: boolean): void;
  error(op: StoreOp): void;
  /** A cache miss asked of the store: found there or not. */
  found(hit: boolean): void;
}

export interface SharedNamesOptions {
  /** How often names learned here are written (one multi-row upsert per interval). Default 1000. */
  readonly flushIntervalMs: number;
  /** How often changes by the other replicas are read. Default 2000. */
  readonly refreshIntervalMs: number;
  /** Each refresh reads again the changes of this long before the last one seen (late commits, clock steps). */
  readonly overlapMs: number;
  /** Names waiting to be written at most (while the database is down); the oldest go first. */
  readonly maxPending: number;
}

/** Asks the shared store for names the local memory misses. */
export interface NameFinder {
  /**
   * Names found go into the memory. An id the store did not know is not asked for again until the
   * next refresh could have brought it, unless `fresh` (a Keystone 404: the object is gone, and
   * its creator's replica may have just written its name).
   */
  find(keys: ReadonlyArray<{ readonly kind: string; readonly id: string }>, fresh?: boolean): Promise<void>;
}

/** Ids remembered as unknown to the store at most (then the list starts over). */
const MAX_UNKNOWN = 100_000;

const PAGE = 5000;

/**
 * The local NameMemory as a read-through, write-behind cache of the SQL store shared by every
 * replica. Nothing here blocks the stream or throws: while the database is away the memory goes
 * on alone, what it learns waits (bounded) to be written, and the store is retried every tick.
 */
export class SharedNames implements NameFinder {
  private pending = new Map<string, NameRecord>();
  /** key -> until when (ms) the store is not asked for it again. */
  private unknown = new Map<string, number>();
  private cursor: SqlCursor = CURSOR_START;
  private migrated = false;
  private isUp = false;
  private lastRefresh = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private reportedDown = false;

  constructor(
    private readonly store: SqlNameStore,
    private readonly memory: NameMemory,
    private readonly options: SharedNamesOptions,
    private readonly observer: SharedNamesObserver,
    private readonly log: Logger,
  ) {
    memory.onLearned((r) => this.queue(r));
  }

  get up(): boolean {
    return this.isUp;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Migrates and loads the store into the memory; on failure the exporter starts degraded. */
  async open(): Promise<void> {
    this.observer.up(false);
    await this.connect();
    this.timer = setInterval(() => void this.tick(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async find(keys: ReadonlyArray<{ readonly kind: string; readonly id: string }>, fresh = false): Promise<void> {
    if (!this.isUp) return;
    const now = Date.now();
    const ask = fresh ? keys : keys.filter((k) => (this.unknown.get(`${k.kind}:${k.id}`) ?? 0) <= now);
    if (ask.length === 0) return;
    try {
      const found = await this.store.find(ask);
      const known = new Set<string>();
      for (const r of found) {
        this.memory.absorb(r);
        known.add(`${r.k}:${r.i}`);
      }
      if (this.unknown.size > MAX_UNKNOWN) this.unknown.clear();
      for (const k of ask) {
        const key = `${k.kind}:${k.id}`;
        this.observer.found(known.has(key));
        if (known.has(key)) this.unknown.delete(key);
        else this.unknown.set(key, now + this.options.refreshIntervalMs);
      }
    } catch (err) {
      this.failed('read', err);
    }
  }

  /** One round: write what waits, then read the others' changes when due. Never overlaps itself. */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Stops the timer and writes what waits (once, within the statement timeout). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.ticking;
    if (this.isUp) await this.flush();
    if (this.pending.size > 0) this.log.warn({ names: this.pending.size }, 'name store: names not written at exit (they stay in the local data directory)');
    await this.store.close().catch(() => undefined);
  }

  private async round(): Promise<void> {
    if (this.closed) return;
    if (!this.migrated) {
      await this.connect();
      return;
    }
    // While down, the refresh doubles as the probe: it is cheap and tells when the store is back.
    if (this.isUp) await this.flush();
    if (!this.isUp || Date.now() - this.lastRefresh >= this.options.refreshIntervalMs) await this.refresh();
  }

  private async connect(): Promise<void> {
    try {
      const applied = await this.store.migrate();
      if (applied.length > 0) this.log.info({ applied, store: this.store.dialect }, 'name store: schema migrated');
      this.migrated = true;
      // The first refresh reads the whole table: every name any replica ever learned.
      const n = await this.refresh();
      if (this.isUp) this.log.info({ names: n, store: this.store.dialect }, 'name store: loaded');
    } catch (err) {
      this.failed('migrate', err);
    }
  }

  private queue(r: NameRecord): void {
    const key = `${r.k}:${r.i}`;
    this.pending.delete(key);
    this.pending.set(key, r);
    if (this.pending.size > this.options.maxPending) this.pending.delete(this.pending.keys().next().value as string);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.write([...batch.values()]);
    } catch (err) {
      // Back in front of what was learned meanwhile (a newer name for the same key wins).
      for (const [k, r] of this.pending) batch.set(k, r);
      this.pending = batch;
      this.failed('write', err);
    }
  }

  /** Reads changes after the cursor (minus the overlap) into the memory; returns how many. */
  private async refresh(): Promise<number> {
    let from: SqlCursor =
      this.cursor === CURSOR_START ? CURSOR_START : { updatedMs: this.cursor.updatedMs - this.options.overlapMs, kind: '', id: '' };
    let n = 0;
    try {
      for (;;) {
        const page = await this.store.changedSince(from, PAGE);
        for (const r of page.records) this.memory.absorb(r);
        n += page.records.length;
        from = page.cursor;
        if (page.records.length < PAGE) break;
      }
      if (from.updatedMs >= this.cursor.updatedMs) this.cursor = from;
      this.lastRefresh = Date.now();
      this.markUp();
    } catch (err) {
      this.failed('refresh', err);
    }
    return n;
  }

  private markUp(): void {
    if (this.isUp) return;
    this.isUp = true;
    this.reportedDown = false;
    this.observer.up(true);
    this.log.info({ store: this.store.dialect, pending: this.pending.size }, 'name store: reachable');
  }

  private failed(op: StoreOp, err: unknown): void {
    this.observer.error(op);
    const wasUp = this.isUp;
    this.isUp = false;
    this.observer.up(false);
    // Once per outage, not once per retry.
    if (wasUp || !this.reportedDown) {
      this.log.error(
        { op, store: this.store.dialect, err: (err as Error).message },
        'name store unreachable: going on with the local name memory; learned names wait to be written',
      );
    }
    this.reportedDown = true;
  }
}
