import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open as openReal } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NameMemory } from '../../src/enrich/name-memory.js';
import { type FileLike, type NameRecord, NameStore } from '../../src/enrich/name-store.js';

/** A file in memory whose writes can be cut short or fail, as on a full or failing disk. */
class FakeFile implements FileLike {
  content = Buffer.alloc(0);
  /** Bytes each write takes at most. */
  maxWrite = Number.POSITIVE_INFINITY;
  /** Writes to come that take some bytes and then fail with ENOSPC on the next call. */
  failures = 0;
  truncateFails = false;
  private failNext = false;

  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    }
    let n = Math.min(length, this.maxWrite);
    if (this.failures > 0) {
      this.failures -= 1;
      this.failNext = true;
      n = Math.min(n, 10);
    }
    this.content = Buffer.concat([this.content, buffer.subarray(offset, offset + n)]);
    return Promise.resolve({ bytesWritten: n });
  }
  async sync(): Promise<void> {}
  truncate(length: number): Promise<void> {
    if (this.truncateFails) return Promise.reject(Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' }));
    this.content = this.content.subarray(0, length);
    return Promise.resolve();
  }
  stat(): Promise<{ size: number }> {
    return Promise.resolve({ size: this.content.length });
  }
  async close(): Promise<void> {}
}

const rec = (i: number): NameRecord => ({ k: 'user', i: `u${i}`, n: `name-${i}`, d: 'default', t: 1_700_000_000 + i });
const lines = (f: FakeFile) => f.content.toString('utf8').split('\n').filter((l) => l !== '');

function storeOn(file: FakeFile): { store: NameStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-store-'));
  return { store: new NameStore(dir, () => Promise.resolve(file)), dir };
}

/** What load() makes of the fake's bytes, read back from a real file. */
function reload(file: FakeFile): { records: NameRecord[]; corruptLines: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cadf-store-'));
  writeFileSync(join(dir, 'names.jsonl'), file.content);
  const records: NameRecord[] = [];
  const { corruptLines } = new NameStore(dir).load((r) => records.push(r));
  return { records, corruptLines };
}

describe('NameStore writes', () => {
  it('a short write goes on where it stopped', async () => {
    const file = new FakeFile();
    file.maxWrite = 7;
    const { store } = storeOn(file);
    await store.append([rec(1), rec(2), rec(3)]);
    expect(lines(file).map((l) => JSON.parse(l) as NameRecord)).toEqual([rec(1), rec(2), rec(3)]);
  });

  it('a write that fails half-way (ENOSPC) is cut back to the last whole record, and can be retried', async () => {
    const file = new FakeFile();
    const { store } = storeOn(file);
    await store.append([rec(1)]);
    file.failures = 1;
    await expect(store.append([rec(2), rec(3)])).rejects.toThrow(/ENOSPC/);
    expect(lines(file)).toHaveLength(1); // the 10 bytes of rec(2) are gone
    await store.append([rec(2), rec(3)]);
    expect(reload(file)).toEqual({ records: [rec(1), rec(2), rec(3)], corruptLines: 0 });
  });

  it('when even the cut fails, the next record starts on a new line: nothing is glued to a partial line', async () => {
    const file = new FakeFile();
    const { store } = storeOn(file);
    await store.append([rec(1)]);
    file.failures = 1;
    file.truncateFails = true;
    await expect(store.append([rec(2)])).rejects.toThrow(/ENOSPC/);
    await store.append([rec(2), rec(3)]);
    expect(reload(file)).toEqual({ records: [rec(1), rec(2), rec(3)], corruptLines: 1 });
    // A later failure cuts back to the end of rec(3), not into it.
    file.truncateFails = false;
    file.failures = 1;
    await expect(store.append([rec(4)])).rejects.toThrow(/ENOSPC/);
    expect(reload(file)).toEqual({ records: [rec(1), rec(2), rec(3)], corruptLines: 1 });
  });
});

describe('NameStore compaction on a full disk', () => {
  it('leaves the log as it was and removes its half-written copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadf-store-'));
    const full = async (path: string, flags: 'a' | 'w' | 'r'): Promise<FileLike> => {
      const real = await openReal(path, flags);
      if (!path.endsWith('.tmp')) return real;
      return {
        write: () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
        sync: () => real.sync(),
        truncate: (n) => real.truncate(n),
        stat: () => real.stat(),
        close: () => real.close(),
      };
    };
    const store = new NameStore(dir, full);
    await store.append([rec(1), rec(2)]);
    const before = readFileSync(join(dir, 'names.jsonl'), 'utf8');
    await expect(store.compact([rec(2)])).rejects.toThrow(/ENOSPC/);
    expect(existsSync(join(dir, 'names.jsonl.tmp'))).toBe(false);
    expect(readFileSync(join(dir, 'names.jsonl'), 'utf8')).toBe(before);
    await store.append([rec(3)]);
    await store.close();
    expect(readFileSync(join(dir, 'names.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('NameMemory on a full disk', () => {
  it('keeps a batch that could not be written, counts the failure, and writes it once there is room', async () => {
    const file = new FakeFile();
    const { store } = storeOn(file);
    const memory = new NameMemory(store, { maxEntries: 100, flushIntervalMs: 60_000 }, pino({ level: 'silent' }));
    let counted = 0;
    memory.onWriteFailure(() => (counted += 1));
    memory.open();
    memory.learn('user', 'u1', 'alice');
    memory.learn('project', 'p1', 'demo');
    file.failures = 1;
    await memory.flush();
    expect(memory.failedWrites).toBe(1);
    expect(counted).toBe(1);
    expect(lines(file)).toHaveLength(0);
    memory.learn('user', 'u2', 'bob');
    await memory.flush();
    expect(memory.failedWrites).toBe(1);
    expect(reload(file).records.map((r) => r.n).sort()).toEqual(['alice', 'bob', 'demo']);
    await memory.close();
  });
});
