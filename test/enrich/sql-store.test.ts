// The shared name store against the machine's real MariaDB and PostgreSQL, each test in a
// database of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlClient, type SqlDialect } from '../../src/enrich/sql-client.js';
import { CURSOR_START, MIGRATIONS, SqlNameStore } from '../../src/enrich/sql-store.js';
import { TestDatabase } from '../support/sql.js';

const open: Array<{ close(): Promise<void> }> = [];
const dbs: TestDatabase[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const d of dbs.splice(0)) await d.drop();
});

function storeOn(db: TestDatabase): SqlNameStore {
  const s = new SqlNameStore(openSqlClient({ url: db.url, timeoutMs: 5000, onIdleError: () => undefined }));
  open.push(s);
  return s;
}

async function fresh(dialect: SqlDialect): Promise<{ db: TestDatabase; store: SqlNameStore }> {
  const db = await TestDatabase.create(dialect);
  dbs.push(db);
  return { db, store: storeOn(db) };
}

describe.each(['mysql', 'postgres'] as const)('SqlNameStore on %s', (dialect) => {
  it('creates the schema once, records every version, and is a no-op the next time', async () => {
    const { db, store } = await fresh(dialect);
    expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await store.migrate()).toEqual([]);
    expect(await store.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    const versions = await db.rows('SELECT version, name FROM cadf_exporter_migrations ORDER BY version');
    expect(versions.map((r) => Number(r.version))).toEqual([1, 2]);
  });

  it('lets three replicas starting together migrate without a race', async () => {
    const db = await TestDatabase.create(dialect);
    dbs.push(db);
    const stores = [storeOn(db), storeOn(db), storeOn(db)];
    const applied = await Promise.all(stores.map((s) => s.migrate()));
    expect(applied.flat().sort()).toEqual([1, 2]);
    expect((await db.rows('SELECT COUNT(*) AS n FROM cadf_exporter_migrations'))[0]!.n).toBe(dialect === 'mysql' ? 2 : '2');
  });

  it('repairs a migration cut short after its index was made (MariaDB commits DDL as it goes)', async () => {
    const { db, store } = await fresh(dialect);
    await store.migrate();
    await db.rows('DELETE FROM cadf_exporter_migrations WHERE version = 2');
    expect(await store.migrate()).toEqual([2]);
  });

  it('upserts in batches, last write wins, keeps a known domain, compares ids byte for byte', async () => {
    const { store } = await fresh(dialect);
    await store.migrate();
    const many = Array.from({ length: 1234 }, (_, i) => ({ k: 'user', i: `u${i}`, n: `user-${i}`, d: 'default', t: 1 }));
    await store.write(many);
    await store.write([
      { k: 'user', i: 'u1', n: 'renamed', t: 2 },
      { k: 'user', i: 'u1', n: 'renamed twice', t: 3 },
      { k: 'user', i: 'U1', n: 'other case', t: 3 },
      { k: 'project', i: 'u1', n: 'a project ✓ ünïcode', t: 3 },
    ]);
    const found = await store.find([
      { kind: 'user', id: 'u1' },
      { kind: 'user', id: 'U1' },
      { kind: 'project', id: 'u1' },
      { kind: 'user', id: 'u1233' },
      { kind: 'user', id: 'nobody' },
    ]);
    const byKey = Object.fromEntries(found.map((r) => [`${r.k}:${r.i}`, r]));
    expect(Object.keys(byKey).sort()).toEqual(['project:u1', 'user:U1', 'user:u1', 'user:u1233']);
    expect(byKey['user:u1']).toEqual({ k: 'user', i: 'u1', n: 'renamed twice', d: 'default', t: 3 });
    expect(byKey['project:u1']!.n).toBe('a project ✓ ünïcode');
    expect(byKey['user:U1']!.d).toBeUndefined();
  });

  it('pages through changes in change order and resumes after the cursor', async () => {
    const { store } = await fresh(dialect);
    await store.migrate();
    await store.write(Array.from({ length: 25 }, (_, i) => ({ k: 'group', i: `g${String(i).padStart(2, '0')}`, n: `g${i}`, t: 1 })));
    const seen: string[] = [];
    let cursor = CURSOR_START;
    for (;;) {
      const page = await store.changedSince(cursor, 10);
      seen.push(...page.records.map((r) => r.i));
      cursor = page.cursor;
      if (page.records.length < 10) break;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect((await store.changedSince(cursor, 10)).records).toEqual([]);
    const before = await store.nowMs();
    await store.write([{ k: 'group', i: 'g03', n: 'changed', t: 2 }]);
    const next = await store.changedSince(cursor, 10);
    expect(next.records.map((r) => [r.i, r.n])).toEqual([['g03', 'changed']]);
    expect(next.cursor.updatedMs).toBeGreaterThanOrEqual(before);
  });

  it('fails (and does not hang) while its user is cut off, and works again once restored', async () => {
    const { db, store } = await fresh(dialect);
    await store.migrate();
    await store.write([{ k: 'role', i: 'r1', n: 'reader', t: 1 }]);
    await db.cutOff();
    await expect(store.find([{ kind: 'role', id: 'r1' }])).rejects.toThrow();
    await expect(store.write([{ k: 'role', i: 'r2', n: 'member', t: 1 }])).rejects.toThrow();
    await db.restore();
    await store.write([{ k: 'role', i: 'r2', n: 'member', t: 1 }]);
    expect((await store.find([{ kind: 'role', id: 'r1' }, { kind: 'role', id: 'r2' }])).map((r) => r.n).sort()).toEqual(['member', 'reader']);
  });
});
