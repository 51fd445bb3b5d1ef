import type { Logger } from '../logger.js';
import type { NameRecord, NameStore } from './name-store.js';

/** The kinds of Keystone object whose names are remembered. */
export const NAME_KINDS = ['user', 'project', 'domain', 'group', 'role'] as const;
export type NameKind = (typeof NAME_KINDS)[number];

export interface NameMemoryOptions {
  /** Entries kept; the least recently learned are forgotten first. */
  readonly maxEntries: number;
  /** How often learned names are written to disk (batched, fsynced). */
  readonly flushIntervalMs: number;
}

/**
 * id -> name for users, projects, domains, groups and roles, learned from events and from the
 * Keystone API, kept on disk so a name learned before a deletion is still known after it, across
 * restarts and redeploys.
 */
export class NameMemory {
  private readonly entries = new Map<string, NameRecord>();
  private readonly counts = new Map<string, number>();
  private pending: NameRecord[] = [];
  private appendedSinceCompaction = 0;
  private timer: NodeJS.Timeout | undefined;
  private listener: ((r: NameRecord) => void) | undefined;

  constructor(
    private readonly store: NameStore | undefined,
    private readonly options: NameMemoryOptions,
    private readonly log: Logger,
  ) {}

  /** Loads the log (skipping damaged lines) and compacts it when it has grown. */
  open(): void {
    if (this.store === undefined) return;
    const { records, corruptLines, lines } = this.store.load();
    for (const r of records) this.put(r);
    if (corruptLines > 0) {
      this.log.warn({ corruptLines }, 'name memory: skipped damaged lines (a write cut short by a crash?)');
    }
    if (corruptLines > 0 || lines > this.entries.size * 2 + 1000) this.store.compact(this.entries.values());
    this.log.info({ entries: this.entries.size }, 'name memory loaded');
    this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  get(kind: NameKind, id: string): NameRecord | undefined {
    return this.entries.get(`${kind}:${id}`);
  }

  /** Remembers a name; a no-op when nothing changed, so learning on every event is cheap. */
  learn(kind: NameKind, id: string, name: string, domainId?: string): void {
    if (id === '' || name === '') return;
    const old = this.entries.get(`${kind}:${id}`);
    if (old !== undefined && old.n === name && (domainId === undefined || old.d === domainId)) return;
    const r: NameRecord = { k: kind, i: id, n: name, d: domainId ?? old?.d, t: Math.floor(Date.now() / 1000) };
    this.put(r);
    if (this.store !== undefined) this.pending.push(r);
    this.listener?.(r);
  }

  /** Called with each name learned here (not with those absorbed): the shared store's feed. */
  onLearned(listener: (r: NameRecord) => void): void {
    this.listener = listener;
  }

  /**
   * A name another replica learned (read from the shared store): kept, and written to the local
   * data directory, but not reported to onLearned (it came from there). A name learned here later
   * than the one offered wins. Returns whether anything changed.
   */
  absorb(r: NameRecord): boolean {
    const old = this.entries.get(`${r.k}:${r.i}`);
    const d = r.d ?? old?.d;
    if (old !== undefined && (old.t > r.t || (old.n === r.n && old.d === d))) return false;
    const rec: NameRecord = { k: r.k, i: r.i, n: r.n, d, t: r.t };
    this.put(rec);
    if (this.store !== undefined) this.pending.push(rec);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  sizeOf(kind: NameKind): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Writes what was learned since the last flush; compacts when the log is mostly stale. */
  flush(): void {
    if (this.store === undefined || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.store.append(batch);
      this.appendedSinceCompaction += batch.length;
      if (this.appendedSinceCompaction > this.entries.size + 1000) {
        this.store.compact(this.entries.values());
        this.appendedSinceCompaction = 0;
      }
    } catch (err) {
      // Kept in memory and retried next time: a full disk must not stop the exporter.
      this.pending = batch.concat(this.pending);
      this.log.error({ err: (err as Error).message }, 'name memory: cannot write to the data directory');
    }
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.flush();
    this.store?.close();
  }

  private put(r: NameRecord): void {
    const key = `${r.k}:${r.i}`;
    // Re-insert, so Map order is recency order and the first entry the one to forget.
    if (!this.entries.delete(key)) this.counts.set(r.k, (this.counts.get(r.k) ?? 0) + 1);
    this.entries.set(key, r);
    if (this.entries.size > this.options.maxEntries) {
      const [oldKey, old] = this.entries.entries().next().value as [string, NameRecord];
      this.entries.delete(oldKey);
      this.counts.set(old.k, (this.counts.get(old.k) ?? 1) - 1);
    }
  }
}
