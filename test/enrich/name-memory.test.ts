import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/enrich/data-dir-lock.js';
import { NameMemory } from '../../src/enrich/name-memory.js';
import { NameStore } from '../../src/enrich/name-store.js';

const log = pino({ level: 'silent' });
const run = promisify(execFile);
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
  const me = () => JSON.parse(readFileSync(join(tmp, 'probe', 'LOCK'), 'utf8')) as Record<string, unknown>;
  const tmp = dir();
  const unlockProbe = lockDataDir(join(tmp, 'probe'));
  const probe = me(); // this process's own lock content: host, boot id, start time
  unlockProbe();
  const lockWith = (d: string, fields: Record<string, unknown>) =>
    writeFileSync(join(d, 'LOCK'), `${JSON.stringify({ ...probe, nonce: 'other', ...fields })}\n`);

  it('writes pid, host, boot id and start time; removes only its own lock', () => {
    const d = dir();
    const unlock = lockDataDir(d);
    const held = JSON.parse(readFileSync(join(d, 'LOCK'), 'utf8')) as Record<string, unknown>;
    expect(held).toMatchObject({ pid: process.pid, host: hostname() });
    expect(typeof held.bootId).toBe('string');
    unlock();
    expect(existsSync(join(d, 'LOCK'))).toBe(false);
    expect(readdirSync(d)).toEqual([]); // no temp files left
  });

  it('refuses a live process on this host, and a lock of another host (another container on the volume)', () => {
    const d = dir();
    lockWith(d, { pid: 1, start: '' }); // pid 1 is alive here
    expect(() => lockDataDir(d)).toThrow(/in use by process 1 on host .*: each exporter needs its own enrich.dataDir/);
    lockWith(d, { host: 'exporter-1', pid: 999_999_999 }); // its pid means nothing here
    expect(() => lockDataDir(d)).toThrow(
      /in use by process 999999999 on host exporter-1 .*own directory .*CADF_ENRICH_STORE_URL.*If you know that exporter is gone, delete .*LOCK/,
    );
    writeFileSync(join(d, 'LOCK'), '1\n'); // an older version's lock: cannot be judged
    expect(() => lockDataDir(d)).toThrow(/cannot read .*delete/);
    expect(readFileSync(join(d, 'LOCK'), 'utf8')).toBe('1\n'); // a refused lock is left alone
  });

  it('takes over a provably stale lock: the host rebooted, the process is gone, or its pid was reused', () => {
    for (const stale of [
      { pid: 1, bootId: 'an-earlier-boot' }, // pid 1 is alive, but the boot is not this one
      { pid: 999_999_999 },
      { pid: process.pid, start: '1' }, // a restarted container: PID 1 again, another process
    ]) {
      const d = dir();
      lockWith(d, stale);
      const unlock = lockDataDir(d);
      expect(JSON.parse(readFileSync(join(d, 'LOCK'), 'utf8'))).toMatchObject({ pid: process.pid, nonce: expect.not.stringMatching(/^other$/) });
      unlock();
      expect(readdirSync(d)).toEqual([]);
    }
  });

  it('of two processes racing for a directory (empty, or with a stale lock) exactly one gets it', async () => {
    const child = fileURLToPath(new URL('../support/lock-child.ts', import.meta.url));
    for (const stale of [false, true]) {
      const d = dir();
      if (stale) lockWith(d, { bootId: 'an-earlier-boot' });
      const startAt = Date.now() + 2000;
      const outputs = await Promise.all(
        [1, 2].map(async () => (await run(process.execPath, ['--import', 'tsx', child, d, String(startAt), '1500'])).stdout.trim()),
      );
      expect(outputs.filter((o) => o === 'locked')).toHaveLength(1);
      expect(outputs.filter((o) => o.startsWith('refused data directory'))).toHaveLength(1);
      expect(readdirSync(d)).toEqual([]);
    }
  }, 20_000);
});
