import { createRequire } from 'node:module';
import type mysql from 'mysql2/promise';
import type pg from 'pg';

// The drivers are loaded when a store is opened, not at start: most deployments have no shared
// store, and the two drivers are several MB of heap that every process would otherwise carry
// (test/enrich/lazy-drivers.test.ts, docs/performance.md).
const load = createRequire(import.meta.url);

export type SqlDialect = 'mysql' | 'postgres';

/** A row as the drivers give it: column name -> value. */
export type SqlRow = Record<string, unknown>;

/** What the name store needs of a database, whichever it is. */
export interface SqlClient {
  readonly dialect: SqlDialect;
  /** One statement with `?` placeholders (rewritten to $1, $2... for PostgreSQL). */
  query(sql: string, params?: readonly unknown[]): Promise<SqlRow[]>;
  /** Runs `fn` on one connection holding a database-wide named lock (for migrations). */
  exclusive<T>(lock: string, fn: (query: SqlClient['query']) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlClientOptions {
  /** mysql://, mariadb://, postgres:// or postgresql://user:password@host:port/database */
  readonly url: string;
  /** Time limit of connecting and of one statement. */
  readonly timeoutMs: number;
  /** Background errors of idle connections (a killed session): reported, never thrown. */
  readonly onIdleError: (err: Error) => void;
}

export function dialectOf(url: string): SqlDialect {
  const scheme = new URL(url).protocol;
  if (scheme === 'mysql:' || scheme === 'mariadb:') return 'mysql';
  if (scheme === 'postgres:' || scheme === 'postgresql:') return 'postgres';
  throw new Error(`name store URL: unknown scheme ${scheme} (mysql://, mariadb://, postgres:// or postgresql://)`);
}

/** A small pool (two connections: the writer and the reader never wait on each other much). */
export function openSqlClient(options: SqlClientOptions): SqlClient {
  return dialectOf(options.url) === 'mysql' ? mysqlClient(options) : postgresClient(options);
}

function mysqlClient(o: SqlClientOptions): SqlClient {
  const url = new URL(o.url);
  url.protocol = 'mysql:';
  const driver = load('mysql2/promise') as typeof mysql;
  const pool = driver.createPool({
    uri: url.toString(),
    connectionLimit: 2,
    connectTimeout: o.timeoutMs,
    enableKeepAlive: true,
    charset: 'utf8mb4',
  });
  // mysql2 emits errors of pooled connections on the connection; a dead one leaves the pool.
  pool.on('connection', (c) => c.on('error', (err: Error) => o.onIdleError(err)));
  const run = async (q: mysql.Pool | mysql.PoolConnection, sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> => {
    const [rows] = await q.query({ sql, timeout: o.timeoutMs, values: params as unknown[] });
    return Array.isArray(rows) ? (rows as SqlRow[]) : [];
  };
  return {
    dialect: 'mysql',
    query: (sql, params) => run(pool, sql, params),
    async exclusive(lock, fn) {
      const conn = await pool.getConnection();
      try {
        const [got] = await run(conn, 'SELECT GET_LOCK(?, ?) AS got', [lock, Math.ceil(o.timeoutMs / 1000) * 10]);
        if (Number(got?.got) !== 1) throw new Error(`could not take the database lock ${lock}`);
        try {
          return await fn((sql, params) => run(conn, sql, params));
        } finally {
          await run(conn, 'SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
        }
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

/** `?` -> `$n`; the store's statements have no `?` inside string literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgresClient(o: SqlClientOptions): SqlClient {
  const driver = load('pg') as typeof pg;
  const pool = new driver.Pool({
    connectionString: o.url,
    max: 2,
    connectionTimeoutMillis: o.timeoutMs,
    query_timeout: o.timeoutMs,
    statement_timeout: o.timeoutMs,
    keepAlive: true,
  });
  // An idle client whose backend was terminated emits here; without a listener it would crash.
  pool.on('error', (err) => o.onIdleError(err));
  const run = async (q: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> =>
    (await q.query(numbered(sql), params as unknown[])).rows as SqlRow[];
  return {
    dialect: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async exclusive(lock, fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await run(client, 'SELECT pg_advisory_lock(hashtext(?))', [lock]);
        try {
          return await fn((sql, params) => run(client, sql, params));
        } finally {
          await run(client, 'SELECT pg_advisory_unlock(hashtext(?))', [lock]).catch((err: Error) => (broken = err));
        }
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
