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
 *
 * Held compactly, because hundreds of thousands of entries must fit a 96 MB heap: one Map of
 * string -> string, no object per entry. The key is a one-character kind code and the id; the
 * value is `t,domain,name` with the domain as an index into a small table (a cloud has few
 * domains, and user ids repeat them). A NameRecord is built only when asked for.
 */
export class NameMemory {
  private readonly entries = new Map<string, string>();
  private readonly counts = new Array<number>(NAME_KINDS.length).fill(0);
  private readonly domains: string[] = [];
  private readonly domainIndex = new Map<string, number>();
  /** Keys learned since the last write: the entry's current value is what gets written. */
  private pending = new Set<string>();
  private appendedSinceCompaction = 0;
  private compactWanted = false;
  /** Every disk write goes through this chain: appends and compactions never overlap. */
  private writing: Promise<void> = Promise.resolve();
  private writeErrors = 0;
  private timer: NodeJS.Timeout | undefined;
  private listener: ((r: NameRecord) => void) | undefined;
  private writeFailureListener: (() => void) | undefined;

  constructor(
    private readonly store: NameStore | undefined,
    private readonly options: NameMemoryOptions,
    private readonly log: Logger,
  ) {}

  /** Loads the log (skipping damaged lines); a log that has grown is compacted in the background. */
  open(): void {
    if (this.store === undefined) return;
    const { corruptLines, lines } = this.store.load((r) => this.put(r));
    if (corruptLines > 0) {
      this.log.warn({ corruptLines }, 'name memory: skipped damaged lines (a write cut short by a crash?)');
    }
    if (corruptLines > 0 || lines > this.entries.size * 2 + 1000) this.compactWanted = true;
    this.log.info({ entries: this.entries.size }, 'name memory loaded');
    if (this.compactWanted) void this.flush();
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  get(kind: NameKind, id: string): NameRecord | undefined {
    const v = this.entries.get(key(kind, id));
    return v === undefined ? undefined : this.record(kind, id, v);
  }

  /** Remembers a name; a no-op when nothing changed, so learning on every event is cheap. */
  learn(kind: NameKind, id: string, name: string, domainId?: string): void {
    if (id === '' || name === '') return;
    const old = this.get(kind, id);
    if (old !== undefined && old.n === name && (domainId === undefined || old.d === domainId)) return;
    const r: NameRecord = { k: kind, i: id, n: name, d: domainId ?? old?.d, t: Math.floor(Date.now() / 1000) };
    this.put(r, this.store !== undefined);
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
    if (kindCode(r.k) === undefined) return false;
    const old = this.get(r.k as NameKind, r.i);
    const d = r.d ?? old?.d;
    if (old !== undefined && (old.t > r.t || (old.n === r.n && old.d === d))) return false;
    const rec: NameRecord = { k: r.k, i: r.i, n: r.n, d, t: r.t };
    this.put(rec, this.store !== undefined);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  sizeOf(kind: NameKind): number {
    return this.counts[NAME_KINDS.indexOf(kind)] ?? 0;
  }

  /** Called on each failed write to the data directory (a metric counts them). */
  onWriteFailure(listener: () => void): void {
    this.writeFailureListener = listener;
  }

  /** Writes that failed (full disk, I/O error) and were kept for the next flush. */
  get failedWrites(): number {
    return this.writeErrors;
  }

  /**
   * Writes what was learned since the last flush, off the event loop; compacts when the log is
   * mostly stale. Resolves when this flush (and any before it) is on disk or has failed.
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeOnce());
    return this.writing;
  }

  /** Rewrites the log with the current entries (also done by flush when the log has grown). */
  compact(): Promise<void> {
    this.compactWanted = true;
    return this.flush();
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    await this.writing;
    await this.store?.close();
  }

  private async writeOnce(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const batch = this.pending;
    this.pending = new Set();
    try {
      if (batch.size > 0) {
        await store.append(this.records(batch));
        this.appendedSinceCompaction += batch.size;
      }
      if (this.compactWanted || this.appendedSinceCompaction > this.entries.size + 1000) {
        await store.compact(this.records());
        this.compactWanted = false;
        this.appendedSinceCompaction = 0;
      }
    } catch (err) {
      // Kept in memory and retried next time: a full disk must not stop the exporter.
      for (const k of this.pending) batch.add(k);
      this.pending = batch;
      this.writeErrors += 1;
      this.writeFailureListener?.();
      const e = err as NodeJS.ErrnoException;
      this.log.error(
        { err: e.message, code: e.code, queued: this.pending.size, failedWrites: this.writeErrors },
        'name memory: cannot write to the data directory; kept in memory, retried',
      );
    }
  }

  /** All entries, or those of these keys that are still remembered. */
  private *records(keys?: Iterable<string>): Generator<NameRecord> {
    for (const k of keys ?? this.entries.keys()) {
      const v = this.entries.get(k);
      const kind = NAME_KINDS[k.charCodeAt(0) - 48];
      if (v !== undefined && kind !== undefined) yield this.record(kind, k.slice(1), v);
    }
  }

  private record(kind: NameKind, id: string, v: string): NameRecord {
    const a = v.indexOf(',');
    const b = v.indexOf(',', a + 1);
    const t = Number(v.slice(0, a));
    const d = b === a + 1 ? undefined : this.domains[Number(v.slice(a + 1, b))];
    return { k: kind, i: id, n: v.slice(b + 1), d, t };
  }

  private put(r: NameRecord, toWrite = false): void {
    const code = kindCode(r.k);
    if (code === undefined) return;
    const k = flat(key(r.k as NameKind, r.i));
    let d = '';
    if (r.d !== undefined) {
      let idx = this.domainIndex.get(r.d);
      if (idx === undefined) {
        idx = this.domains.push(r.d) - 1;
        this.domainIndex.set(r.d, idx);
      }
      d = String(idx);
    }
    // Re-insert, so Map order is recency order and the first entry the one to forget.
    if (!this.entries.delete(k)) this.counts[code]! += 1;
    this.entries.set(k, flat(`${r.t},${d},${r.n}`));
    if (toWrite) this.pending.add(k);
    if (this.entries.size > this.options.maxEntries) {
      const oldKey = this.entries.keys().next().value as string;
      this.entries.delete(oldKey);
      this.pending.delete(oldKey);
      this.counts[oldKey.charCodeAt(0) - 48]! -= 1;
    }
  }
}

function kindCode(kind: string): number | undefined {
  const i = NAME_KINDS.indexOf(kind as NameKind);
  return i === -1 ? undefined : i;
}

/**
 * A concatenation is a tree of V8 cons strings (32 bytes a node) until something flattens it; a
 * stored key or value is made one flat string, which halves the memory an entry costs.
 */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

function key(kind: NameKind, id: string): string {
  return String.fromCharCode(48 + NAME_KINDS.indexOf(kind)) + id;
}
