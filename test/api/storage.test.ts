import type { Knex } from 'knex';
import request from 'supertest';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * A database that answers but cannot write, against the real stack: writes
 * answer 503 with Retry-After (not 500), reads keep answering, and GET /health
 * says the database does not take writes; once it does again, so do the API
 * and /health.
 *
 * Read-only is made on the stack's own connections: SQLite's `PRAGMA
 * query_only` on its one connection (the tests run as root, whom a chmod'ed
 * file does not stop), MySQL's `SET SESSION TRANSACTION READ ONLY` on every
 * connection of the pool (a server-wide read_only would stop other users of
 * the shared server, and not root).
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

const by = (who: UserName) => as(stack.url, tokens[who]);
const health = () => request(stack.url).get('/health');
const createOrder = () =>
  by('client').post('/api/orders', {
    client_id: USERS.client,
    freelancer_id: USERS.freelancer,
    judul: 'Storage',
    harga: 250_000,
  });

/** Every connection of the pool read-only (or read-write again). */
async function readOnly(db: Knex, on: boolean): Promise<void> {
  if (stack.config.db.client !== 'mysql2') {
    await db.raw(`PRAGMA query_only = ${on ? 'ON' : 'OFF'}`); // the pool's one connection
    return;
  }
  const client = db.client as {
    pool: { max: number };
    acquireConnection(): Promise<unknown>;
    releaseConnection(c: unknown): unknown;
  };
  // holding every connection the pool may have at once, each is set once
  const all = await Promise.all(Array.from({ length: client.pool.max }, () => client.acquireConnection()));
  try {
    for (const conn of all) {
      await new Promise<void>((resolve, reject) =>
        (conn as { query(sql: string, cb: (err: Error | null) => void): void }).query(
          `SET SESSION TRANSACTION READ ${on ? 'ONLY' : 'WRITE'}`,
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    }
  } finally {
    for (const conn of all) client.releaseConnection(conn);
  }
}

describe(`a database that cannot write (${dbLabel()})`, () => {
  test('writes answer 503 with Retry-After, reads still answer, /health says database_writes read_only; all well again once it writes', async () => {
    const before = await health();
    expect([before.status, before.body.data]).toEqual([200, { database: 'ok', database_writes: 'ok', temporal: 'ok' }]);
    const existing = await createOrder();
    expect(existing.status).toBe(201);

    await readOnly(stack.db, true);
    try {
      const refused = await createOrder();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body).toEqual({
        success: false,
        error: { code: 'SERVICE_UNAVAILABLE', message: 'the database cannot write right now; retry later' },
      });
      expect(JSON.stringify(refused.body)).not.toMatch(/insert|pesanan|SQLITE|ER_/i);
      // reads do not need writes
      const read = await by('client').get(`/api/orders/${existing.body.data.id}`);
      expect([read.status, read.body.data.id]).toEqual([200, existing.body.data.id]);
      const unhealthy = await health();
      expect([unhealthy.status, unhealthy.body.success, unhealthy.body.message, unhealthy.body.data]).toEqual([
        503,
        false,
        'unhealthy',
        { database: 'ok', database_writes: 'read_only', temporal: 'ok' },
      ]);
    } finally {
      await readOnly(stack.db, false);
    }

    // a read-only database is the probe's to see: healthy again as soon as it writes
    const after = await waitFor(health, (r) => r.status === 200, 10_000);
    expect([after.status, after.body.data]).toEqual([200, { database: 'ok', database_writes: 'ok', temporal: 'ok' }]);
    expect((await createOrder()).status).toBe(201);
    // nothing was written while it could not write: the client's orders are the two created before and after
    const rows = await stack.db('pesanan').where({ client_id: USERS.client, judul: 'Storage' }).count({ n: '*' });
    expect(Number(rows[0].n)).toBe(2);
  }, 60_000);
});
