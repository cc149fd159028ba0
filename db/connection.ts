import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import type { DbConfig } from '../domain/config';

/**
 * A knex connection from the configuration: MySQL through mysql2 when DB_HOST
 * is set (the database is created if missing), otherwise a SQLite file.
 */
export async function createDb(config: DbConfig): Promise<Knex> {
  if (config.client === 'mysql2') {
    const base = { host: config.host, port: config.port, user: config.user, password: config.password };
    const bootstrap = knexFactory({ client: 'mysql2', connection: base, pool: { min: 0, max: 1 } });
    try {
      await bootstrap.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4', [config.database as string]);
    } finally {
      await bootstrap.destroy();
    }
    return knexFactory({
      client: 'mysql2',
      connection: {
        ...base,
        database: config.database,
        timezone: 'Z',
        dateStrings: true,
        supportBigNumbers: true,
        charset: 'utf8mb4',
      },
      pool: { min: 0, max: 10 },
    });
  }
  const filename = config.filename as string;
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma: (s: string) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
        // WAL and a busy timeout let the API and the worker share one file.
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
}

export async function pingDb(db: Knex): Promise<void> {
  await db.raw('select 1');
}
