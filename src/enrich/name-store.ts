import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One learned name. `k` kind, `i` id, `n` name, `d` the user's domain id, `t` when (unix s). */
export interface NameRecord {
  readonly k: string;
  readonly i: string;
  readonly n: string;
  readonly d?: string;
  readonly t: number;
}

export interface LoadResult {
  readonly records: NameRecord[];
  /** Lines that were not a whole record (a write cut short by kill -9, a damaged disk). */
  readonly corruptLines: number;
  readonly lines: number;
}

const FILE = 'names.jsonl';

/**
 * The name memory on disk: an append-only JSON-lines log, fsynced per batch of writes, compacted
 * by writing a fresh file and renaming it over the old one. A crash can at worst cut the last
 * line short; load() skips such lines. Plain files rather than an embedded database: nothing
 * native to build for each Node.js version, and the access pattern (load once, append) is simple.
 */
export class NameStore {
  private fd: number | undefined;
  private readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, FILE);
  }

  load(): LoadResult {
    mkdirSync(this.dir, { recursive: true });
    if (!existsSync(this.path)) return { records: [], corruptLines: 0, lines: 0 };
    const text = readFileSync(this.path, 'utf8');
    const records: NameRecord[] = [];
    let corrupt = 0;
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines += 1;
      const r = parse(line);
      if (r === undefined) corrupt += 1;
      else records.push(r);
    }
    return { records, corruptLines: corrupt, lines };
  }

  /** Appends and fsyncs: when this returns, the records survive a crash. */
  append(records: readonly NameRecord[]): void {
    if (records.length === 0) return;
    this.fd ??= openSync(this.path, 'a');
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    writeSync(this.fd, text);
    fsyncSync(this.fd);
  }

  /** Replaces the log with exactly these records, atomically (write, fsync, rename, fsync dir). */
  compact(records: Iterable<NameRecord>): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let chunk = '';
      for (const r of records) {
        chunk += `${JSON.stringify(r)}\n`;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.close();
    renameSync(tmp, this.path);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

function parse(line: string): NameRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<NameRecord>;
    if (typeof r.k !== 'string' || typeof r.i !== 'string' || typeof r.n !== 'string' || typeof r.t !== 'number') {
      return undefined;
    }
    return { k: r.k, i: r.i, n: r.n, d: typeof r.d === 'string' ? r.d : undefined, t: r.t };
  } catch {
    return undefined;
  }
}
