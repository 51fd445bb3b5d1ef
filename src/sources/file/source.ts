import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import type { Delivery, DeliveryHandler, Outcome, Source } from '../types.js';
import { CheckpointStore, keyOf } from './checkpoints.js';
import { DeadLetterFile } from './dead-letters.js';
import { expand } from './glob.js';
import { LineSplitter, type Line } from './line-splitter.js';
import type { FileStats } from './metrics.js';
import { parseRecord, unwrapContainer } from './parse.js';

export interface FileSourceOptions {
  readonly name: string;
  /** Paths and globs; matched again on every poll, so new files are picked up. */
  readonly paths: readonly string[];
  /** Files never seen before, found at the first scan: read from their beginning or their end. */
  readonly startAt: 'beginning' | 'end';
  readonly maxLineBytes: number;
  readonly pollIntervalMs: number;
  /** Notifications handed to the pipeline and not yet settled, at most (back-pressure). */
  readonly window: number;
  /** Checkpoints and dead letters live here ('' = in memory / stderr only). */
  readonly dataDir: string;
}

export interface FileSourceObserver {
  deadLettered(code: string): void;
  deadLetterFailed(code: string): void;
  read(bytes: number, lines: number): void;
  skipped(): void;
}

const CHUNK = 64 * 1024;
const FINGERPRINT_BYTES = 1024;

interface Entry {
  /** Where the line (or the run of settled lines it stands for) ends. */
  end: number;
  done: boolean;
  readonly at: number;
}

/** One file being read, known by device and inode (its path may change under it). */
interface Tracked {
  path: string;
  readonly dev: number;
  readonly ino: number;
  fingerprint: string;
  fingerprintBytes: number;
  readonly fh: FileHandle;
  splitter: LineSplitter;
  /** Bumped when the file is truncated or re-read: settles of older lines change nothing. */
  generation: number;
  /** Every line before it is settled: the checkpoint. */
  committed: number;
  entries: Entry[];
  inflight: number;
  size: number;
  /** Its path no longer leads to it (rotated away or deleted): finished, then dropped. */
  orphan: boolean;
  /** A line came back errored: read again from the checkpoint once nothing is in flight. */
  rewind: boolean;
  /** Text of container partial (CRI `P`) lines waiting for their final part. */
  partial: string;
}

/**
 * Reads notifications from log files (issue 12). Polls rather than fs.watch: inotify loses track
 * across rename rotation and on some network and overlay filesystems, while stat by path every
 * poll sees renames, truncation and replacement alike, at a cost of one stat per file a poll.
 * At least once: a file's checkpoint moves only past the contiguous run of settled lines (as the
 * AckTracker's multiple-ack), so a crash re-reads at most what was in flight.
 */
export class FileSource implements Source {
  readonly name: string;
  private readonly files = new Map<string, Tracked>();
  private readonly store: CheckpointStore;
  private readonly deadLetters: DeadLetterFile;
  private handler: DeliveryHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private running = false;
  private scanned = false;
  private unsettled = 0;
  private closed = false;
  private polling = false;
  /** A settle made room while a poll ran: poll again at once after it. */
  private again = false;
  /** Reading stopped because the window was full. */
  private paused = false;

  constructor(
    private readonly options: FileSourceOptions,
    private readonly log: Logger,
    private readonly observer: FileSourceObserver,
  ) {
    this.name = options.name;
    this.store = new CheckpointStore(options.dataDir, options.name);
    this.deadLetters = new DeadLetterFile(options.dataDir, options.name);
  }

  get ready(): boolean {
    return this.running && this.scanned;
  }

  get inflight(): number {
    return this.unsettled;
  }

  /** For the metrics, read at scrape time. */
  readonly stats: FileStats = {
    files: () => this.files.size,
    lag: () => [...this.files.values()].map((t) => ({ path: t.path, bytes: Math.max(0, t.size - t.committed) })),
  };

  oldestUnsettledSeconds(): number {
    let oldest = Infinity;
    for (const t of this.files.values()) for (const e of t.entries) if (!e.done) oldest = Math.min(oldest, e.at);
    return oldest === Infinity ? 0 : (Date.now() - oldest) / 1000;
  }

  start(handler: DeliveryHandler): void {
    this.handler = handler;
    this.running = true;
    this.log.info({ source: this.name, paths: this.options.paths, startAt: this.options.startAt }, 'watching log files');
    this.schedule(0);
  }

  async stopConsuming(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.tick;
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    this.closed = true;
    this.saveCheckpoints();
    if (this.unsettled > 0) this.log.info({ source: this.name, lines: this.unsettled }, 'unsettled lines are read again at the next start');
    for (const t of this.files.values()) await t.fh.close().catch(() => undefined);
    this.files.clear();
  }

