// Two replicas' name memories sharing one real MariaDB / PostgreSQL database, and an outage
// made by cutting the test's own database user off (never the machine's server).
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NameEnricher } from '../../src/enrich/enricher.js';
import { NameMemory } from '../../src/enrich/name-memory.js';
import { SharedNames, type StoreOp } from '../../src/enrich/shared-names.js';
import { openSqlClient, type SqlDialect } from '../../src/enrich/sql-client.js';
import { SqlNameStore } from '../../src/enrich/sql-store.js';
import { decodeFile } from '../support/decode.js';
import { TestDatabase } from '../support/sql.js';

const log = pino({ level: 'silent' });
const deletion = () => decodeFile('cornercases/quirk-user-deleted-no-initiator.bin').event;
const closing: SharedNames[] = [];
const dbs: TestDatabase[] = [];
afterEach(async () => {
  for (const s of closing.splice(0)) await s.close();
  for (const d of dbs.splice(0)) await d.drop();
});

interface Replica {
  memory: NameMemory;
  shared: SharedNames;
  ups: boolean[];
  errors: StoreOp[];
  found: boolean[];
}

async function replica(db: TestDatabase, open = true, refreshIntervalMs = 0): Promise<Replica> {
  const memory = new NameMemory(undefined, { maxEntries: 1000, flushIntervalMs: 1000 }, log);
  const r: Replica = { memory, shared: undefined as unknown as SharedNames, ups: [], errors: [], found: [] };
  const store = new SqlNameStore(openSqlClient({ url: db.url, timeoutMs: 2000, onIdleError: () => undefined }));
  // Long intervals: the test drives the rounds with tick(), so nothing here depends on timing.
  r.shared = new SharedNames(
    store,
    memory,
    { flushIntervalMs: 3_600_000, refreshIntervalMs, overlapMs: 5000, maxPending: 100 },
    { up: (u) => r.ups.push(u), error: (op) => r.errors.push(op), found: (h) => r.found.push(h) },
    log,
  );
  closing.push(r.shared);
  if (open) await r.shared.open();
  return r;
}

async function database(dialect: SqlDialect): Promise<TestDatabase> {
  const db = await TestDatabase.create(dialect);
  dbs.push(db);
  return db;
}

