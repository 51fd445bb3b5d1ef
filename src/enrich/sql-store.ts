import type { NameRecord } from './name-store.js';
import type { SqlClient, SqlDialect, SqlRow } from './sql-client.js';

/** Where a scan of changed names stands: the last (updated_ms, kind, id) read. */
export interface SqlCursor {
  readonly updatedMs: number;
  readonly kind: string;
  readonly id: string;
}

export const CURSOR_START: SqlCursor = { updatedMs: 0, kind: '', id: '' };

/** Rows in one INSERT: well under MariaDB's max_allowed_packet and PostgreSQL's 65,535 parameters. */
export const WRITE_BATCH = 500;

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: Record<SqlDialect, string[]>;
}

/**
 * Versioned, applied in order, each once, under a database lock so replicas starting together
 * do not race. Never edit a released migration: add the next one (docs/names.md, "Schema").
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cadf_names table',
    up: {
      // utf8mb4_bin: ids and names compare byte for byte (Keystone ids are case-sensitive).
      mysql: [
        `CREATE TABLE IF NOT EXISTS cadf_names (
          kind VARCHAR(16) NOT NULL,
          id VARCHAR(255) NOT NULL,
          name VARCHAR(1024) NOT NULL,
          domain_id VARCHAR(255) NULL,
          learned_at BIGINT NOT NULL,
          updated_ms BIGINT NOT NULL,
          PRIMARY KEY (kind, id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      ],
      postgres: [
        `CREATE TABLE IF NOT EXISTS cadf_names (
          kind VARCHAR(16) NOT NULL,
          id VARCHAR(255) NOT NULL,
          name VARCHAR(1024) NOT NULL,
          domain_id VARCHAR(255) NULL,
          learned_at BIGINT NOT NULL,
          updated_ms BIGINT NOT NULL,
          PRIMARY KEY (kind, id)
        )`,
      ],
    },
  },
  {
    version: 2,
    name: 'index for the refresh of recent changes',
    up: {
      mysql: ['CREATE INDEX cadf_names_updated ON cadf_names (updated_ms, kind, id)'],
      postgres: ['CREATE INDEX IF NOT EXISTS cadf_names_updated ON cadf_names (updated_ms, kind, id)'],
    },
  },
];

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS cadf_exporter_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** The database's clock in ms: one clock for every replica, so their cursors agree. */
const NOW_MS: Record<SqlDialect, string> = {
  mysql: 'CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)',
  postgres: 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)',
};

const UPSERT_TAIL: Record<SqlDialect, string> = {
  mysql:
    ' ON DUPLICATE KEY UPDATE name = VALUES(name), domain_id = COALESCE(VALUES(domain_id), domain_id), learned_at = VALUES(learned_at), updated_ms = VALUES(updated_ms)',
  postgres:
    ' ON CONFLICT (kind, id) DO UPDATE SET name = EXCLUDED.name, domain_id = COALESCE(EXCLUDED.domain_id, cadf_names.domain_id), learned_at = EXCLUDED.learned_at, updated_ms = EXCLUDED.updated_ms',
};

/**
 * The shared name memory in MariaDB/MySQL or PostgreSQL: one row per (kind, id), written in
 * multi-row upserts, read back by key (a cache miss) or by change time (the periodic refresh).
 */
export class SqlNameStore {
  constructor(private readonly db: SqlClient) {}

  get dialect(): SqlDialect {
    return this.db.dialect;
  }

