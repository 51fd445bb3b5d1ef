import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where one file was read up to: which file (device, inode, fingerprint) and the offset. */
export interface Checkpoint {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** sha256 of the first `fingerprintBytes` bytes: an inode reused by another file differs here. */
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
  /** Every line before it is exported or dead-lettered. */
  readonly offset: number;
}

/**
 * All checkpoints of one source in one JSON file of the data directory, written whole to a temp
 * file and renamed over, so a crash leaves either the old or the new one, never half of each.
 * Without a data directory they live in memory only (a restart starts again per the start position).
 */
export class CheckpointStore {
  private readonly file: string | undefined;
  private readonly entries = new Map<string, Checkpoint>();
  private dirty = false;

  constructor(dataDir: string, sourceName: string) {
    this.file = dataDir !== '' ? join(dataDir, `${sourceName.replace(/[^A-Za-z0-9_-]/g, '_')}-checkpoints.json`) : undefined;
    if (this.file === undefined) return;
    mkdirSync(dataDir, { recursive: true });
    try {
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { files?: Checkpoint[] };
      for (const c of doc.files ?? []) this.entries.set(keyOf(c.dev, c.ino), c);
    } catch {
      // None yet (first start) or unreadable: start as if new.
    }
  }

  get(dev: number, ino: number): Checkpoint | undefined {
    return this.entries.get(keyOf(dev, ino));
  }

  all(): Checkpoint[] {
    return [...this.entries.values()];
  }

  set(c: Checkpoint): void {
    const k = keyOf(c.dev, c.ino);
    const old = this.entries.get(k);
    if (old !== undefined && old.offset === c.offset && old.fingerprint === c.fingerprint && old.path === c.path) return;
    this.entries.set(k, c);
    this.dirty = true;
  }

  delete(dev: number, ino: number): void {
    if (this.entries.delete(keyOf(dev, ino))) this.dirty = true;
  }

  /** Writes if anything changed since the last write. */
  flush(): void {
    if (!this.dirty || this.file === undefined) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, files: this.all() }));
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}

export function keyOf(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}