  /** One poll loop only: a timer is set only while no poll runs, and a new one replaces the old. */
  private schedule(ms: number): void {
    if (!this.running || this.polling) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = true;
      this.tick = this.poll()
        .catch((err: unknown) => this.log.warn({ source: this.name, err }, 'file poll failed'))
        .finally(() => {
          this.polling = false;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.options.pollIntervalMs);
        });
    }, ms);
  }

  /** Called on each settle: reading paused on a full window goes on now, not at the next poll. */
  private wake(): void {
    if (!this.paused || !this.running || this.unsettled >= this.options.window) return;
    this.paused = false;
    if (this.polling) this.again = true;
    else this.schedule(0);
  }

  private async poll(): Promise<void> {
    const paths = await expand(this.options.paths);
    const seen = new Set<string>();
    for (const path of paths) {
      const s = await stat(path, { bigint: false }).catch(() => undefined);
      if (s === undefined) continue;
      const key = keyOf(s.dev, s.ino);
      seen.add(key);
      const known = this.files.get(key);
      if (known !== undefined) {
        known.path = path;
        known.orphan = false;
        continue;
      }
      await this.add(path, s.dev, s.ino, s.size);
    }
    for (const [key, t] of this.files) if (!seen.has(key)) t.orphan = true;
    this.scanned = true;
    for (const t of [...this.files.values()]) {
      if (!this.running) break;
      await this.read(t);
      if (t.orphan && t.inflight === 0 && t.splitter.readOffset >= t.size && t.committed >= t.size) await this.drop(t);
    }
    this.saveCheckpoints();
  }

  private async add(path: string, dev: number, ino: number, size: number): Promise<void> {
    const fh = await open(path, 'r').catch(() => undefined);
    if (fh === undefined) return;
    const fp = await fingerprintOf(fh, Math.min(size, FINGERPRINT_BYTES));
    const cp = this.store.get(dev, ino);
    let offset = 0;
    let why = 'new file: from its beginning';
    if (cp !== undefined && (await fingerprintOf(fh, cp.fingerprintBytes)) === cp.fingerprint && cp.offset <= size) {
      offset = cp.offset;
      why = 'resuming at its checkpoint';
    } else if (cp !== undefined) {
      why = 'its checkpoint is of another file (replaced or truncated): from its beginning';
    } else if (!this.scanned && this.options.startAt === 'end') {
      offset = size;
      why = 'never seen: from its end';
    }
    const t: Tracked = {
      path,
      dev,
      ino,
      fingerprint: fp,
      fingerprintBytes: Math.min(size, FINGERPRINT_BYTES),
      fh,
      splitter: new LineSplitter(offset, this.options.maxLineBytes),
      generation: 0,
      committed: offset,
      entries: [],
      inflight: 0,
      size,
      orphan: false,
      rewind: false,
      partial: '',
    };
    this.files.set(keyOf(dev, ino), t);
    this.log.info({ source: this.name, path, offset }, why);
  }

  private async drop(t: Tracked): Promise<void> {
    this.files.delete(keyOf(t.dev, t.ino));
    this.store.delete(t.dev, t.ino);
    await t.fh.close().catch(() => undefined);
    this.log.info({ source: this.name, path: t.path }, 'finished a file its path no longer leads to (rotated or deleted)');
  }

  private restartAt(t: Tracked, offset: number): void {
    t.generation += 1;
    t.splitter = new LineSplitter(offset, this.options.maxLineBytes);
    t.committed = offset;
    t.entries = [];
    t.partial = '';
    t.rewind = false;
  }

  private async read(t: Tracked): Promise<void> {
    const s = await t.fh.stat();
    t.size = s.size;
    if (s.size < t.splitter.readOffset || s.size < t.committed) {
      // copytruncate (or any truncation): the file starts again; so does reading it.
      this.log.info({ source: this.name, path: t.path, size: s.size, offset: t.splitter.readOffset }, 'file truncated: reading it again from 0');
      this.restartAt(t, 0);
      t.fingerprint = await fingerprintOf(t.fh, 0);
      t.fingerprintBytes = 0;
    }
    if (t.rewind) {
      if (t.inflight > 0) return;
      this.restartAt(t, t.committed);
    }
    if (t.fingerprintBytes < FINGERPRINT_BYTES && s.size > t.fingerprintBytes) {
      // The file grew past the bytes its fingerprint covers: cover more, so a checkpoint tells it
      // from a new file in the same inode.
      t.fingerprintBytes = Math.min(s.size, FINGERPRINT_BYTES);
      t.fingerprint = await fingerprintOf(t.fh, t.fingerprintBytes);
    }
    const buf = Buffer.allocUnsafe(CHUNK);
    while (this.running && !t.rewind) {
      if (this.unsettled >= this.options.window) {
        this.paused = true;
        break;
      }
      const at = t.splitter.readOffset;
      if (at >= t.size) break;
      const { bytesRead } = await t.fh.read(buf, 0, Math.min(CHUNK, t.size - at), at);
      if (bytesRead === 0) break;
      const lines = t.splitter.push(Buffer.from(buf.subarray(0, bytesRead)));
      this.observer.read(bytesRead, lines.length);
      for (const line of lines) {
        if (this.unsettled >= this.options.window) {
          this.paused = true;
          // The window filled within this chunk: the rest is read again once there is room, so
          // what is held stays within the window whatever the chunk held.
          t.splitter = new LineSplitter(line.start, this.options.maxLineBytes);
          break;
        }
        this.onLine(t, line);
      }
    }
  }

  private onLine(t: Tracked, line: Line): void {
    if (line.overlong) {
      t.partial = '';
      this.deadLetter(t, line, line.text, 'too_large', `line is over the ${this.options.maxLineBytes} byte limit`);
      return;
    }
    const u = unwrapContainer(line.text);
    if (u.partial) {
      // No entry until the final part: the checkpoint stays before the first part, so a crash
      // re-reads the record whole.
      t.partial += u.text;
      if (t.partial.length > this.options.maxLineBytes) {
        const head = t.partial.slice(0, 1024);
        t.partial = '';
        this.deadLetter(t, line, head, 'too_large', `joined partial lines are over the ${this.options.maxLineBytes} byte limit`);
      }
      return;
    }
    const text = t.partial + u.text;
    t.partial = '';
    const r = parseRecord(text);
    if (r.kind === 'skip') {
      this.observer.skipped();
      this.push(t, line.end, true);
      return;
    }
    if (r.kind === 'bad') {
      this.deadLetter(t, line, text, r.code, r.message);
      return;
    }
    this.deliver(t, line, r.body);
  }

  private deadLetter(t: Tracked, line: Line, text: string, code: string, message: string): void {
    if (this.deadLetters.write({ path: t.path, offset: line.start, line: text, reason: { code, message } })) {
      this.observer.deadLettered(code);
      this.push(t, line.end, true);
    } else {
      this.observer.deadLetterFailed(code);
      this.push(t, line.end, false);
      t.rewind = true;
    }
  }

  private deliver(t: Tracked, line: Line, body: Buffer): void {
    const entry = this.push(t, line.end, false);
    const generation = t.generation;
    t.inflight += 1;
    this.unsettled += 1;
    let settled = false;
    const isLive = (): boolean => !this.closed && t.generation === generation;
    const delivery: Delivery = {
      body,
      meta: {},
      redelivered: false,
      windowFull: this.unsettled >= this.options.window,
      settle: (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        t.inflight -= 1;
        this.unsettled -= 1;
        if (!this.closed && t.generation === generation) this.settle(t, entry, line, body, outcome);
        this.wake();
      },
      get live() {
        return isLive();
      },
    };
    this.handler?.(delivery);
  }

  private settle(t: Tracked, entry: Entry, line: Line, body: Buffer, outcome: Outcome): void {
    switch (outcome.status) {
      case 'delivered':
        entry.done = true;
        break;
      case 'rejected':
        if (this.deadLetters.write({ path: t.path, offset: line.start, line: body.toString('utf8'), reason: outcome.reason })) {
          this.observer.deadLettered(outcome.reason.code);
          entry.done = true;
        } else {
          this.observer.deadLetterFailed(outcome.reason.code);
          t.rewind = true;
        }
        break;
      case 'errored':
        // Not now (shutdown, internal): the checkpoint stays before it and it is read again.
        t.rewind = true;
        break;
    }
    advance(t);
  }

  /**
   * Appends a line's entry; a settled line with nothing unsettled before it moves the checkpoint at
   * once, and one after a settled entry extends it. So the queue holds at most about two entries
   * per unsettled line, however many skipped lines follow a notification the endpoint holds up.
   */
  private push(t: Tracked, end: number, done: boolean): Entry {
    const last = t.entries.at(-1);
    if (done && last === undefined) {
      t.committed = end;
      return { end, done, at: Date.now() };
    }
    if (done && last!.done) {
      last!.end = end;
      return last!;
    }
    const e: Entry = { end, done, at: Date.now() };
    t.entries.push(e);
    return e;
  }

  /** Lines (or runs of settled lines) held behind unsettled ones, over all files. */
  get heldEntries(): number {
    let n = 0;
    for (const t of this.files.values()) n += t.entries.length;
    return n;
  }

  private saveCheckpoints(): void {
    for (const t of this.files.values()) {
      this.store.set({ path: t.path, dev: t.dev, ino: t.ino, fingerprint: t.fingerprint, fingerprintBytes: t.fingerprintBytes, offset: t.committed });
    }
    try {
      this.store.flush();
    } catch (err) {
      this.log.warn({ source: this.name, err }, 'could not write the file checkpoints; they are written at the next poll');
    }
  }
}

/** Moves the checkpoint past the contiguous run of settled lines at the head. */
function advance(t: Tracked): void {
  let i = 0;
  while (i < t.entries.length && t.entries[i]!.done) {
    t.committed = t.entries[i]!.end;
    i += 1;
  }
  if (i > 0) t.entries.splice(0, i);
}

async function fingerprintOf(fh: FileHandle, bytes: number): Promise<string> {
  const buf = Buffer.alloc(bytes);
  if (bytes > 0) await fh.read(buf, 0, bytes, 0);
  return createHash('sha256').update(buf).digest('hex');
}
