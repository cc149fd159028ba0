import type { Knex } from 'knex';
import { StorageFailure, storageFailureOf } from '../domain/db-errors';
import { pingDb } from '../db/connection';
import { probeWrite } from '../db/health';
import { RETRY_AFTER_STORAGE } from './errors';

/** `database_writes` in GET /health: whether the database takes writes, and if not why. */
export type WritesHealth = 'ok' | StorageFailure | 'unavailable';

/**
 * What requests have seen of the database's storage. The write probe proves a
 * database read-only but cannot prove it full (it allocates nothing), so a
 * request refused for want of space or memory is remembered for `rememberMs`
 * (the Retry-After it was answered with): /health says `full` meanwhile.
 */
export class StorageWatch {
  private fullUntil = 0;

  constructor(
    private readonly rememberMs = RETRY_AFTER_STORAGE * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request failed because the database could not write. */
  saw(why: StorageFailure): void {
    if (why === 'full') this.fullUntil = this.now() + this.rememberMs;
  }

  recentlyFull(): boolean {
    return this.now() < this.fullUntil;
  }
}

export interface DatabaseHealth {
  database: 'ok' | 'unavailable';
  database_writes: WritesHealth;
}

/** The database's part of GET /health: it answers (a read), and it takes writes (the write probe and what requests saw). */
export async function databaseHealth(db: Knex, watch: StorageWatch): Promise<DatabaseHealth> {
  try {
    await pingDb(db);
  } catch {
    return { database: 'unavailable', database_writes: 'unavailable' };
  }
  try {
    await probeWrite(db);
  } catch (err) {
    return { database: 'ok', database_writes: storageFailureOf(err) ?? 'unavailable' };
  }
  return { database: 'ok', database_writes: watch.recentlyFull() ? 'full' : 'ok' };
}
