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
  const err = await acts.endWithdrawal({ withdrawal_id: 'secret-withdrawal-id', status: 'rejected', alasan: 'secret reason', admin_id: null }).catch((e) => e);
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
  expect(describeDbError({ code: 'ECONNREFUSED', fatal: true, message: 'connect ECONNREFUSED', sql: 'insert into x values (42)' })).toBe('database error ECONNREFUSED (the database is unavailable)');
  expect(safeError({ code: 'ER_DUP_ENTRY', sql: 'insert into t values (\'1234567890\')', message: 'insert into t values (\'1234567890\') - Duplicate entry' })).toBe('database error ER_DUP_ENTRY');
  expect(safeError(new Error('plain words'))).toBe('plain words');
});

import { schemas } from '../../api/schemas';
import { DEFAULT_AMOUNT_LIMITS } from '../../domain/methods';

test('methods are case-insensitive like channels; ids are lower-cased', () => {
  const v = schemas(DEFAULT_AMOUNT_LIMITS);
  const id = '0A1B2C3D-0000-4000-8000-00000000C001';
  const body = v.createPayment.parse({ pesanan_id: id, user_id: id, jumlah: 10_000, metode_pembayaran: 'QRIS' });
  expect(body).toMatchObject({ metode_pembayaran: 'qris', channel: 'qris', pesanan_id: id.toLowerCase() });
  expect(v.withdraw.parse({ escrow_id: id, freelancer_id: id, metode_pencairan: 'Transfer_Bank', nomor_rekening: '1234567890', nama_pemilik: 'A' })).toMatchObject({ metode_pencairan: 'transfer_bank', channel: 'bca' });
  expect(v.createPayment.safeParse({ pesanan_id: id, user_id: id, jumlah: 10_000, metode_pembayaran: 'bitcoin' }).success).toBe(false);
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
