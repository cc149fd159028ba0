import knexFactory from 'knex';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import type { MockGateway } from '../../gateway/mock-gateway';
import { describeDbError, isDatabaseError, isDatabaseUnavailable, safeError } from '../../domain/db-errors';

/** Database errors never leave db/ with their SQL: activities fail with the driver's code only. */
const db = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
afterAll(async () => db.destroy());

test('an activity that fails on the database throws DATABASE_ERROR with the code, not the SQL or its values', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const acts = createActivities({ db, gateway: {} as MockGateway, logger });
  const err = await acts
    .endWithdrawal({
      withdrawal_id: 'secret-withdrawal-id',
      status: 'rejected',
      alasan: 'secret reason',
      admin_id: null,
    })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err.type).toBe('DATABASE_ERROR');
  expect(err.nonRetryable).toBe(false);
  expect(err.message).toBe('database error SQLITE_ERROR');
  const everything = `${err.message} ${err.stack} ${lines.join('')}`;
  expect(everything).not.toMatch(/select|pencairan_dana|secret/i);
});

test('outages are told from bad queries', () => {
  expect(isDatabaseUnavailable({ code: 'ECONNREFUSED', fatal: true })).toBe(true);
  expect(isDatabaseError({ code: 'ECONNREFUSED' })).toBe(false); // a socket error of something else (an HTTP call)
  expect(isDatabaseUnavailable({ code: 'ER_LOCK_DEADLOCK', sql: 'update x' })).toBe(true);
  expect(isDatabaseUnavailable({ name: 'KnexTimeoutError' })).toBe(true);
  expect(isDatabaseUnavailable({ code: 'ER_PARSE_ERROR', sql: 'select 1' })).toBe(false);
  expect(isDatabaseError({ code: 'ER_PARSE_ERROR' })).toBe(true);
  expect(isDatabaseError(new Error('plain'))).toBe(false);
  expect(
    describeDbError({
      code: 'ECONNREFUSED',
      fatal: true,
      message: 'connect ECONNREFUSED',
      sql: 'insert into x values (42)',
    }),
  ).toBe('database error ECONNREFUSED (the database is unavailable)');
  expect(
    safeError({
      code: 'ER_DUP_ENTRY',
      sql: "insert into t values ('1234567890')",
      message: "insert into t values ('1234567890') - Duplicate entry",
    }),
  ).toBe('database error ER_DUP_ENTRY');
  expect(safeError(new Error('plain words'))).toBe('plain words');
});

import { schemas } from '../../api/schemas';
import { DEFAULT_AMOUNT_LIMITS } from '../../domain/methods';

test('methods are case-insensitive like channels; ids are lower-cased', () => {
  const v = schemas(DEFAULT_AMOUNT_LIMITS);
  const id = '0A1B2C3D-0000-4000-8000-00000000C001';
  const body = v.createPayment.parse({ pesanan_id: id, user_id: id, jumlah: 10_000, metode_pembayaran: 'QRIS' });
  expect(body).toMatchObject({ metode_pembayaran: 'qris', channel: 'qris', pesanan_id: id.toLowerCase() });
  expect(
    v.withdraw.parse({
      escrow_id: id,
      freelancer_id: id,
      metode_pencairan: 'Transfer_Bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'A',
    }),
  ).toMatchObject({ metode_pencairan: 'transfer_bank', channel: 'bca' });
  expect(
    v.createPayment.safeParse({ pesanan_id: id, user_id: id, jumlah: 10_000, metode_pembayaran: 'bitcoin' }).success,
  ).toBe(false);
});

import { FailureLimiter } from '../../api/security';

test('the failure limiter: per key per minute, a fresh window forgets, and more keys than it tracks are refused', () => {
  const l = new FailureLimiter(2, 3);
  const t = 1_000_000;
  expect([l.hit('a', t), l.hit('a', t + 1), l.hit('a', t + 2)]).toEqual([null, null, 60]);
  expect(l.hit('b', t + 30_000)).toBeNull();
  expect(l.hit('c', t + 30_000)).toBeNull();
  expect(l.hit('d', t + 30_000)).toBe(30); // a fourth address while three are tracked
  expect(l.hit('a', t + 60_000)).toBeNull(); // the next window
});

import express from 'express';
import request from 'supertest';
import { isDatabaseStorageFailure, storageFailureOf } from '../../domain/db-errors';
import { asyncHandler, errorMiddleware } from '../../api/errors';
import { StorageWatch, databaseHealth } from '../../api/health';