describe.each(['mysql', 'postgres'] as const)('SharedNames on %s', (dialect) => {
  it('makes a name learned by one replica known to another, by refresh and by a cache miss', async () => {
    const db = await database(dialect);
    const a = await replica(db);
    const b = await replica(db);
    expect(a.shared.up && b.shared.up).toBe(true);
    a.memory.learn('user', 'u-1', 'alice', 'default');
    a.memory.learn('project', 'p-1', 'demo');
    expect(a.shared.pendingCount).toBe(2);
    await a.shared.tick();
    expect(a.shared.pendingCount).toBe(0);
    // By a cache miss, before any refresh of b.
    await b.shared.find([{ kind: 'user', id: 'u-1' }, { kind: 'user', id: 'nobody' }]);
    expect(b.memory.get('user', 'u-1')).toMatchObject({ n: 'alice', d: 'default' });
    expect(b.found.sort()).toEqual([false, true]);
    // By the refresh.
    await b.shared.tick();
    expect(b.memory.get('project', 'p-1')?.n).toBe('demo');
    // What b absorbed is not written back by b.
    expect(b.shared.pendingCount).toBe(0);
    // A rename on b reaches a.
    b.memory.learn('project', 'p-1', 'demo-renamed');
    await b.shared.tick();
    await a.shared.tick();
    expect(a.memory.get('project', 'p-1')?.n).toBe('demo-renamed');
    // A third replica starting later loads everything.
    const c = await replica(db);
    expect(c.memory.get('user', 'u-1')?.n).toBe('alice');
    expect(c.memory.get('project', 'p-1')?.n).toBe('demo-renamed');
  });

  it('does not ask the store again for an id it did not know until a refresh could bring it, unless fresh', async () => {
    const db = await database(dialect);
    const a = await replica(db);
    const b = await replica(db, true, 3_600_000);
    await b.shared.find([{ kind: 'user', id: 'late' }]);
    expect(b.found).toEqual([false]);
    a.memory.learn('user', 'late', 'lately');
    await a.shared.tick();
    await b.shared.find([{ kind: 'user', id: 'late' }]);
    expect(b.found).toEqual([false]); // not asked
    expect(b.memory.get('user', 'late')).toBeUndefined();
    await b.shared.find([{ kind: 'user', id: 'late' }], true);
    expect(b.found).toEqual([false, true]);
    expect(b.memory.get('user', 'late')?.n).toBe('lately');
  });

  it('names a deletion from the store before it would ask Keystone', async () => {
    const db = await database(dialect);
    const a = await replica(db);
    const b = await replica(db);
    const deleted = deletion();
    const id = deleted.resource!.id!;
    a.memory.learn('user', id, 'bob');
    await a.shared.tick();
    const unnamed: string[] = [];
    const observer = { cache: () => undefined, lookup: () => undefined, unnamedDeletion: (k: string) => unnamed.push(k) };
    await new NameEnricher(b.memory, undefined, observer, 2000, b.shared).enrich([deleted]);
    expect(deleted.resource!.name).toBe('bob');
    expect(unnamed).toEqual([]);
    // The same deletion on a replica without the store: no name, and counted.
    const alone = new NameMemory(undefined, { maxEntries: 10, flushIntervalMs: 1000 }, log);
    const again = deletion();
    await new NameEnricher(alone, undefined, observer, 2000).enrich([again]);
    expect(again.resource!.name).toBeUndefined();
    expect(unnamed).toEqual(['user']);
  });

  it('goes on with the local memory while the store is cut off, and writes what waited once it is back', async () => {
    const db = await database(dialect);
    const a = await replica(db);
    const b = await replica(db);
    a.memory.learn('user', 'u-1', 'alice');
    await a.shared.tick();
    await db.cutOff();
    a.memory.learn('user', 'u-2', 'bob');
    a.memory.learn('group', 'g-1', 'admins');
    await a.shared.tick();
    expect(a.shared.up).toBe(false);
    expect(a.ups.at(-1)).toBe(false);
    expect(a.errors[0]).toBe('write');
    expect(a.shared.pendingCount).toBe(2);
    // Still answers from its own memory; b's miss answers at once (nothing found), not an error.
    expect(a.memory.get('user', 'u-2')?.n).toBe('bob');
    await b.shared.tick();
    expect(b.shared.up).toBe(false);
    await b.shared.find([{ kind: 'user', id: 'u-2' }]);
    expect(b.memory.get('user', 'u-2')).toBeUndefined();
    // Learning goes on during the outage, and retries do not lose or double it.
    a.memory.learn('user', 'u-2', 'bob-renamed');
    await a.shared.tick();
    expect(a.shared.pendingCount).toBe(2);
    await db.restore();
    await a.shared.tick(); // the probe finds the store back
    expect(a.shared.up).toBe(true);
    await a.shared.tick(); // writes what waited
    expect(a.shared.pendingCount).toBe(0);
    await b.shared.tick();
    expect(b.shared.up).toBe(true);
    await b.shared.tick();
    expect(b.memory.get('user', 'u-2')?.n).toBe('bob-renamed');
    expect(b.memory.get('group', 'g-1')?.n).toBe('admins');
    const rows = await db.rows("SELECT name FROM cadf_names WHERE kind = 'user' ORDER BY id");
    expect(rows.map((r) => r.name)).toEqual(['alice', 'bob-renamed']);
  });

  it('starts degraded when the store is unreachable at start, and migrates once it answers', async () => {
    const db = await database(dialect);
    await db.cutOff();
    const a = await replica(db);
    expect(a.shared.up).toBe(false);
    expect(a.errors).toEqual(['migrate']);
    a.memory.learn('domain', 'd-1', 'Default');
    await a.shared.tick();
    expect(a.shared.up).toBe(false);
    await db.restore();
    await a.shared.tick();
    expect(a.shared.up).toBe(true);
    await a.shared.tick();
    expect((await db.rows('SELECT name FROM cadf_names')).map((r) => r.name)).toEqual(['Default']);
  });

  it('keeps at most maxPending names waiting, the newest', async () => {
    const db = await database(dialect);
    await db.cutOff();
    const a = await replica(db);
    for (let i = 0; i < 150; i++) a.memory.learn('user', `u${i}`, `n${i}`);
    expect(a.shared.pendingCount).toBe(100);
    await db.restore();
    await a.shared.tick();
    await a.shared.tick();
    const rows = await db.rows('SELECT id FROM cadf_names');
    expect(rows).toHaveLength(100);
    expect(rows.map((r) => r.id)).toContain('u149');
    expect(rows.map((r) => r.id)).not.toContain('u0');
  });
});
