import type { Knex } from 'knex';

/**
 * The write probe of GET /health (the read probe is `pingDb`): an UPDATE whose
 * WHERE matches no row changes nothing, takes no row lock and writes no log,
 * yet still opens a write transaction, so a database that refuses writes —
 * a read-only file or open, SQLite's query_only, MySQL's read_only,
 * super_read_only or innodb_read_only, a read-only session — refuses it. A
 * full disk it cannot see (nothing is allocated): the requests that fail for
 * want of space tell that (api/health.ts).
 */
export async function probeWrite(db: Knex): Promise<void> {
  await db('pesanan')
    .whereRaw('1 = 0')
    .update({ updated_at: db.ref('updated_at') });
}
