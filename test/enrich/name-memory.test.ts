import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/enrich/data-dir-lock.js';
import { NameMemory } from '../../src/enrich/name-memory.js';
import { NameStore } from '../../src/enrich/name-store.js';

const log = pino({ level: 'silent' });
const dir = () => mkdtempSync(join(tmpdir(), 'cadf-names-'));
function open(d: string, maxEntries = 1000): NameMemory {
  const m = new NameMemory(new NameStore(d), { maxEntries, flushIntervalMs: 60_000 }, log);
  m.open();
  return m;
}

describe('NameMemory', () => {
  it('learns, answers, and keeps what it learned across a restart', async () => {
    const d = dir();
    const m = open(d);
    m.learn('user', 'u1', 'alice', 'default');
    m.learn('project', 'p1', 'demo');
    expect(m.get('user', 'u1')).toMatchObject({ n: 'alice', d: 'default' });
    expect(m.get('user', 'p1')).toBeUndefined(); // kinds are separate
    await m.close();
    const again = open(d);
    expect(again.get('user', 'u1')?.n).toBe('alice');
    expect(again.get('project', 'p1')?.n).toBe('demo');
    expect(again.sizeOf('user')).toBe(1);
    await again.close();
  });

  it('a rename wins; learning the same name again writes nothing', async () => {
    const d = dir();
    const m = open(d);
    m.learn('user', 'u1', 'alice');
    m.learn('user', 'u1', 'alice');
    await m.flush();
    m.learn('user', 'u1', 'alice2');
    await m.close();
    expect(readFileSync(join(d, 'names.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(open(d).get('user', 'u1')?.n).toBe('alice2');
  });

  it('recovers from a line cut short by a crash, and from garbage', async () => {
    const d = dir();
    const m = open(d);
    m.learn('user', 'u1', 'alice');
    m.learn('user', 'u2', 'bob');
    await m.close();
    appendFileSync(join(d, 'names.jsonl'), '{"k":"user","i":"u3","n":"car'); // kill -9 mid-write
    appendFileSync(join(d, 'names.jsonl'), '\n\u0000\u0000garbage\n{"k":1}\n');
    const again = open(d);
    expect(again.size).toBe(2);
    expect(again.get('user', 'u2')?.n).toBe('bob');
    // The damaged lines are compacted away (in the background: flush waits for it).
    await again.flush();
    expect(readFileSync(join(d, 'names.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    await again.close();
  });

  it('compacts a log that has grown with rewrites', async () => {
    const d = dir();
    const m = open(d);
    for (let i = 0; i < 3000; i++) {
      m.learn('user', 'u1', `name-${i}`);
      await m.flush();
    }
    await m.close();
    expect(readFileSync(join(d, 'names.jsonl'), 'utf8').trim().split('\n').length).toBeLessThan(1100);
    expect(open(d).get('user', 'u1')?.n).toBe('name-2999');
  });

  it('forgets the least recently learned names beyond its capacity', () => {
    const m = open(dir(), 3);
    m.learn('user', 'a', 'A');
    m.learn('user', 'b', 'B');
    m.learn('user', 'c', 'C');
    m.learn('user', 'a', 'A2'); // refreshed: now the most recent
    m.learn('user', 'd', 'D');
    expect(m.get('user', 'b')).toBeUndefined();
    expect(m.get('user', 'a')?.n).toBe('A2');
    expect(m.sizeOf('user')).toBe(3);
  });

  it('without a data directory it still works, in memory', async () => {
    const m = new NameMemory(undefined, { maxEntries: 10, flushIntervalMs: 1000 }, log);
    m.open();
    m.learn('role', 'r1', 'admin');
    expect(m.get('role', 'r1')?.n).toBe('admin');
    await m.close();
  });
});

describe('lockDataDir', () => {
  it('refuses a directory a live process holds, takes over a stale lock', () => {
    const d = dir();
    writeFileSync(join(d, 'LOCK'), '1\n'); // pid 1 is alive
    expect(() => lockDataDir(d)).toThrow(/in use by process 1: each exporter needs its own enrich.dataDir/);
    writeFileSync(join(d, 'LOCK'), '999999999\n');
    const unlock = lockDataDir(d);
    expect(readFileSync(join(d, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    unlock();
  });
});