  /** Creates or upgrades the schema; returns the versions applied now. */
  async migrate(): Promise<number[]> {
    return this.db.exclusive('cadf_exporter_migrate', async (query) => {
      await query(MIGRATIONS_TABLE);
      const done = new Set((await query('SELECT version FROM cadf_exporter_migrations')).map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        // MariaDB commits DDL as it goes; the statements are written to be re-runnable (IF NOT
        // EXISTS) or, for MariaDB's index, guarded below, so a crash half-way is repaired next start.
        for (const sql of m.up[this.db.dialect]) {
          if (this.db.dialect === 'mysql' && sql.startsWith('CREATE INDEX') && (await this.mysqlIndexExists(query, sql))) continue;
          await query(sql);
        }
        await query('INSERT INTO cadf_exporter_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        applied.push(m.version);
      }
      return applied;
    });
  }

  /** Upserts, last write wins; at most WRITE_BATCH rows per statement. */
  async write(records: readonly NameRecord[]): Promise<void> {
    // One row per key per statement (PostgreSQL refuses to update a row twice in one INSERT).
    const unique = [...new Map(records.map((r) => [`${r.k}:${r.i}`, r])).values()];
    for (let i = 0; i < unique.length; i += WRITE_BATCH) {
      const chunk = unique.slice(i, i + WRITE_BATCH);
      const now = NOW_MS[this.db.dialect];
      const values = chunk.map(() => `(?, ?, ?, ?, ?, ${now})`).join(', ');
      const params = chunk.flatMap((r) => [r.k, r.i, r.n, r.d ?? null, r.t]);
      await this.db.query(`INSERT INTO cadf_names (kind, id, name, domain_id, learned_at, updated_ms) VALUES ${values}${UPSERT_TAIL[this.db.dialect]}`, params);
    }
  }

  /** The names of these (kind, id) pairs that the store knows. */
  async find(keys: ReadonlyArray<{ readonly kind: string; readonly id: string }>): Promise<NameRecord[]> {
    const out: NameRecord[] = [];
    for (let i = 0; i < keys.length; i += WRITE_BATCH) {
      const chunk = keys.slice(i, i + WRITE_BATCH);
      const rows = await this.db.query(
        `SELECT kind, id, name, domain_id, learned_at, updated_ms FROM cadf_names WHERE (kind, id) IN (${chunk.map(() => '(?, ?)').join(', ')})`,
        chunk.flatMap((k) => [k.kind, k.id]),
      );
      for (const r of rows) out.push(toRecord(r));
    }
    return out;
  }

  /** Up to `limit` rows changed after the cursor, oldest change first, and the cursor after them. */
  async changedSince(cursor: SqlCursor, limit: number): Promise<{ records: NameRecord[]; cursor: SqlCursor }> {
    const rows = await this.db.query(
      `SELECT kind, id, name, domain_id, learned_at, updated_ms FROM cadf_names
       WHERE updated_ms > ? OR (updated_ms = ? AND (kind > ? OR (kind = ? AND id > ?)))
       ORDER BY updated_ms, kind, id LIMIT ${Math.floor(limit)}`,
      [cursor.updatedMs, cursor.updatedMs, cursor.kind, cursor.kind, cursor.id],
    );
    const last = rows[rows.length - 1];
    return {
      records: rows.map(toRecord),
      cursor: last === undefined ? cursor : { updatedMs: Number(last.updated_ms), kind: String(last.kind), id: String(last.id) },
    };
  }

  /** The database's clock (ms). */
  async nowMs(): Promise<number> {
    const [row] = await this.db.query(`SELECT ${NOW_MS[this.db.dialect]} AS now_ms`);
    return Number(row?.now_ms);
  }

  async schemaVersion(): Promise<number> {
    const [row] = await this.db.query('SELECT MAX(version) AS v FROM cadf_exporter_migrations');
    return Number(row?.v ?? 0);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async mysqlIndexExists(query: SqlClient['query'], sql: string): Promise<boolean> {
    const name = /CREATE INDEX (\w+)/.exec(sql)![1]!;
    const rows = await query(
      'SELECT 1 AS x FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1',
      ['cadf_names', name],
    );
    return rows.length > 0;
  }
}

function toRecord(r: SqlRow): NameRecord {
  return {
    k: String(r.kind),
    i: String(r.id),
    n: String(r.name),
    d: typeof r.domain_id === 'string' ? r.domain_id : undefined,
    t: Number(r.learned_at),
  };
}
