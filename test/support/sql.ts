import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SqlDialect } from '../../src/enrich/sql-client.js';

/** The machine's servers (docs: ../shared/reference/local-services.md): root / postgres, no password. */
const MYSQL_ADMIN = 'mysql://root@127.0.0.1:3306/';
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A database of its own for one test, reached as a user of its own, so a test can cut that
 * user off (an outage) without touching the machine's server or anyone else's sessions.
 */
export class TestDatabase {
  private constructor(
    readonly dialect: SqlDialect,
    readonly name: string,
    readonly user: string,
    readonly url: string,
  ) {}

  static async create(dialect: SqlDialect): Promise<TestDatabase> {
    const id = randomBytes(5).toString('hex');
    const name = `cadf_t_${id}`;
    const user = `cadf_u_${id}`;
    const pw = `pw${id}`;
    if (dialect === 'mysql') {
      await admin(dialect, [
        `CREATE DATABASE ${name}`,
        `CREATE USER '${user}'@'%' IDENTIFIED BY '${pw}'`,
        `CREATE USER '${user}'@'localhost' IDENTIFIED BY '${pw}'`,
        `GRANT ALL ON ${name}.* TO '${user}'@'%'`,
        `GRANT ALL ON ${name}.* TO '${user}'@'localhost'`,
      ]);
      return new TestDatabase(dialect, name, user, `mysql://${user}:${pw}@127.0.0.1:3306/${name}`);
    }
    await admin(dialect, [`CREATE ROLE ${user} LOGIN PASSWORD '${pw}'`, `CREATE DATABASE ${name} OWNER ${user}`]);
    return new TestDatabase(dialect, name, user, `postgres://${user}:${pw}@127.0.0.1:5432/${name}`);
  }

  /** Locks the user out and kills its sessions: the store is unreachable for the exporter. */
  async cutOff(): Promise<void> {
    if (this.dialect === 'mysql') {
      await admin(this.dialect, [`ALTER USER '${this.user}'@'%' ACCOUNT LOCK`, `ALTER USER '${this.user}'@'localhost' ACCOUNT LOCK`]);
      const ids = await adminRows(this.dialect, `SELECT id FROM information_schema.processlist WHERE user = '${this.user}'`);
      await admin(this.dialect, ids.map((r) => `KILL CONNECTION ${Number(r.id)}`), true);
    } else {
      await admin(this.dialect, [`ALTER ROLE ${this.user} NOLOGIN`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${this.user}'`]);
    }
  }

  async restore(): Promise<void> {
    if (this.dialect === 'mysql') {
      await admin(this.dialect, [`ALTER USER '${this.user}'@'%' ACCOUNT UNLOCK`, `ALTER USER '${this.user}'@'localhost' ACCOUNT UNLOCK`]);
    } else {
      await admin(this.dialect, [`ALTER ROLE ${this.user} LOGIN`]);
    }
  }

  /** Rows of a query in this database, as the admin. */
  rows(sql: string): Promise<Array<Record<string, unknown>>> {
    return adminRows(this.dialect, sql, this.name);
  }

  async drop(): Promise<void> {
    if (this.dialect === 'mysql') {
      await admin(this.dialect, [`DROP DATABASE IF EXISTS ${this.name}`, `DROP USER IF EXISTS '${this.user}'@'%'`, `DROP USER IF EXISTS '${this.user}'@'localhost'`]);
    } else {
      await admin(this.dialect, [
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${this.name}' OR usename = '${this.user}'`,
        `DROP DATABASE IF EXISTS ${this.name}`,
        `DROP ROLE IF EXISTS ${this.user}`,
      ]);
    }
  }
}

async function admin(dialect: SqlDialect, statements: string[], ignoreErrors = false): Promise<void> {
  for (const sql of statements) {
    try {
      await adminRows(dialect, sql);
    } catch (err) {
      if (!ignoreErrors) throw err;
    }
  }
}

async function adminRows(dialect: SqlDialect, sql: string, database?: string): Promise<Array<Record<string, unknown>>> {
  if (dialect === 'mysql') {
    const c = await mysql.createConnection(`${MYSQL_ADMIN}${database ?? ''}`);
    try {
      const [rows] = await c.query(sql);
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    } finally {
      await c.end();
    }
  }
  const c = new pg.Client({ connectionString: database !== undefined ? PG_ADMIN.replace(/\/postgres$/, `/${database}`) : PG_ADMIN });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}