describe('a database that cannot write: full, read-only, out of memory', () => {
  test.each([
    // SQLite (better-sqlite3 gives the extended code)
    [{ code: 'SQLITE_FULL' }, 'full'],
    [{ code: 'SQLITE_NOMEM' }, 'full'],
    [{ code: 'SQLITE_READONLY' }, 'read_only'],
    [{ code: 'SQLITE_READONLY_DBMOVED' }, 'read_only'],
    [{ code: 'SQLITE_READONLY_ROLLBACK' }, 'read_only'],
    [{ code: 'SQLITE_IOERR_WRITE' }, 'full'],
    [{ code: 'SQLITE_IOERR_FSYNC' }, 'full'],
    // MySQL / MariaDB, by mysql2's code or by the server's errno alone
    [{ code: 'ER_RECORD_FILE_FULL', errno: 1114, sql: 'insert' }, 'full'],
    [{ code: 'ER_DISK_FULL', errno: 1021, sql: 'insert' }, 'full'],
    [{ code: 'ER_OUT_OF_RESOURCES', errno: 1041, sql: 'insert' }, 'full'],
    [{ code: 'ER_OUTOFMEMORY', errno: 1037, sql: 'insert' }, 'full'],
    [{ errno: 1114, sql: 'insert' }, 'full'],
    [{ code: 'ER_OPEN_AS_READONLY', errno: 1036, sql: 'update' }, 'read_only'],
    [{ code: 'ER_CANT_LOCK', errno: 1015, sql: 'update' }, 'read_only'],
    [{ code: 'ER_READ_ONLY_MODE', errno: 1836, sql: 'update' }, 'read_only'],
    [{ code: 'ER_INNODB_READ_ONLY', errno: 1874, sql: 'update' }, 'read_only'],
    [{ code: 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', errno: 1792, sql: 'update' }, 'read_only'],
    [
      {
        code: 'ER_OPTION_PREVENTS_STATEMENT',
        errno: 1290,
        sql: 'update',
        sqlMessage: 'The MariaDB server is running with the --read-only option so it cannot execute this statement',
      },
      'read_only',
    ],
    [
      {
        code: 'ER_OPTION_PREVENTS_STATEMENT',
        errno: 1290,
        sql: 'update',
        sqlMessage: 'The MySQL server is running with the --super-read-only option so it cannot execute this statement',
      },
      'read_only',
    ],
    [
      {
        code: 'ER_GET_ERRNO',
        errno: 1030,
        sql: 'insert',
        sqlMessage: 'Got error 28 "No space left on device" from storage engine InnoDB',
      },
      'full',
    ],
    // an operating-system code, from a statement
    [{ code: 'ENOSPC', sql: 'insert' }, 'full'],
    [{ code: 'EROFS', sql: 'insert' }, 'read_only'],
  ])('%j → %s: an outage (503), described without its SQL', (err, why) => {
    const e = {
      ...err,
      message: `${(err as { sql?: string }).sql ?? 'insert'} into pencairan_dana values ('1234567890') - boom`,
    };
    expect(storageFailureOf(e)).toBe(why);
    expect(isDatabaseStorageFailure(e)).toBe(true);
    expect(isDatabaseUnavailable(e)).toBe(true);
    expect(describeDbError(e)).toMatch(/^database error \S+ \(the database cannot write: /);
    expect(safeError(e)).not.toMatch(/pencairan|1234567890/);
  });

  test.each([
    [{ code: 'SQLITE_CONSTRAINT_UNIQUE' }],
    [{ code: 'SQLITE_ERROR' }],
    [{ code: 'SQLITE_IOERR_READ' }], // a read's I/O error: unavailable, not a write's
    [{ code: 'SQLITE_BUSY' }],
    [{ code: 'ER_DUP_ENTRY', errno: 1062, sql: 'insert' }],
    [{ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205, sql: 'update' }],
    // 1290 names other options too (--secure-file-priv): not read-only
    [
      {
        code: 'ER_OPTION_PREVENTS_STATEMENT',
        errno: 1290,
        sql: 'select',
        sqlMessage:
          'The MySQL server is running with the --secure-file-priv option so it cannot execute this statement',
      },
    ],
    [{ code: 'ER_GET_ERRNO', errno: 1030, sql: 'insert', sqlMessage: 'Got error 168 from storage engine' }],
    // no statement: a file system error of something else
    [{ code: 'ENOSPC' }],
  ])('%j is not a storage failure', (err) => {
    expect(storageFailureOf(err)).toBeNull();
    expect(isDatabaseStorageFailure(err)).toBe(false);
  });

  test('extended SQLite codes of outages count as their primary code (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_READ, SQLITE_CANTOPEN_ISDIR)', () => {
    for (const code of ['SQLITE_BUSY_SNAPSHOT', 'SQLITE_IOERR_READ', 'SQLITE_CANTOPEN_ISDIR'])
      expect([code, isDatabaseUnavailable({ code })]).toEqual([code, true]);
    expect(isDatabaseUnavailable({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(false);
    expect(storageFailureOf(new Error('disk full'))).toBeNull(); // not the database's
  });

  test('the error middleware: a storage failure answers 503 with Retry-After and its own message (a lock keeps its own), a bug 500; the watch hears of it', async () => {
    const heard: string[] = [];
    const app = express();
    const errors: Record<string, unknown> = {
      full: Object.assign(new Error("insert into pesanan values ('secret') - SQLITE_FULL: database or disk is full"), {
        code: 'SQLITE_FULL',
      }),
      readonly: Object.assign(
        new Error("update t set x = 'secret' - The MySQL server is running with the --read-only option"),
        {
          code: 'ER_OPTION_PREVENTS_STATEMENT',
          errno: 1290,
          sql: "update t set x = 'secret'",
          sqlMessage: 'The MySQL server is running with the --read-only option so it cannot execute this statement',
        },
      ),
      lock: Object.assign(new Error("update t set x = 'secret' - Lock wait timeout exceeded"), {
        code: 'ER_LOCK_WAIT_TIMEOUT',
        errno: 1205,
        sql: "update t set x = 'secret'",
      }),
      bug: Object.assign(new Error("selec * from t where x = 'secret' - syntax"), {
        code: 'ER_PARSE_ERROR',
        errno: 1064,
        sql: "selec * from t where x = 'secret'",
      }),
    };
    app.post(
      '/:kind',
      asyncHandler(async (req) => {
        throw errors[req.params.kind];
      }),
    );
    app.use(errorMiddleware(pino({ level: 'silent' }), (why) => heard.push(why)));
    const answer = async (kind: string) => {
      const res = await request(app).post(`/${kind}`);
      expect(JSON.stringify(res.body)).not.toContain('secret');
      return [res.status, res.headers['retry-after'] ?? null, res.body.error.message];
    };
    expect(await answer('full')).toEqual([503, '30', 'the database cannot write right now; retry later']);
    expect(await answer('readonly')).toEqual([503, '30', 'the database cannot write right now; retry later']);
    expect(await answer('lock')).toEqual([503, '5', 'the database is unavailable; retry later']);
    expect(await answer('bug')).toEqual([500, null, 'internal error']);
    expect(heard).toEqual(['full', 'read_only']);
  });

  test("/health's database part: the write probe sees a read-only database; a full one is remembered from the requests it failed, for as long as they were told to wait", async () => {
    const mem = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
      pool: { min: 1, max: 1 },
    });
    try {
      await mem.schema.createTable('pesanan', (t) => {
        t.string('id').primary();
        t.string('updated_at');
      });
      await mem('pesanan').insert({ id: 'a', updated_at: 'then' });
      let now = 1_000_000;
      const watch = new StorageWatch(30_000, () => now);
      expect(await databaseHealth(mem, watch)).toEqual({ database: 'ok', database_writes: 'ok' });
      await mem.raw('PRAGMA query_only = ON');
      expect(await databaseHealth(mem, watch)).toEqual({ database: 'ok', database_writes: 'read_only' });
      await mem.raw('PRAGMA query_only = OFF');
      expect(await databaseHealth(mem, watch)).toEqual({ database: 'ok', database_writes: 'ok' });
      // the probe changed nothing
      expect(await mem('pesanan').select()).toEqual([{ id: 'a', updated_at: 'then' }]);
      // a request failed for want of space: `full` for 30 s (the probe allocates nothing, so it cannot see it)
      watch.saw('full');
      expect(await databaseHealth(mem, watch)).toEqual({ database: 'ok', database_writes: 'full' });
      now += 29_999;
      expect((await databaseHealth(mem, watch)).database_writes).toBe('full');
      now += 2;
      expect((await databaseHealth(mem, watch)).database_writes).toBe('ok');
      // a read-only failure is the probe's to tell: not remembered
      watch.saw('read_only');
      expect((await databaseHealth(mem, watch)).database_writes).toBe('ok');
      await mem.destroy();
      expect(await databaseHealth(mem, watch)).toEqual({ database: 'unavailable', database_writes: 'unavailable' });
    } finally {
      await mem.destroy();
    }
  });
});
