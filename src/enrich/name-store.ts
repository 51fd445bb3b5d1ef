import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open as openFile, rename, rm } from 'node:fs/promises';
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
  /** Lines that were not a whole record (a write cut short by kill -9, a damaged disk). */
  readonly corruptLines: number;
  readonly lines: number;
}

/** The part of fs/promises' FileHandle the store uses; a test gives one that fails on purpose. */
export interface FileLike {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}
export type OpenFile = (path: string, flags: 'a' | 'w' | 'r') => Promise<FileLike>;

const FILE = 'names.jsonl';
/** Written a chunk at a time so a compaction of a million names never holds the event loop long. */
const CHUNK = 64 * 1024;

/**
 * The name memory on disk: an append-only JSON-lines log, fsynced per batch of writes, compacted
 * by writing a fresh file and renaming it over the old one. A crash can at worst cut the last
 * line short; load() skips such lines. Plain files rather than an embedded database: nothing
 * native to build for each Node.js version, and the access pattern (load once, append) is simple.
 * Everything after load() is asynchronous: the event loop keeps serving while the disk works.
 */
export class NameStore {
  private handle: FileLike | undefined;
  /** Length of the log up to its last whole, written record. */
  private goodLength = 0;
  /** A failed write left bytes that could not be truncated away: the next write starts a new line. */
  private partial = false;
  private readonly path: string;

  constructor(
    private readonly dir: string,
    private readonly open: OpenFile = (path, flags) => openFile(path, flags),
  ) {
    this.path = join(dir, FILE);
  }

  /**
   * Reads the log at startup, a chunk at a time (a 75 MB file never becomes one 75 MB string in a
   * 96 MB heap). Synchronous: it runs once, before any event is consumed.
   */
  load(onRecord: (r: NameRecord) => void): LoadResult {
    mkdirSync(this.dir, { recursive: true });
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { corruptLines: 0, lines: 0 };
      throw err;
    }
    let corrupt = 0;
    let lines = 0;
    const line = (text: string): void => {
      if (text === '') return;
      lines += 1;
      const r = parse(text);
      if (r === undefined) corrupt += 1;
      else onRecord(r);
    };
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let rest = Buffer.alloc(0);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const data = rest.length === 0 ? buf.subarray(0, n) : Buffer.concat([rest, buf.subarray(0, n)]);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
          line(data.toString('utf8', start, nl));
          start = nl + 1;
        }
        rest = Buffer.from(data.subarray(start));
      }
      line(rest.toString('utf8'));
    } finally {
      closeSync(fd);
    }
    return { corruptLines: corrupt, lines };
  }

  /**
   * Appends and fsyncs: when this resolves, the records survive a crash. A short write goes on
   * where it stopped. On an error (ENOSPC, EIO) the file is cut back to its last whole record, or,
   * when even that fails, the next write begins with a newline: a record is never glued to half
   * of another. The caller keeps the batch and offers it again.
   */
  async append(records: Iterable<NameRecord>): Promise<void> {
    if (this.handle === undefined) {
      const h = await this.open(this.path, 'a');
      this.goodLength = (await h.stat()).size;
      this.handle = h;
    }
    const h = this.handle;
    // After a failed cut the file holds a fragment of unknown length: measure where it ends.
    if (this.partial) this.goodLength = (await h.stat()).size;
    let wrote = false;
    try {
      // In chunks: the first flush after priming from Keystone may hold every name.
      for (const chunk of chunks(records, this.partial ? '\n' : '')) {
        await writeAll(h, chunk);
        this.goodLength += chunk.length;
        this.partial = false;
        wrote = true;
      }
      if (wrote) await h.sync();
    } catch (err) {
      try {
        await h.truncate(this.goodLength);
        this.partial = false;
      } catch {
        this.partial = true;
      }
      throw err;
    }
  }

  /**
   * Replaces the log with exactly these records, atomically (write a temp file in chunks, fsync,
   * rename, fsync the directory). The records may be a live Map's iterator: what changes while
   * this runs is also appended afterwards, so the last line for an id is still the latest.
   */
  async compact(records: Iterable<NameRecord>): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await this.open(tmp, 'w');
    try {
      for (const chunk of chunks(records, '')) await writeAll(fh, chunk);
      await fh.sync();
    } catch (err) {
      // A half-written copy on a full disk would only take the room the appends need.
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await this.close();
    await rename(tmp, this.path);
    const dirFh = await this.open(this.dir, 'r');
    try {
      await dirFh.sync();
    } finally {
      await dirFh.close();
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    this.partial = false;
    await h?.close();
  }
}

/** The records as JSON lines, about CHUNK bytes at a time. */
function* chunks(records: Iterable<NameRecord>, first: string): Generator<Buffer> {
  let text = first;
  for (const r of records) {
    text += line(r);
    if (text.length >= CHUNK) {
      yield Buffer.from(text);
      text = '';
    }
  }
  if (text !== '') yield Buffer.from(text);
}

async function writeAll(h: FileLike, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await h.write(buf, off, buf.length - off);
    // A write that makes no progress would loop for ever: treat it as a full disk.
    if (bytesWritten <= 0) throw Object.assign(new Error('no progress writing the name memory'), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

function line(r: NameRecord): string {
  return `${JSON.stringify(r)}\n`;
}

function parse(text: string): NameRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<NameRecord>;
    if (typeof r.k !== 'string' || typeof r.i !== 'string' || typeof r.n !== 'string' || typeof r.t !== 'number') {
      return undefined;
    }
    return { k: r.k, i: r.i, n: r.n, d: typeof r.d === 'string' ? r.d : undefined, t: r.t };
  } catch {
    return undefined;
  }
}
